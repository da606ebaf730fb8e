// SPDX-License-Identifier: MIT
#include "atelier/provenance/log.h"

#include <sqlite3.h>

#include <chrono>
#include <ctime>

#include "atelier/base/hash.h"
#include "atelier/base/paths.h"
#include "atelier/provenance/cose.h"

namespace atelier::provenance {

namespace {

constexpr int kSchemaVersion = 1;
const std::string kZeroHash(64, '0');

struct DbDeleter {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbDeleter>;
struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// All SQL in one place.
namespace sql {
constexpr const char* create = R"(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS entries(
  seq INTEGER PRIMARY KEY,
  asset TEXT NOT NULL,
  body BLOB NOT NULL,
  hash TEXT NOT NULL,
  signature BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS entries_asset ON entries(asset);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
  BEGIN SELECT RAISE(ABORT, 'the provenance log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
  BEGIN SELECT RAISE(ABORT, 'the provenance log is append-only'); END;
)";
constexpr const char* get_meta = "SELECT value FROM meta WHERE key = ?1";
constexpr const char* put_meta =
    "INSERT INTO meta(key, value) VALUES(?1, ?2) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
constexpr const char* last = "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1";
constexpr const char* insert = "INSERT INTO entries(seq, asset, body, hash, signature) VALUES(?1, ?2, ?3, ?4, ?5)";
constexpr const char* by_seq = "SELECT seq, body, signature FROM entries WHERE seq = ?1";
constexpr const char* all = "SELECT seq, body, signature FROM entries ORDER BY seq";
constexpr const char* by_asset = "SELECT seq, body, signature FROM entries WHERE asset = ?1 ORDER BY seq";
}  // namespace sql

std::string now_utc() {
    const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string base64(ByteView b) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < b.size(); i += 3) {
        const unsigned v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
    }
    if (i + 1 == b.size()) {
        const unsigned v = b[i] << 16;
        out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == b.size()) {
        const unsigned v = (b[i] << 16) | (b[i + 1] << 8);
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
    }
    return out;
}

/// Decodes a body; an error if it is not a well-formed v1 entry.
Result<LogEntry> decode_body(ByteView body) {
    auto c = cbor_decode(body);
    if (!c) return c.error();
    if (!c->is(Cbor::Type::map)) return fail(Errc::corrupt_data, "log entry body is not a map");
    LogEntry e;
    auto text = [&](const char* k, std::string& out) {
        const Cbor* v = c->find(k);
        if (!v || !v->is(Cbor::Type::text)) return false;
        out = v->as_text();
        return true;
    };
    const Cbor* v = c->find("v");
    const Cbor* seq = c->find("seq");
    if (!v || v->as_int() != 1 || !seq || !seq->is(Cbor::Type::unsigned_int))
        return fail(Errc::corrupt_data, "log entry body has no version 1 / sequence number");
    e.seq = *seq->as_int();
    if (!text("time", e.time) || !text("action", e.action) || !text("asset", e.asset_sha256) ||
        !text("manifest", e.manifest) || !text("prev", e.prev_hash) || !text("signer", e.signer))
        return fail(Errc::corrupt_data, "log entry body misses a field");
    if (const Cbor* d = c->find("details")) e.details = cbor_to_json(*d);
    e.body.assign(body.begin(), body.end());
    e.hash = to_hex(sha256(body));
    return e;
}

}  // namespace

nlohmann::json LogEntry::to_json() const {
    return {{"seq", seq},
            {"time", time},
            {"action", action},
            {"asset", asset_sha256},
            {"manifest", manifest},
            {"details", details},
            {"prev", prev_hash},
            {"hash", hash},
            {"signer", signer},
            {"body_cbor_base64", base64(body)},
            {"signature_cose_base64", base64(signature)}};
}

struct ProvenanceLog::Impl {
    std::filesystem::path path;
    DbPtr db;
    std::optional<SigningIdentity> signer;

