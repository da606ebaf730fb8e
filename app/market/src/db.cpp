// SPDX-License-Identifier: MIT
#include "atelier/market_server/db.h"

#include <charconv>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include <libpq-fe.h>
#include <sqlite3.h>

namespace atelier::market_server {

std::int64_t Row::i64(std::size_t i) const {
    const auto& v = cols.at(i);
    if (auto* p = std::get_if<std::int64_t>(&v)) return *p;
    if (auto* s = std::get_if<std::string>(&v)) {
        std::int64_t out = 0;
        std::from_chars(s->data(), s->data() + s->size(), out);
        return out;
    }
    return 0;
}

std::string Row::str(std::size_t i) const {
    const auto& v = cols.at(i);
    if (auto* s = std::get_if<std::string>(&v)) return *s;
    if (auto* p = std::get_if<std::int64_t>(&v)) return std::to_string(*p);
    return {};
}

namespace {

std::string head(std::string_view sql) {
    auto s = std::string(sql.substr(0, 60));
    for (auto& c : s)
        if (c == '\n') c = ' ';
    return s;
}

// ------------------------------------------------------------------ SQLite

struct SqliteCloser {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using SqlitePtr = std::unique_ptr<sqlite3, SqliteCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

class SqliteConn final : public Conn {
public:
    explicit SqliteConn(SqlitePtr db) : m_db(std::move(db)) {}
    Backend backend() const override { return Backend::sqlite; }

