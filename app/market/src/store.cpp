// SPDX-License-Identifier: MIT
// Helpers shared by the route families (see context.h).
#include <cmath>

#include "atelier/base/hash.h"
#include "context.h"

namespace atelier::market_server {

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool RateLimiter::allow(const std::string& key, int& retry_after) {
    const auto now = std::chrono::steady_clock::now();
    const double rate = m_limit / 60.0;  // tokens per second
    std::lock_guard lock(m_mu);
    if (m_buckets.size() > 100000) {
        // Forget buckets that are full again (idle for a minute or more).
        for (auto it = m_buckets.begin(); it != m_buckets.end();)
            it = now - it->second.at > std::chrono::seconds(60) ? m_buckets.erase(it) : std::next(it);
    }
    auto [it, fresh] = m_buckets.try_emplace(key, Bucket{static_cast<double>(m_limit), now});
    auto& b = it->second;
    if (!fresh) {
        b.tokens = std::min<double>(m_limit, b.tokens + std::chrono::duration<double>(now - b.at).count() * rate);
        b.at = now;
    }
    if (b.tokens < 1.0) {
        retry_after = rate > 0 ? std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rate))) : 60;
        return false;
    }
    b.tokens -= 1.0;
    return true;
}

Result<Charge> TestPaymentProvider::charge(const std::string& idempotency_key, const std::string& buyer_id,
                                           std::int64_t amount, const std::string& currency,
                                           const std::string& method) {
    Charge c;
    c.provider_ref = "test_" + sha256_hex(buyer_id + "\n" + idempotency_key).substr(0, 24);
    if (amount <= 0 || currency.size() != 3) return fail(Errc::invalid_argument, "invalid amount or currency");
    if (method.empty() || method == "test_ok") {
        c.succeeded = true;
    } else if (method == "test_decline") {
        c.decline_reason = "the test card was declined (payment_method test_decline)";
    } else {
        return fail(Errc::invalid_argument,
                    "unknown payment_method '" + method + "' for the test provider; use test_ok or test_decline");
    }
    return c;
}

namespace {
// Nesting depth of a JSON text, ignoring brackets inside strings.
int json_depth(std::string_view s) {
    int depth = 0, max_depth = 0;
    bool in_str = false, esc = false;
    for (char c : s) {
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"')
            in_str = true;
        else if (c == '{' || c == '[')
            max_depth = std::max(max_depth, ++depth);
        else if (c == '}' || c == ']')
            --depth;
    }
    return max_depth;
}
}  // namespace

Result<json> parse_body(const Request& req) {
    if (req.body.empty()) return fail(Errc::invalid_argument, "a JSON object body is required");
    if (json_depth(req.body) > 32) return fail(Errc::invalid_argument, "JSON nested deeper than 32 levels");
    json j = json::parse(req.body, nullptr, false);
    if (j.is_discarded())
        return fail(Errc::invalid_argument, "the body is not valid JSON (or not valid UTF-8); send a JSON object");
    if (!j.is_object()) return fail(Errc::invalid_argument, "the body must be a JSON object");
    return j;
}

Response unauthorized(const Error& e) {
    auto r = Response::error(401, "unauthenticated", e.message);
    r.set_header("WWW-Authenticate", "Bearer");
    return r;
}

Result<User> authenticate(Context& ctx, Conn& conn, Request& req) {
    (void)ctx;
    auto h = req.header("authorization");
    if (h.rfind("Bearer ", 0) != 0)
        return fail(Errc::permission_denied, "log in first: send 'Authorization: Bearer <token>'");
    auto token = h.substr(7);
    if (token.size() < 20 || token.size() > 100) return fail(Errc::permission_denied, "the session token is invalid");
    auto rows = conn.query(
        "SELECT u.id, u.email, u.role, u.display_name, s.expires, s.revoked FROM sessions s JOIN users u ON "
        "u.id = s.user_id WHERE s.token_hash = $1",
        {sha256_hex(token)});
    if (!rows) return std::move(rows).error();
    if (rows->empty()) return fail(Errc::permission_denied, "the session token is unknown; log in again");
    const auto& r = (*rows)[0];
    if (!r.null(5)) return fail(Errc::permission_denied, "the session was logged out; log in again");
    if (r.i64(4) < now_s()) return fail(Errc::permission_denied, "the session expired; log in again");
    User u{r.str(0), r.str(1), r.str(2), r.str(3)};
    req.user_id = u.id;
    return u;
}

Result<std::int64_t> next_counter(Conn& conn, const std::string& name) {
    auto rows = conn.query("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value", {name});
    if (!rows) return std::move(rows).error();
    if (rows->empty()) return fail(Errc::internal, "counter '" + name + "' missing");
    return (*rows)[0].i64(0);
}