    Error db_error(const std::string& what) const {
        return fail(Errc::io_error, what + " in " + path.string() + ": " + sqlite3_errmsg(db.get()));
    }
    Result<StmtPtr> prepare(const char* q) const {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db.get(), q, -1, &s, nullptr) != SQLITE_OK) return db_error("preparing a query");
        return StmtPtr(s);
    }
    Result<void> exec(const char* q) const {
        char* msg = nullptr;
        if (sqlite3_exec(db.get(), q, nullptr, nullptr, &msg) != SQLITE_OK) {
            std::string m = msg ? msg : "unknown error";
            sqlite3_free(msg);
            return fail(Errc::io_error, "SQLite error in " + path.string() + ": " + m);
        }
        return ok();
    }
    Result<std::optional<Bytes>> meta(const std::string& key) const {
        auto s = prepare(sql::get_meta);
        if (!s) return s.error();
        sqlite3_bind_text(s->get(), 1, key.c_str(), -1, SQLITE_TRANSIENT);
        const int rc = sqlite3_step(s->get());
        if (rc == SQLITE_DONE) return std::optional<Bytes>{};
        if (rc != SQLITE_ROW) return db_error("reading metadata");
        const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s->get(), 0));
        return std::optional<Bytes>(Bytes(p, p + sqlite3_column_bytes(s->get(), 0)));
    }
    Result<void> set_meta(const std::string& key, ByteView value) const {
        auto s = prepare(sql::put_meta);
        if (!s) return s.error();
        sqlite3_bind_text(s->get(), 1, key.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(s->get(), 2, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
        if (sqlite3_step(s->get()) != SQLITE_DONE) return db_error("writing metadata");
        return ok();
    }
    Result<std::vector<LogEntry>> rows(sqlite3_stmt* s) const {
        std::vector<LogEntry> out;
        for (;;) {
            const int rc = sqlite3_step(s);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) return db_error("reading the log");
            const auto* b = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 1));
            const ByteView body(b, static_cast<std::size_t>(sqlite3_column_bytes(s, 1)));
            auto e = decode_body(body);
            LogEntry entry;
            if (e) {
                entry = std::move(*e);
            } else {  // keep unreadable rows visible to verify
                entry.body.assign(body.begin(), body.end());
                entry.hash = to_hex(sha256(body));
                entry.action = "<unreadable: " + e.error().message + ">";
            }
            entry.seq = sqlite3_column_int64(s, 0);  // the row's own number; verify compares it to the body
            const auto* sg = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 2));
            entry.signature.assign(sg, sg + sqlite3_column_bytes(s, 2));
            out.push_back(std::move(entry));
        }
        return out;
    }
};