    Result<Rows> query(std::string_view sql, const std::vector<Value>& params) override {
        Rows rows;
        ATELIER_TRY(run(sql, params, &rows));
        return rows;
    }
    Result<std::int64_t> exec(std::string_view sql, const std::vector<Value>& params) override {
        ATELIER_TRY(run(sql, params, nullptr));
        return static_cast<std::int64_t>(sqlite3_changes(m_db.get()));
    }
    Result<void> script(std::string_view sql) override {
        char* err = nullptr;
        if (sqlite3_exec(m_db.get(), std::string(sql).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
            std::string msg = err ? err : "unknown error";
            sqlite3_free(err);
            return fail(Errc::io_error, "SQLite: " + msg);
        }
        return ok();
    }
    Result<void> begin(bool write) override { return script(write ? "BEGIN IMMEDIATE" : "BEGIN"); }
    Result<void> commit() override { return script("COMMIT"); }
    void rollback() noexcept override { sqlite3_exec(m_db.get(), "ROLLBACK", nullptr, nullptr, nullptr); }

private:
    struct Cached {
        StmtPtr stmt;
        std::vector<int> index;  // $k -> bind index
    };

    Result<void> run(std::string_view sql, const std::vector<Value>& params, Rows* rows) {
        auto it = m_cache.find(sql);
        if (it == m_cache.end()) {
            sqlite3_stmt* raw = nullptr;
            if (sqlite3_prepare_v3(m_db.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                   &raw, nullptr) != SQLITE_OK)
                return fail(Errc::internal, "SQLite prepare failed (" + head(sql) + "): " + sqlite3_errmsg(m_db.get()));
            Cached c{StmtPtr(raw), {}};
            for (std::size_t k = 1; k <= 32; ++k) {
                auto name = "$" + std::to_string(k);
                c.index.push_back(sqlite3_bind_parameter_index(raw, name.c_str()));
            }
            it = m_cache.emplace(std::string(sql), std::move(c)).first;
        }
        auto* st = it->second.stmt.get();
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        for (std::size_t k = 0; k < params.size() && k < it->second.index.size(); ++k) {
            int idx = it->second.index[k];
            if (idx == 0) continue;
            const auto& v = params[k];
            if (auto* i = std::get_if<std::int64_t>(&v))
                sqlite3_bind_int64(st, idx, *i);
            else if (auto* s = std::get_if<std::string>(&v))
                sqlite3_bind_text(st, idx, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(st, idx);
        }
        for (;;) {
            int rc = sqlite3_step(st);
            if (rc == SQLITE_DONE) break;
            if (rc == SQLITE_ROW) {
                if (rows) {
                    Row r;
                    int n = sqlite3_column_count(st);
                    r.cols.reserve(n);
                    for (int c = 0; c < n; ++c) {
                        switch (sqlite3_column_type(st, c)) {
                            case SQLITE_INTEGER:
                                r.cols.emplace_back(std::int64_t{sqlite3_column_int64(st, c)});
                                break;
                            case SQLITE_NULL:
                                r.cols.emplace_back(nullptr);
                                break;
                            default: {
                                auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
                                r.cols.emplace_back(std::string(t ? t : "", sqlite3_column_bytes(st, c)));
                            }
                        }
                    }
                    rows->push_back(std::move(r));
                }
                continue;
            }
            int ext = sqlite3_extended_errcode(m_db.get());
            std::string msg = sqlite3_errmsg(m_db.get());
            sqlite3_reset(st);
            if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
                return fail(Errc::conflict, "already exists (" + msg + ")");
            if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return fail(Errc::busy, "database is busy; retry");
            return fail(Errc::io_error, "SQLite (" + head(sql) + "): " + msg);
        }
        sqlite3_reset(st);
        return ok();
    }

    SqlitePtr m_db;
    std::map<std::string, Cached, std::less<>> m_cache;
};

// ------------------------------------------------------------------ PostgreSQL

struct PgCloser {
    void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultFree {
    void operator()(PGresult* r) const { PQclear(r); }
};
using PgPtr = std::unique_ptr<PGconn, PgCloser>;
using PgResult = std::unique_ptr<PGresult, PgResultFree>;

class PgConn final : public Conn {
public:
    explicit PgConn(PgPtr c) : m_c(std::move(c)) {}
    Backend backend() const override { return Backend::postgres; }

    Result<Rows> query(std::string_view sql, const std::vector<Value>& params) override {
        Rows rows;
        ATELIER_TRY(run(sql, params, &rows, nullptr));
        return rows;
    }
    Result<std::int64_t> exec(std::string_view sql, const std::vector<Value>& params) override {
        std::int64_t n = 0;
        ATELIER_TRY(run(sql, params, nullptr, &n));
        return n;
    }
    Result<void> script(std::string_view sql) override {
        PgResult r(PQexec(m_c.get(), std::string(sql).c_str()));
        auto st = PQresultStatus(r.get());
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return error_of(r.get(), sql);
        return ok();
    }
    Result<void> begin(bool) override { return script("BEGIN"); }
    Result<void> commit() override { return script("COMMIT"); }
    void rollback() noexcept override { PgResult r(PQexec(m_c.get(), "ROLLBACK")); }

private:
    Error error_of(PGresult* r, std::string_view sql) {
        const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
        std::string msg = PQerrorMessage(m_c.get());
        if (PQstatus(m_c.get()) != CONNECTION_OK) PQreset(m_c.get());
        std::string code = state ? state : "";
        if (code == "23505") return fail(Errc::conflict, "already exists (" + msg + ")");
        if (code == "40001" || code == "40P01" || code == "55P03") return fail(Errc::busy, "database is busy; retry");
        return fail(Errc::io_error, "PostgreSQL (" + head(sql) + "): " + msg);
    }

    Result<void> run(std::string_view sql, const std::vector<Value>& params, Rows* rows, std::int64_t* changed) {
        std::vector<std::string> storage(params.size());
        std::vector<const char*> values(params.size());
        for (std::size_t k = 0; k < params.size(); ++k) {
            const auto& v = params[k];
            if (auto* i = std::get_if<std::int64_t>(&v)) {
                storage[k] = std::to_string(*i);
                values[k] = storage[k].c_str();
            } else if (auto* s = std::get_if<std::string>(&v)) {
                values[k] = s->c_str();
            } else {
                values[k] = nullptr;
            }
        }
        PgResult r(PQexecParams(m_c.get(), std::string(sql).c_str(), static_cast<int>(params.size()), nullptr,
                                values.data(), nullptr, nullptr, 0));
        auto st = PQresultStatus(r.get());
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return error_of(r.get(), sql);
        if (changed) {
            const char* n = PQcmdTuples(r.get());
            *changed = (n && *n) ? std::stoll(n) : 0;
        }
        if (rows) {
            int nr = PQntuples(r.get()), nc = PQnfields(r.get());
            rows->reserve(nr);
            for (int i = 0; i < nr; ++i) {
                Row row;
                row.cols.reserve(nc);
                for (int c = 0; c < nc; ++c) {
                    if (PQgetisnull(r.get(), i, c)) {
                        row.cols.emplace_back(nullptr);
                        continue;
                    }
                    Oid t = PQftype(r.get(), c);
                    const char* s = PQgetvalue(r.get(), i, c);
                    if (t == 20 || t == 21 || t == 23) {  // int8, int2, int4
                        row.cols.emplace_back(std::int64_t{std::stoll(s)});
                    } else if (t == 16) {  // bool
                        row.cols.emplace_back(std::int64_t{s[0] == 't' ? 1 : 0});
                    } else if (t == 1700) {  // numeric (sum() of bigint)
                        row.cols.emplace_back(std::int64_t{std::stoll(s)});
                    } else {
                        row.cols.emplace_back(std::string(s, PQgetlength(r.get(), i, c)));
                    }
                }
                rows->push_back(std::move(row));
            }
        }
        return ok();
    }

    PgPtr m_c;
};

// ------------------------------------------------------------------ schema

// Version 1. Types are the common subset: TEXT and BIGINT (SQLite maps BIGINT
// to INTEGER affinity). Money is integer minor units everywhere.
const char* kSchemaCommon = R"SQL(
CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
  role TEXT NOT NULL, display_name TEXT NOT NULL, created BIGINT NOT NULL);
CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, created BIGINT NOT NULL,
  expires BIGINT NOT NULL, revoked BIGINT);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE uploads (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, size BIGINT NOT NULL, sha256 TEXT NOT NULL,
  chunk_size BIGINT NOT NULL, received BIGINT NOT NULL, state TEXT NOT NULL, meta TEXT NOT NULL,
  listing_id TEXT, error TEXT, created BIGINT NOT NULL, updated BIGINT NOT NULL);
CREATE TABLE upload_chunks (upload_id TEXT NOT NULL, off BIGINT NOT NULL, len BIGINT NOT NULL, sha256 TEXT NOT NULL,
  PRIMARY KEY (upload_id, off));
CREATE TABLE listings (id TEXT PRIMARY KEY, seq BIGINT NOT NULL UNIQUE, creator_id TEXT NOT NULL,
  asset_sha256 TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL, tags TEXT NOT NULL,
  price BIGINT NOT NULL, currency TEXT NOT NULL, offers TEXT NOT NULL, provenance TEXT NOT NULL,
  split TEXT NOT NULL, status TEXT NOT NULL, width BIGINT NOT NULL, height BIGINT NOT NULL, format TEXT NOT NULL,
  dhash TEXT NOT NULL, preview_sha256 TEXT NOT NULL, flag_reason TEXT, created BIGINT NOT NULL,
  updated BIGINT NOT NULL);
CREATE INDEX listings_status_seq ON listings(status, seq);
CREATE INDEX listings_creator ON listings(creator_id);
CREATE TABLE listing_tags (listing_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (listing_id, tag));
CREATE INDEX listing_tags_tag ON listing_tags(tag);
CREATE TABLE licences (id TEXT PRIMARY KEY, listing_id TEXT NOT NULL, buyer_id TEXT NOT NULL,
  asset_sha256 TEXT NOT NULL, type TEXT NOT NULL, terms_version TEXT NOT NULL, token TEXT NOT NULL,
  price BIGINT NOT NULL, currency TEXT NOT NULL, tlog_index BIGINT NOT NULL, created BIGINT NOT NULL);
CREATE INDEX licences_buyer ON licences(buyer_id);
CREATE TABLE idempotency (user_id TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL,
  status BIGINT NOT NULL, body TEXT NOT NULL, created BIGINT NOT NULL, PRIMARY KEY (user_id, key));
CREATE TABLE payments (id TEXT PRIMARY KEY, provider TEXT NOT NULL, provider_ref TEXT NOT NULL,
  user_id TEXT NOT NULL, amount BIGINT NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL, created BIGINT NOT NULL);
CREATE TABLE ledger_txns (id TEXT PRIMARY KEY, kind TEXT NOT NULL, ref TEXT NOT NULL, created BIGINT NOT NULL);
CREATE TABLE postings (txn_id TEXT NOT NULL, n BIGINT NOT NULL, account TEXT NOT NULL, amount BIGINT NOT NULL,
  currency TEXT NOT NULL, listing_id TEXT, created BIGINT NOT NULL, PRIMARY KEY (txn_id, n));
CREATE INDEX postings_account ON postings(account);
CREATE TABLE tlog (idx BIGINT PRIMARY KEY, leaf_hash TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL,
  data TEXT NOT NULL, created BIGINT NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO counters VALUES ('tlog', 0), ('changes', 0), ('listing', 0);
CREATE TABLE changes (seq BIGINT PRIMARY KEY, kind TEXT NOT NULL, ref TEXT NOT NULL, scope_user TEXT,
  created BIGINT NOT NULL);
CREATE TABLE moderation (listing_id TEXT PRIMARY KEY, reason TEXT NOT NULL, state TEXT NOT NULL,
  decided_by TEXT, decision_reason TEXT, created BIGINT NOT NULL, decided BIGINT);
CREATE TABLE disputes (id TEXT PRIMARY KEY, listing_id TEXT NOT NULL, claimant_id TEXT NOT NULL,
  reason TEXT NOT NULL, state TEXT NOT NULL, resolution TEXT, created BIGINT NOT NULL, resolved BIGINT);
)SQL";

const char* kSchemaSqliteFts =
    "CREATE VIRTUAL TABLE listings_fts USING fts5(listing_id UNINDEXED, body, tokenize='unicode61');";
const char* kSchemaPgFts =
    "CREATE TABLE listings_fts (listing_id TEXT PRIMARY KEY, body TEXT NOT NULL);"
    "CREATE INDEX listings_fts_gin ON listings_fts USING gin (to_tsvector('simple', body));";

// Version 2: listings.phash (core/ops pHash, 16 hex digits; NULL when the
// server was built without core/ops; listings.dhash is '' then), and the
// 'listing_changes' counter (bumped by every listing write: browse caches of
// all instances compare it).
const char* kSchemaV2 =
    "ALTER TABLE listings ADD COLUMN phash TEXT;"
    "INSERT INTO counters VALUES ('listing_changes', 0);";

constexpr int kSchemaVersion = 2;

}  // namespace

// ------------------------------------------------------------------ pool

struct Db::Impl {
    std::string spec;
    std::filesystem::path sqlite_path;
    std::string pg_uri;
    int max = 8;
    int opened = 0;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::unique_ptr<Conn>> idle;
};

PooledConn::~PooledConn() {
    if (m_conn && m_db) m_db->give_back(std::move(m_conn));
}

Db::~Db() = default;
int Db::current_schema_version() {
    return kSchemaVersion;
}

void Db::give_back(std::unique_ptr<Conn> conn) {
    std::lock_guard lock(m_impl->mu);
    m_impl->idle.push_back(std::move(conn));
    m_impl->cv.notify_one();
}

Result<std::unique_ptr<Conn>> Db::connect() {
    if (m_backend == Backend::sqlite) {
        sqlite3* raw = nullptr;
        int rc = sqlite3_open_v2(m_impl->sqlite_path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
        SqlitePtr db(raw);
        if (rc != SQLITE_OK)
            return fail(Errc::io_error, "cannot open database '" + m_impl->sqlite_path.string() +
                                            "': " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
        sqlite3_busy_timeout(raw, 10000);
        auto conn = std::make_unique<SqliteConn>(std::move(db));
        // WAL for concurrent readers; FULL sync so that a committed purchase
        // (ledger postings) survives power loss, not only a process crash.
        ATELIER_TRY(conn->script("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
        return std::unique_ptr<Conn>(std::move(conn));
    }
    PgPtr c(PQconnectdb(m_impl->pg_uri.c_str()));
    if (!c || PQstatus(c.get()) != CONNECTION_OK)
        return fail(Errc::io_error, std::string("cannot connect to PostgreSQL: ") +
                                        (c ? PQerrorMessage(c.get()) : "out of memory") +
                                        " (check the --db URI and that the server is running)");
    auto conn = std::make_unique<PgConn>(std::move(c));
    ATELIER_TRY(conn->script("SET client_min_messages = warning; SET synchronous_commit = on;"));
    return std::unique_ptr<Conn>(std::move(conn));
}

Result<PooledConn> Db::acquire() {
    std::unique_lock lock(m_impl->mu);
    for (;;) {
        if (!m_impl->idle.empty()) {
            auto c = std::move(m_impl->idle.front());
            m_impl->idle.pop_front();
            return PooledConn(this, std::move(c));
        }
        if (m_impl->opened < m_impl->max) {
            ++m_impl->opened;
            lock.unlock();
            auto c = connect();
            if (!c) {
                std::lock_guard relock(m_impl->mu);
                --m_impl->opened;
                return std::move(c).error();
            }
            return PooledConn(this, std::move(*c));
        }
        m_impl->cv.wait(lock);
    }
}

Result<std::unique_ptr<Db>> Db::open(const std::string& spec, const std::filesystem::path& data_dir, int pool) {
    std::unique_ptr<Db> db(new Db());
    db->m_impl = std::make_unique<Impl>();
    db->m_impl->spec = spec;
    db->m_impl->max = std::max(1, pool);
    if (spec.empty() || spec == "sqlite") {
        db->m_impl->sqlite_path = data_dir / "market.db";
    } else if (spec.rfind("sqlite:", 0) == 0) {
        db->m_impl->sqlite_path = spec.substr(7);
    } else if (spec.rfind("postgres://", 0) == 0 || spec.rfind("postgresql://", 0) == 0) {
        db->m_backend = Backend::postgres;
        db->m_impl->pg_uri = spec;
    } else {
        return fail(Errc::invalid_argument,
                    "--db '" + spec + "' is not understood; use sqlite, sqlite:PATH or postgres://USER@HOST:PORT/DB");
    }
    ATELIER_TRY(db->migrate());
    return db;
}

Result<void> Db::migrate() {
    auto conn = acquire();
    if (!conn) return std::move(conn).error();
    auto& c = **conn;
    if (m_backend == Backend::postgres) {
        // Several instances may start at once: serialise migrations.
        ATELIER_TRY(c.script("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)"));
    } else {
        ATELIER_TRY(c.script("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)"));
    }
    for (;;) {
        Tx tx(c);
        ATELIER_TRY(tx.begin(true));
        if (m_backend == Backend::postgres) ATELIER_TRY(c.script("LOCK TABLE schema_version IN EXCLUSIVE MODE"));
        auto rows = c.query("SELECT version FROM schema_version");
        if (!rows) return std::move(rows).error();
        int v = rows->empty() ? 0 : static_cast<int>((*rows)[0].i64(0));
        if (v > kSchemaVersion)
            return fail(Errc::unsupported, "the database has schema version " + std::to_string(v) +
                                               " but this atelier-market understands up to " +
                                               std::to_string(kSchemaVersion) + "; upgrade atelier-market");
        if (v == kSchemaVersion) {
            m_version = v;
            return ok();
        }
        // One step per transaction: v -> v+1.
        if (v == 0) {
            ATELIER_TRY(c.script(kSchemaCommon));
            ATELIER_TRY(c.script(m_backend == Backend::sqlite ? kSchemaSqliteFts : kSchemaPgFts));
            auto ins = c.exec("INSERT INTO schema_version (version) VALUES (1)");
            if (!ins) return std::move(ins).error();
        } else if (v == 1) {
            ATELIER_TRY(c.script(kSchemaV2));
            auto up = c.exec("UPDATE schema_version SET version = 2");
            if (!up) return std::move(up).error();
        }
        ATELIER_TRY(tx.commit());
    }
}

}  // namespace atelier::market_server
