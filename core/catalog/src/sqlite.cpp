// SPDX-License-Identifier: MIT
#include "sqlite_p.h"

#include <unordered_map>

namespace atelier::catalog::sql {

Error sqlite_error(sqlite3* db, int rc, std::string_view doing) {
    const int primary = rc & 0xff;
    std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    std::string what(doing);
    switch (primary) {
        case SQLITE_FULL:
            return fail(Errc::io_error, what + ": the disk holding the library is full (" + detail +
                                            "); free some space and run the command again — nothing already "
                                            "imported was lost");
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return fail(Errc::busy, what + ": the library is busy in another process (" + detail +
                                        "); try again when it has finished");
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            return fail(Errc::corrupt_data, what + ": the library database is damaged or not an Atelier library (" +
                                                detail + "); restore it from a backup");
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
            return fail(Errc::permission_denied,
                        what + ": the library is read-only (" + detail + "); check the folder's permissions");
        case SQLITE_CANTOPEN:
            return fail(Errc::io_error, what + ": cannot open the library database (" + detail +
                                            "); check that the folder exists and is writable");
        case SQLITE_IOERR:
            return fail(Errc::io_error, what + ": input/output error (" + detail + ")");
        case SQLITE_CONSTRAINT:
            return fail(Errc::conflict, what + ": " + detail);
        case SQLITE_TOOBIG:
            return fail(Errc::limit_exceeded, what + ": a value is too large to store (" + detail + ")");
        case SQLITE_INTERRUPT:
            return fail(Errc::cancelled, what + ": interrupted");
        default:
            return fail(Errc::internal, what + ": SQLite error " + std::to_string(rc) + " (" + detail + ")");
    }
}

struct Database::Cache {
    std::unordered_map<std::string, std::unique_ptr<Statement>> stmts;
};

Database::Database() = default;
Database::~Database() {
    m_cache.reset();  // finalize statements before closing
}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&& o) noexcept {
    if (this != &o) {
        m_cache.reset();
        m_db = std::move(o.m_db);
        m_cache = std::move(o.m_cache);
    }
    return *this;
}

Result<Database> Database::open(const std::filesystem::path& file, Mode mode) {
    int flags = SQLITE_OPEN_NOMUTEX;
    switch (mode) {
        case Mode::read_write_create:
            flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
            break;
        case Mode::read_write:
            flags |= SQLITE_OPEN_READWRITE;
            break;
        case Mode::read_only:
            flags |= SQLITE_OPEN_READONLY;
            break;
    }
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
    Database db;
    db.m_db.reset(raw);  // owns the handle even when open failed
    if (rc != SQLITE_OK) return sqlite_error(raw, rc, "opening library database '" + file.string() + "'");
    sqlite3_extended_result_codes(raw, 1);
    db.m_cache = std::make_unique<Cache>();
    return db;
}

Result<void> Database::exec(std::string_view sql, std::string_view doing) {
    const std::string text(sql);
    char* err = nullptr;
    const int rc = sqlite3_exec(m_db.get(), text.c_str(), nullptr, nullptr, &err);
    if (err != nullptr) sqlite3_free(err);
    if (rc != SQLITE_OK) return sqlite_error(m_db.get(), rc, doing);
    return ok();
}

Result<Statement> Database::prepare(std::string_view sql) const {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v2(m_db.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return sqlite_error(m_db.get(), rc, "preparing a library query");
    }
    return Statement(m_db.get(), stmt);
}

Result<Statement*> Database::cached(std::string_view sql) {
    auto& slot = m_cache->stmts[std::string(sql)];
    if (!slot) {
        auto s = prepare(sql);
        if (!s) {
            m_cache->stmts.erase(std::string(sql));
            return std::move(s).error();
        }
        slot = std::make_unique<Statement>(std::move(s).value());
    }
    return slot.get();
}

Statement& Statement::bind(int index, std::int64_t v) {
    const int rc = sqlite3_bind_int64(m_stmt.get(), index, v);
    if (rc != SQLITE_OK && m_bind_rc == SQLITE_OK) m_bind_rc = rc;
    return *this;
}
Statement& Statement::bind(int index, double v) {
    const int rc = sqlite3_bind_double(m_stmt.get(), index, v);
    if (rc != SQLITE_OK && m_bind_rc == SQLITE_OK) m_bind_rc = rc;
    return *this;
}
Statement& Statement::bind(int index, std::string_view v) {
    const int rc = sqlite3_bind_text64(m_stmt.get(), index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK && m_bind_rc == SQLITE_OK) m_bind_rc = rc;
    return *this;
}
Statement& Statement::bind_blob(int index, std::span<const std::uint8_t> v) {
    const int rc = sqlite3_bind_blob64(m_stmt.get(), index, v.data(), v.size(), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK && m_bind_rc == SQLITE_OK) m_bind_rc = rc;
    return *this;
}
Statement& Statement::bind_null(int index) {
    const int rc = sqlite3_bind_null(m_stmt.get(), index);
    if (rc != SQLITE_OK && m_bind_rc == SQLITE_OK) m_bind_rc = rc;
    return *this;
}

Result<bool> Statement::step() {
    if (m_bind_rc != SQLITE_OK) {
        const int rc = m_bind_rc;
        m_bind_rc = SQLITE_OK;
        return sqlite_error(m_db, rc, "binding a query parameter");
    }
    const int rc = sqlite3_step(m_stmt.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    Error e = sqlite_error(m_db, rc, "running a library query");
    sqlite3_reset(m_stmt.get());
    return e;
}

Result<void> Statement::run() {
    while (true) {
        auto r = step();
        if (!r) return std::move(r).error();
        if (!*r) return ok();
    }
}

void Statement::reset() noexcept {
    sqlite3_reset(m_stmt.get());
    sqlite3_clear_bindings(m_stmt.get());
    m_bind_rc = SQLITE_OK;
}

bool Statement::is_null(int col) const noexcept {
    return sqlite3_column_type(m_stmt.get(), col) == SQLITE_NULL;
}
std::int64_t Statement::int64(int col) const noexcept {
    return sqlite3_column_int64(m_stmt.get(), col);
}
double Statement::real(int col) const noexcept {
    return sqlite3_column_double(m_stmt.get(), col);
}
std::string_view Statement::text_view(int col) const noexcept {
    const auto* p = sqlite3_column_text(m_stmt.get(), col);
    if (p == nullptr) return {};
    return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(m_stmt.get(), col))};
}
std::string Statement::text(int col) const {
    return std::string(text_view(col));
}
std::span<const std::uint8_t> Statement::blob_view(int col) const noexcept {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(m_stmt.get(), col));
    if (p == nullptr) return {};
    return {p, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt.get(), col))};
}
std::vector<std::uint8_t> Statement::blob(int col) const {
    auto v = blob_view(col);
    return {v.begin(), v.end()};
}

Result<Transaction> Transaction::begin(Database& db, bool immediate) {
    ATELIER_TRY(db.exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN", "starting a library transaction"));
    return Transaction(&db);
}

Result<void> Transaction::commit() {
    if (m_db == nullptr) return fail(Errc::internal, "commit of a finished transaction");
    auto r = m_db->exec("COMMIT", "saving changes to the library");
    if (!r) return r;  // the destructor rolls back
    m_db = nullptr;
    return ok();
}

Transaction::~Transaction() {
    if (m_db != nullptr) {
        // A failed COMMIT (disk full) may have already rolled back; ignore the result then.
        sqlite3_exec(m_db->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

}  // namespace atelier::catalog::sql
