// SPDX-License-Identifier: MIT
#pragma once

/// \file db.h
/// The one storage interface of atelier-market with two implementations:
/// SQLite (embedded, WAL, synchronous=FULL) and PostgreSQL (libpq). SQL is
/// written once with `$1..$n` placeholders, which both engines accept; the
/// few statements that differ (DDL, full-text search) ask `backend()`.
/// A `Db` owns a pool of connections; `acquire()` lends one (blocking while
/// all are busy). A `Conn` is used by one thread at a time.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "atelier/base/result.h"

namespace atelier::market_server {

enum class Backend { sqlite, postgres };

using Value = std::variant<std::nullptr_t, std::int64_t, std::string>;

/// One result row; columns by position.
struct Row {
    std::vector<Value> cols;
    [[nodiscard]] bool null(std::size_t i) const { return std::holds_alternative<std::nullptr_t>(cols.at(i)); }
    [[nodiscard]] std::int64_t i64(std::size_t i) const;
    [[nodiscard]] std::string str(std::size_t i) const;
};
using Rows = std::vector<Row>;

/// A database connection. Errors: `conflict` for a unique/primary key
/// violation, `busy` for lock time-outs or serialization failures (retry),
/// `io_error` otherwise (the message names the statement's first words).
class Conn {
public:
    virtual ~Conn() = default;
    virtual Result<Rows> query(std::string_view sql, const std::vector<Value>& params = {}) = 0;
    /// Runs a statement; returns the number of rows changed.
    virtual Result<std::int64_t> exec(std::string_view sql, const std::vector<Value>& params = {}) = 0;
    /// Runs several `;`-separated statements without parameters (DDL).
    virtual Result<void> script(std::string_view sql) = 0;
    /// BEGIN (SQLite: BEGIN IMMEDIATE when `write`, so writers queue up front).
    virtual Result<void> begin(bool write) = 0;
    virtual Result<void> commit() = 0;
    virtual void rollback() noexcept = 0;
    [[nodiscard]] virtual Backend backend() const = 0;
};

class Db;

/// A connection lent by the pool; returned on destruction.
class PooledConn {
public:
    PooledConn(Db* db, std::unique_ptr<Conn> conn) : m_db(db), m_conn(std::move(conn)) {}
    PooledConn(PooledConn&&) noexcept = default;
    PooledConn& operator=(PooledConn&&) = delete;
    ~PooledConn();
    Conn* operator->() { return m_conn.get(); }
    Conn& operator*() { return *m_conn; }

private:
    Db* m_db;
    std::unique_ptr<Conn> m_conn;
};

/// RAII transaction: rolls back unless `commit()` succeeded.
class Tx {
public:
    Tx(Conn& c) : m_c(c) {}  // NOLINT
    ~Tx() {
        if (m_open) m_c.rollback();
    }
    Tx(const Tx&) = delete;
    Tx& operator=(const Tx&) = delete;
    Result<void> begin(bool write) {
        auto r = m_c.begin(write);
        m_open = r.ok();
        return r;
    }
    Result<void> commit() {
        m_open = false;
        return m_c.commit();
    }

private:
    Conn& m_c;
    bool m_open = false;
};

class Db {
public:
    /// Opens `spec`: "sqlite" (file `<data_dir>/market.db`), "sqlite:PATH", or a
    /// libpq URI "postgres://…" / "postgresql://…". Creates or migrates the
    /// schema (one transaction per step); a database newer than this build is
    /// refused. `pool` connections are opened lazily up to that count.
    static Result<std::unique_ptr<Db>> open(const std::string& spec, const std::filesystem::path& data_dir,
                                            int pool = 8);
    ~Db();
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    /// Lends a connection (waits while all are in use). Thread-safe.
    Result<PooledConn> acquire();
    [[nodiscard]] Backend backend() const { return m_backend; }
    [[nodiscard]] int schema_version() const { return m_version; }
    /// The schema version this build writes.
    static int current_schema_version();

private:
    friend class PooledConn;
    Db() = default;
    void give_back(std::unique_ptr<Conn> conn);
    Result<std::unique_ptr<Conn>> connect();
    Result<void> migrate();

    struct Impl;
    std::unique_ptr<Impl> m_impl;
    Backend m_backend = Backend::sqlite;
    int m_version = 0;
};

}  // namespace atelier::market_server
