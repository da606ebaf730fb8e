// SPDX-License-Identifier: MIT
#pragma once

// RAII owners for SQLite handles: the connection, prepared statements and
// transactions. Every call's result is checked and turned into an Error that
// names what was being done. Bound parameters only: nothing here builds SQL
// from values. Not thread-safe: one Database per thread (SQLite connections
// are opened with SQLITE_OPEN_NOMUTEX).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sqlite3.h>

#include "atelier/base/result.h"

namespace atelier::catalog::sql {

struct DbCloser {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};

/// Maps an SQLite result code to an Error with a message for the user.
Error sqlite_error(sqlite3* db, int rc, std::string_view doing);

class Statement;

/// One connection. Move-only.
class Database {
public:
    enum class Mode { read_write_create, read_write, read_only };
    static Result<Database> open(const std::filesystem::path& file, Mode mode);

    Database();
    [[nodiscard]] sqlite3* handle() const noexcept { return m_db.get(); }
    explicit operator bool() const noexcept { return static_cast<bool>(m_db); }

    /// Runs SQL without parameters (schema, pragmas). Only for constant SQL.
    Result<void> exec(std::string_view sql, std::string_view doing);
    /// Prepares a statement; the SQL must be constant text from sql_p.h (or
    /// built from constant fragments), values are bound afterwards.
    Result<Statement> prepare(std::string_view sql) const;
    /// Prepares once per connection and caches (same SQL text → same statement).
    Result<Statement*> cached(std::string_view sql);

    [[nodiscard]] std::int64_t last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(m_db.get()); }
    [[nodiscard]] int changes() const noexcept { return sqlite3_changes(m_db.get()); }

    ~Database();
    Database(Database&&) noexcept;
    Database& operator=(Database&&) noexcept;

private:
    std::unique_ptr<sqlite3, DbCloser> m_db;
    struct Cache;
    std::unique_ptr<Cache> m_cache;
};

/// A prepared statement. `step()` returns true while a row is available.
/// `reset()` clears bindings so the statement can be reused.
class Statement {
public:
    Statement() = default;
    Statement(sqlite3* db, sqlite3_stmt* stmt) : m_db(db), m_stmt(stmt) {}

    Statement& bind(int index, std::int64_t v);
    Statement& bind(int index, int v) { return bind(index, static_cast<std::int64_t>(v)); }
    Statement& bind(int index, double v);
    Statement& bind(int index, std::string_view v);
    Statement& bind(int index, const char* v) { return bind(index, std::string_view(v)); }
    Statement& bind(int index, const std::string& v) { return bind(index, std::string_view(v)); }
    Statement& bind_blob(int index, std::span<const std::uint8_t> v);
    Statement& bind_null(int index);
    template <class T>
    Statement& bind(int index, const std::optional<T>& v) {
        if (v) return bind(index, *v);
        return bind_null(index);
    }

    /// Steps once: true = row available, false = done; an Error otherwise
    /// (including a bind error recorded earlier).
    Result<bool> step();
    /// Steps to completion (for INSERT/UPDATE/DELETE).
    Result<void> run();
    void reset() noexcept;

    [[nodiscard]] bool is_null(int col) const noexcept;
    [[nodiscard]] std::int64_t int64(int col) const noexcept;
    [[nodiscard]] double real(int col) const noexcept;
    [[nodiscard]] std::string text(int col) const;
    [[nodiscard]] std::string_view text_view(int col) const noexcept;
    [[nodiscard]] std::vector<std::uint8_t> blob(int col) const;
    [[nodiscard]] std::span<const std::uint8_t> blob_view(int col) const noexcept;

    [[nodiscard]] sqlite3_stmt* handle() const noexcept { return m_stmt.get(); }

private:
    sqlite3* m_db = nullptr;
    std::unique_ptr<sqlite3_stmt, StmtFinalizer> m_stmt;
    int m_bind_rc = SQLITE_OK;
};

/// Resets a cached statement when it goes out of scope.
class StatementLease {
public:
    explicit StatementLease(Statement* s) : m_s(s) {}
    ~StatementLease() {
        if (m_s) m_s->reset();
    }
    StatementLease(const StatementLease&) = delete;
    StatementLease& operator=(const StatementLease&) = delete;
    Statement* operator->() const noexcept { return m_s; }
    Statement& operator*() const noexcept { return *m_s; }

private:
    Statement* m_s;
};

/// A transaction: BEGIN IMMEDIATE on construction (through `begin`), ROLLBACK
/// in the destructor unless `commit()` succeeded.
class Transaction {
public:
    static Result<Transaction> begin(Database& db, bool immediate = true);
    Result<void> commit();
    ~Transaction();
    Transaction(Transaction&& o) noexcept : m_db(o.m_db) { o.m_db = nullptr; }
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;

private:
    explicit Transaction(Database* db) : m_db(db) {}
    Database* m_db = nullptr;
};

}  // namespace atelier::catalog::sql