Result<std::int64_t> tlog_append(Conn& conn, const std::string& kind, const std::string& ref, const json& data) {
    auto idx = next_counter(conn, "tlog");
    if (!idx) return idx;
    std::int64_t index = *idx - 1;  // 0-based leaf index
    json leaf = data;
    leaf["kind"] = kind;
    leaf["index"] = index;
    std::string text = leaf.dump();
    auto lh = sha256_hex(std::string(1, '\0') + text);
    auto ins = conn.exec("INSERT INTO tlog (idx, leaf_hash, kind, ref, data, created) VALUES ($1, $2, $3, $4, $5, $6)",
                         {index, lh, kind, ref, text, now_s()});
    if (!ins) return std::move(ins).error();
    return index;
}

Result<void> record_change(Conn& conn, const std::string& kind, const std::string& ref, const std::string& scope_user) {
    auto seq = next_counter(conn, "changes");
    if (!seq) return std::move(seq).error();
    if (kind == "listing") {
        auto lc = next_counter(conn, "listing_changes");
        if (!lc) return std::move(lc).error();
    }
    Value scope = scope_user.empty() ? Value(nullptr) : Value(scope_user);
    auto ins = conn.exec("INSERT INTO changes (seq, kind, ref, scope_user, created) VALUES ($1, $2, $3, $4, $5)",
                         {*seq, kind, ref, scope, now_s()});
    if (!ins) return std::move(ins).error();
    return ok();
}

Result<std::vector<std::string>> tlog_leaves(Context& ctx, Conn& conn, std::int64_t& size) {
    auto cnt = conn.query("SELECT value FROM counters WHERE name = 'tlog'");
    if (!cnt) return std::move(cnt).error();
    size = cnt->empty() ? 0 : (*cnt)[0].i64(0);
    std::lock_guard lock(ctx.tlog_mu);
    auto have = static_cast<std::int64_t>(ctx.tlog_leaves.size());
    if (have < size) {
        auto rows =
            conn.query("SELECT idx, leaf_hash FROM tlog WHERE idx >= $1 AND idx < $2 ORDER BY idx", {have, size});
        if (!rows) return std::move(rows).error();
        for (const auto& r : *rows) {
            if (r.i64(0) != static_cast<std::int64_t>(ctx.tlog_leaves.size()))
                return fail(Errc::internal,
                            "transparency log has a gap at index " + std::to_string(ctx.tlog_leaves.size()));
            auto d = sha256_from_hex(r.str(1));
            if (!d) return std::move(d).error();
            ctx.tlog_leaves.emplace_back(reinterpret_cast<const char*>(d->data()), d->size());
        }
    }
    if (static_cast<std::int64_t>(ctx.tlog_leaves.size()) < size)
        return fail(Errc::busy, "transparency log entries are still being written; retry");
    return std::vector<std::string>(ctx.tlog_leaves.begin(), ctx.tlog_leaves.begin() + size);
}

bool is_hex(std::string_view s, std::size_t len) {
    if (s.size() != len) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

bool clean_text(std::string_view s, std::size_t max_bytes) {
    if (s.size() > max_bytes) return false;
    // nlohmann already rejected invalid UTF-8 in the body; refuse control characters.
    for (unsigned char c : s)
        if (c < 0x20 && c != '\n' && c != '\t') return false;
    return true;
}

const char* kListingColumns =
    "id, seq, creator_id, asset_sha256, title, description, tags, price, currency, offers, provenance, split, "
    "status, width, height, format, preview_sha256, created, updated, flag_reason";

json listing_json(const Row& r) {
    json j = {{"id", r.str(0)},
              {"cursor", r.i64(1)},
              {"creator_id", r.str(2)},
              {"asset_sha256", r.str(3)},
              {"title", r.str(4)},
              {"description", r.str(5)},
              {"tags", json::parse(r.str(6), nullptr, false)},
              {"price", r.i64(7)},
              {"currency", r.str(8)},
              {"offers", json::parse(r.str(9), nullptr, false)},
              {"provenance", json::parse(r.str(10), nullptr, false)},
              {"split", json::parse(r.str(11), nullptr, false)},
              {"status", r.str(12)},
              {"width", r.i64(13)},
              {"height", r.i64(14)},
              {"format", r.str(15)},
              {"preview_url", "/v1/listings/" + r.str(0) + "/preview"},
              {"created", r.i64(17)},
              {"updated", r.i64(18)}};
    if (!r.null(19)) j["flag_reason"] = r.str(19);
    return j;
}

}  // namespace atelier::market_server