ProvenanceLog::ProvenanceLog(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ProvenanceLog::ProvenanceLog(ProvenanceLog&&) noexcept = default;
ProvenanceLog& ProvenanceLog::operator=(ProvenanceLog&&) noexcept = default;
ProvenanceLog::~ProvenanceLog() = default;

std::filesystem::path ProvenanceLog::default_path() {
    return paths::data_dir() / "provenance.db";
}

Result<ProvenanceLog> ProvenanceLog::open(const std::filesystem::path& db, std::optional<SigningIdentity> signer) {
    if (db.has_parent_path()) ATELIER_TRY(paths::ensure_dir(db.parent_path()));
    auto impl = std::make_unique<Impl>();
    impl->path = db;
    impl->signer = std::move(signer);
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    impl->db.reset(raw);
    if (rc != SQLITE_OK) return fail(Errc::io_error, "cannot open the provenance log " + db.string());
    sqlite3_busy_timeout(raw, 5000);
    ATELIER_TRY(impl->exec("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"));
    ATELIER_TRY(impl->exec("BEGIN IMMEDIATE"));
    auto version = impl->meta("schema_version");
    if (!version.ok() || !*version) {
        // New database (or one without meta yet).
        auto created = impl->exec(sql::create);
        if (!created) {
            (void)impl->exec("ROLLBACK");
            return created.error();
        }
        const std::string v = std::to_string(kSchemaVersion);
        auto set =
            impl->set_meta("schema_version", ByteView(reinterpret_cast<const std::uint8_t*>(v.data()), v.size()));
        if (!set) {
            (void)impl->exec("ROLLBACK");
            return set.error();
        }
    } else {
        const int have = std::atoi(std::string((*version)->begin(), (*version)->end()).c_str());
        if (have > kSchemaVersion) {
            (void)impl->exec("ROLLBACK");
            return fail(Errc::unsupported, "the provenance log " + db.string() + " has schema version " +
                                               std::to_string(have) + ", newer than this Atelier (" +
                                               std::to_string(kSchemaVersion) + "); update Atelier");
        }
    }
    ATELIER_TRY(impl->exec("COMMIT"));
    return ProvenanceLog(std::move(impl));
}

Result<LogEntry> ProvenanceLog::append(const std::string& action, const std::string& asset_sha256,
                                       const std::string& manifest, const nlohmann::json& details) {
    auto& d = *m_impl;
    if (!d.signer) return fail(Errc::permission_denied, "the provenance log was opened without a signing key");
    if (action.empty()) return fail(Errc::invalid_argument, "a log entry needs an action");
    if (asset_sha256.size() != 64 || !sha256_from_hex(asset_sha256).ok())
        return fail(Errc::invalid_argument, "a log entry needs the asset's SHA-256 as 64 hex digits");
    ATELIER_TRY(d.exec("BEGIN IMMEDIATE"));
    auto rollback = [&](Error e) {
        (void)d.exec("ROLLBACK");
        return e;
    };
    auto last = d.prepare(sql::last);
    if (!last) return rollback(last.error());
    std::int64_t seq = 1;
    std::string prev = kZeroHash;
    const int rc = sqlite3_step(last->get());
    if (rc == SQLITE_ROW) {
        seq = sqlite3_column_int64(last->get(), 0) + 1;
        prev = reinterpret_cast<const char*>(sqlite3_column_text(last->get(), 1));
    } else if (rc != SQLITE_DONE) {
        return rollback(d.db_error("reading the log head"));
    }
    last->reset();

    Cbor body = Cbor::map();
    body.set("v", Cbor::uint(1));
    body.set("seq", Cbor::uint(static_cast<std::uint64_t>(seq)));
    body.set("time", Cbor::text(now_utc()));
    body.set("action", Cbor::text(action));
    body.set("asset", Cbor::text(asset_sha256));
    body.set("manifest", Cbor::text(manifest));
    body.set("details", details.is_object() ? json_to_cbor(details) : Cbor::map());
    body.set("prev", Cbor::text(prev));
    body.set("signer", Cbor::text(to_hex(sha256(d.signer->chain.front().der()))));
    const Bytes bytes = cbor_encode(body);
    auto sig = cose_sign1_detached(*d.signer, bytes);
    if (!sig) return rollback(sig.error());
    const std::string hash = to_hex(sha256(bytes));

    auto ins = d.prepare(sql::insert);
    if (!ins) return rollback(ins.error());
    sqlite3_bind_int64(ins->get(), 1, seq);
    sqlite3_bind_text(ins->get(), 2, asset_sha256.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins->get(), 3, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(ins->get(), 4, hash.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins->get(), 5, sig->data(), static_cast<int>(sig->size()), SQLITE_TRANSIENT);
    if (sqlite3_step(ins->get()) != SQLITE_DONE) return rollback(d.db_error("appending to the log"));
    // Signed head: detects entries cut from the end.
    const Bytes head = cbor_encode(Cbor::array({Cbor::uint(static_cast<std::uint64_t>(seq)), Cbor::text(hash)}));
    auto head_sig = cose_sign1_detached(*d.signer, head);
    if (!head_sig) return rollback(head_sig.error());
    auto s1 = d.set_meta("head", head);
    if (!s1) return rollback(s1.error());
    auto s2 = d.set_meta("head_signature", *head_sig);
    if (!s2) return rollback(s2.error());
    ATELIER_TRY(d.exec("COMMIT"));

    auto e = decode_body(bytes);
    if (!e) return e.error();
    e->signature = std::move(*sig);
    return e;
}

Result<LogEntry> ProvenanceLog::get(std::int64_t seq) const {
    auto s = m_impl->prepare(sql::by_seq);
    if (!s) return s.error();
    sqlite3_bind_int64(s->get(), 1, seq);
    auto r = m_impl->rows(s->get());
    if (!r) return r.error();
    if (r->empty()) return fail(Errc::not_found, "no provenance log entry " + std::to_string(seq));
    return std::move(r->front());
}

Result<std::vector<LogEntry>> ProvenanceLog::list(std::size_t limit) const {
    auto s = m_impl->prepare(sql::all);
    if (!s) return s.error();
    auto r = m_impl->rows(s->get());
    if (!r) return r.error();
    if (limit > 0 && r->size() > limit) r->erase(r->begin(), r->end() - static_cast<long>(limit));
    return r;
}

Result<std::vector<LogEntry>> ProvenanceLog::for_asset(const std::string& asset_sha256) const {
    auto s = m_impl->prepare(sql::by_asset);
    if (!s) return s.error();
    sqlite3_bind_text(s->get(), 1, asset_sha256.c_str(), -1, SQLITE_TRANSIENT);
    return m_impl->rows(s->get());
}

namespace {
/// Verifies a detached COSE signature over `payload`; returns the signer chain.
std::optional<std::vector<Certificate>> check_signature(ByteView cose, ByteView payload) {
    auto msg = cose_sign1_parse(cose);
    if (!msg || msg->x5chain.empty()) return std::nullopt;
    std::vector<Certificate> chain;
    for (const auto& der : msg->x5chain) {
        auto c = Certificate::from_der(der);
        if (!c) return std::nullopt;
        chain.push_back(std::move(*c));
    }
    auto good = cose_sign1_verify(*msg, chain.front().public_key(), payload);
    if (!good || !*good) return std::nullopt;
    return chain;
}
}  // namespace

Result<std::vector<LogProblem>> ProvenanceLog::verify(const std::vector<Certificate>& anchors) const {
    auto entries = list();
    if (!entries) return entries.error();
    std::vector<LogProblem> problems;
    std::string prev = kZeroHash;
    std::int64_t expected = 1;
    for (const auto& row : *entries) {
        auto e = decode_body(row.body);
        if (!e) {
            problems.push_back(
                {row.seq, "edited", "entry " + std::to_string(row.seq) + " cannot be read: " + e.error().message});
            prev = row.hash;
            expected = row.seq + 1;
            continue;
        }
        if (row.seq != expected) {
            problems.push_back({row.seq, "removed",
                                "entries " + std::to_string(expected) + " to " + std::to_string(row.seq - 1) +
                                    " are missing (removed)"});
        }
        if (e->seq != row.seq) {
            problems.push_back({row.seq, "reordered",
                                "entry stored as " + std::to_string(row.seq) + " says it is entry " +
                                    std::to_string(e->seq) + " (reordered)"});
        } else if (e->prev_hash != prev && row.seq == expected) {
            problems.push_back(
                {row.seq, "reordered",
                 "entry " + std::to_string(row.seq) + " does not follow the previous entry (reordered or replaced)"});
        }
        auto chain = check_signature(row.signature, row.body);
        if (!chain) {
            problems.push_back(
                {row.seq, "edited", "entry " + std::to_string(row.seq) + " does not match its signature (edited)"});
        } else {
            if (to_hex(sha256(chain->front().der())) != e->signer)
                problems.push_back(
                    {row.seq, "signature", "entry " + std::to_string(row.seq) + " names a different signer"});
            if (!anchors.empty() && !check_chain(*chain, anchors).trusted)
                problems.push_back(
                    {row.seq, "untrusted", "entry " + std::to_string(row.seq) + " is signed by an untrusted key"});
        }
        prev = row.hash;
        expected = row.seq + 1;
    }
    // The signed head must name the last entry.
    auto head = m_impl->meta("head");
    auto head_sig = m_impl->meta("head_signature");
    if (!head || !head_sig) return head ? head_sig.error() : head.error();
    if (*head && *head_sig) {
        const bool head_ok = check_signature(**head_sig, **head).has_value();
        auto h = cbor_decode(**head);
        std::int64_t head_seq = 0;
        std::string head_hash;
        if (h && h->is(Cbor::Type::array) && h->items().size() == 2 && h->items()[0].as_int() &&
            h->items()[1].is(Cbor::Type::text)) {
            head_seq = *h->items()[0].as_int();
            head_hash = h->items()[1].as_text();
        }
        if (!head_ok) {
            problems.push_back({head_seq, "edited", "the log head does not match its signature"});
        } else if (entries->empty() || entries->back().seq != head_seq || entries->back().hash != head_hash) {
            const std::int64_t last = entries->empty() ? 0 : entries->back().seq;
            if (last < head_seq)
                problems.push_back({last + 1, "truncated",
                                    "entries " + std::to_string(last + 1) + " to " + std::to_string(head_seq) +
                                        " were cut from the end"});
            else
                problems.push_back({last, "edited", "the last entry is not the one the signed head names"});
        }
    } else if (!entries->empty()) {
        problems.push_back({0, "truncated", "the signed log head is missing"});
    }
    return problems;
}

}  // namespace atelier::provenance
