// SPDX-License-Identifier: MIT
// Licensing: purchases (Idempotency-Key, payment provider, signed licence
// token, double-entry ledger postings, transparency-log entry — one
// transaction), the buyer's licences, verification, payout statements.
#include "context.h"

namespace atelier::market_server {

namespace {

constexpr std::int64_t kIdempotencyTtl = 24 * 3600;

std::string iso_date(std::int64_t t) {
    std::time_t tt = t;
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

bool valid_key(const std::string& k) {
    if (k.empty() || k.size() > 200) return false;
    for (unsigned char c : k)
        if (c < 0x21 || c > 0x7e) return false;
    return true;
}

struct Outcome {
    int status;
    json body;
    bool store;  // deterministic outcome: store for replay
};

Outcome purchase(Context& ctx, Conn& conn, const User& u, const json& b, const std::string& key) {
    std::string listing_id = b.value("listing_id", std::string());
    std::string type = b.value("licence_type", std::string("personal"));
    std::string method = b.value("payment_method", std::string("test_ok"));
    auto error = [](int status, const char* code, std::string msg, bool store = true) {
        return Outcome{status, {{"error", {{"code", code}, {"message", std::move(msg)}}}}, store};
    };
    auto rows =
        conn.query("SELECT id, creator_id, asset_sha256, offers, split, status, currency FROM listings WHERE id = $1",
                   {listing_id});
    if (!rows) return error(500, "internal", rows.error().message, false);
    if (rows->empty() || (*rows)[0].str(5) == "pending" || (*rows)[0].str(5) == "rejected" ||
        (*rows)[0].str(5) == "removed")
        return error(404, "not_found", "no such listing");
    const auto& l = (*rows)[0];
    if (l.str(5) == "frozen")
        return error(409, "frozen", "the listing is frozen by a dispute; it cannot be bought now");
    if (l.str(1) == u.id) return error(409, "conflict", "you cannot buy a licence for your own listing");
    json offer;
    for (const auto& o : json::parse(l.str(3)))
        if (o["type"] == type) offer = o;
    if (offer.is_null()) return error(400, "invalid_argument", "this listing does not offer a '" + type + "' licence");
    auto owned = conn.query("SELECT id FROM licences WHERE listing_id = $1 AND buyer_id = $2 AND type = $3",
                            {listing_id, u.id, type});
    if (!owned) return error(500, "internal", owned.error().message, false);
    if (!owned->empty())
        return error(409, "already_licensed",
                     "you already hold a " + type + " licence for this listing: " + (*owned)[0].str(0));
    std::int64_t price = offer["price"];
    std::string currency = l.str(6);
    auto charge = ctx.payments->charge(key, u.id, price, currency, method);
    if (!charge) return error(400, "invalid_argument", charge.error().message);
    std::int64_t now = now_s();
    std::string pay_id = random_hex_id();
    auto pay = conn.exec(
        "INSERT INTO payments (id, provider, provider_ref, user_id, amount, currency, status, created) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        {pay_id, ctx.payments->name(), charge->provider_ref, u.id, price, currency,
         std::string(charge->succeeded ? "succeeded" : "declined"), now});
    if (!pay) return error(500, "internal", pay.error().message, false);
    if (!charge->succeeded) return error(402, "payment_declined", charge->decline_reason);

    std::string lic_id = random_hex_id();
    json payload = {{"v", 1},
                    {"licence_id", lic_id},
                    {"listing_id", listing_id},
                    {"buyer_id", u.id},
                    {"asset_sha256", l.str(2)},
                    {"licence_type", type},
                    {"terms_version", offer["terms_version"]},
                    {"terms_sha256", sha256_hex(offer["terms"].get<std::string>())},
                    {"issued", iso_date(now)},
                    {"licensor", "Atelier Market"},
                    {"key_id", ctx.key.key_id()}};
    std::string p = payload.dump();
    std::string token = base64url_encode(p) + "." + base64url_encode(ctx.key.sign(p));
    auto idx = tlog_append(conn, "licence", lic_id,
                           {{"licence_id", lic_id},
                            {"token_sha256", sha256_hex(token)},
                            {"asset_sha256", l.str(2)},
                            {"licence_type", type},
                            {"time", now}});
    if (!idx) return error(500, "internal", idx.error().message, false);
    auto ins = conn.exec(
        "INSERT INTO licences (id, listing_id, buyer_id, asset_sha256, type, terms_version, token, price, currency, "
        "tlog_index, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        {lic_id, listing_id, u.id, l.str(2), type, offer["terms_version"].get<std::string>(), token, price, currency,
         *idx, now});
    if (!ins) return error(500, "internal", ins.error().message, false);

    // Double-entry postings: the buyer pays the price; platform and the
    // contributors named by provenance get their basis points (rounded down);
    // the creator gets the remainder. Sum is zero by construction (asserted).
    auto split = json::parse(l.str(4));
    std::vector<std::pair<std::string, std::int64_t>> legs;
    legs.emplace_back("buyer:" + u.id, -price);
    std::int64_t rest = price;
    std::int64_t platform = price * split.value("platform_bp", 0) / 10000;
    legs.emplace_back("platform", platform);
    rest -= platform;
    for (const auto& c : split.value("contributors", json::array())) {
        std::int64_t share = price * c["bp"].get<std::int64_t>() / 10000;
        legs.emplace_back(c["account"].get<std::string>(), share);
        rest -= share;
    }
    legs.emplace_back("creator:" + l.str(1), rest);
    std::int64_t sum = 0;
    for (const auto& leg : legs)
        sum += leg.second;
    ATELIER_ASSERT(sum == 0, "purchase postings must balance");
    std::string txn = random_hex_id();
    auto t = conn.exec("INSERT INTO ledger_txns (id, kind, ref, created) VALUES ($1, 'purchase', $2, $3)",
                       {txn, lic_id, now});
    if (!t) return error(500, "internal", t.error().message, false);
    std::int64_t n = 0;
    for (const auto& [account, amount] : legs) {
        auto pst = conn.exec(
            "INSERT INTO postings (txn_id, n, account, amount, currency, listing_id, created) VALUES "
            "($1, $2, $3, $4, $5, $6, $7)",
            {txn, n++, account, amount, currency, listing_id, now});
        if (!pst) return error(500, "internal", pst.error().message, false);
    }
    if (auto c = record_change(conn, "licence", lic_id, u.id); !c)
        return error(500, "internal", c.error().message, false);
    json postings = json::array();
    for (const auto& [account, amount] : legs)
        postings.push_back({{"account", account}, {"amount", amount}});
    return Outcome{201,
                   {{"licence",
                     {{"id", lic_id},
                      {"listing_id", listing_id},
                      {"type", type},
                      {"token", token},
                      {"payload", payload},
                      {"tlog_index", *idx}}},
                    {"payment",
                     {{"id", pay_id},
                      {"provider", ctx.payments->name()},
                      {"ref", charge->provider_ref},
                      {"amount", price},
                      {"currency", currency}}},
                    {"postings", postings}},
                   true};
}

}  // namespace

void add_licence_routes(Router& r, Context& ctx) {
    r.add("POST", "/v1/purchases", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = authenticate(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        std::string key = req.header("idempotency-key");
        if (!valid_key(key))
            return Response::error(400, "invalid_argument",
                                   "send an Idempotency-Key header (1..200 printable characters, e.g. a UUID) so that "
                                   "a retry never charges twice");
        auto body = parse_body(req);
        if (!body) return err(body.error());
        if (!body->contains("listing_id") || !(*body)["listing_id"].is_string())
            return Response::error(400, "invalid_argument",
                                   "send {\"listing_id\", \"licence_type\", \"payment_method\"?}");
        json canon = {{"listing_id", body->value("listing_id", "")},
                      {"licence_type", body->value("licence_type", "personal")},
                      {"payment_method", body->value("payment_method", "test_ok")}};
        std::string req_hash = sha256_hex(canon.dump());
        for (int attempt = 0; attempt < 3; ++attempt) {
            Tx tx(**conn);
            if (auto t = tx.begin(true); !t) return err(t.error());
            auto prev = (*conn)->query(
                "SELECT request_hash, status, body, created FROM idempotency WHERE user_id = $1 AND key = $2",
                {u->id, key});
            if (!prev) return err(prev.error());
            if (!prev->empty() && (*prev)[0].i64(3) >= now_s() - kIdempotencyTtl) {
                const auto& p = (*prev)[0];
                if (p.str(0) != req_hash)
                    return Response::error(422, "idempotency_key_reused",
                                           "this Idempotency-Key was used for a different request; use a new key");
                Response res;
                res.status = static_cast<int>(p.i64(1));
                res.body = p.str(2);
                res.set_header("Idempotent-Replayed", "true");
                return res;
            }
            if (!prev->empty()) {
                auto del = (*conn)->exec("DELETE FROM idempotency WHERE user_id = $1 AND key = $2", {u->id, key});
                if (!del) return err(del.error());
            }
            auto out = purchase(ctx, **conn, *u, canon, key);
            if (!out.store) return Response::json(out.status, out.body);  // rolled back; safe to retry
            // Errors are stored too (a declined payment keeps its payments row); nothing else was written.
            auto ins = (*conn)->exec(
                "INSERT INTO idempotency (user_id, key, request_hash, status, body, created) VALUES "
                "($1, $2, $3, $4, $5, $6)",
                {u->id, key, req_hash, std::int64_t{out.status}, out.body.dump(), now_s()});
            if (!ins) {
                if (ins.error().code == Errc::conflict) continue;  // a concurrent twin won: replay its answer
                return err(ins.error());
            }
            if (auto c = tx.commit(); !c) {
                if (c.error().code == Errc::busy) continue;
                return err(c.error());
            }
            return Response::json(out.status, out.body);
        }
        return Response::error(503, "busy", "the purchase could not be recorded; retry with the same Idempotency-Key");
    });

    r.add("GET", "/v1/licences", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = authenticate(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        auto rows = (*conn)->query(
            "SELECT id, listing_id, type, token, price, currency, tlog_index, created FROM licences "
            "WHERE buyer_id = $1 ORDER BY created, id",
            {u->id});
        if (!rows) return err(rows.error());
        json items = json::array();
        for (const auto& l : *rows)
            items.push_back({{"id", l.str(0)},
                             {"listing_id", l.str(1)},
                             {"type", l.str(2)},
                             {"token", l.str(3)},
                             {"price", l.i64(4)},
                             {"currency", l.str(5)},
                             {"tlog_index", l.i64(6)},
                             {"created", l.i64(7)}});
        return Response::json(200, {{"items", items}});
    });

    r.add("GET", "/v1/licences/{id}", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = authenticate(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        auto rows = (*conn)->query(
            "SELECT id, listing_id, type, token, price, currency, tlog_index, created, buyer_id FROM "
            "licences WHERE id = $1",
            {req.params["id"]});
        if (!rows) return err(rows.error());
        if (rows->empty() || ((*rows)[0].str(8) != u->id && !u->admin()))
            return Response::error(404, "not_found", "no such licence");
        const auto& l = (*rows)[0];
        return Response::json(200, {{"id", l.str(0)},
                                    {"listing_id", l.str(1)},
                                    {"type", l.str(2)},
                                    {"token", l.str(3)},
                                    {"price", l.i64(4)},
                                    {"currency", l.str(5)},
                                    {"tlog_index", l.i64(6)},
                                    {"created", l.i64(7)}});
    });

    // Convenience check (clients can and should verify offline with the public key).
    r.add("POST", "/v1/licences/verify", [&ctx](Request& req) {
        auto body = parse_body(req);
        if (!body) return err(body.error());
        std::string token = body->value("token", std::string());
        auto dot = token.find('.');
        auto invalid = [](const std::string& why) { return Response::json(200, {{"valid", false}, {"reason", why}}); };
        if (dot == std::string::npos) return invalid("not a licence token (expected payload.signature)");
        auto payload = base64url_decode(token.substr(0, dot));
        auto sig = base64url_decode(token.substr(dot + 1));
        if (!payload || !sig) return invalid("not base64url");
        if (!SigningKey::verify(ctx.key.public_key(), *payload, *sig)) return invalid("signature does not verify");
        auto j = json::parse(*payload, nullptr, false);
        if (j.is_discarded()) return invalid("payload is not JSON");
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto rows = (*conn)->query("SELECT token FROM licences WHERE id = $1", {j.value("licence_id", std::string())});
        if (!rows) return err(rows.error());
        bool on_record = !rows->empty() && (*rows)[0].str(0) == token;
        return Response::json(200, {{"valid", true}, {"on_record", on_record}, {"payload", j}});
    });

    r.add("GET", "/v1/payouts/statement", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = authenticate(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        if (u->role != "creator" && !u->admin())
            return Response::error(403, "forbidden", "payout statements are for creator accounts");
        std::string account = "creator:" + u->id;
        auto bal = (*conn)->query(
            "SELECT currency, COALESCE(SUM(amount), 0), COUNT(*) FROM postings WHERE account = $1 "
            "GROUP BY currency ORDER BY currency",
            {account});
        if (!bal) return err(bal.error());
        auto by_listing = (*conn)->query(
            "SELECT listing_id, currency, COALESCE(SUM(amount), 0), COUNT(*) FROM postings "
            "WHERE account = $1 GROUP BY listing_id, currency ORDER BY listing_id",
            {account});
        if (!by_listing) return err(by_listing.error());
        json balances = json::array(), lines = json::array();
        for (const auto& b : *bal)
            balances.push_back({{"currency", b.str(0)}, {"amount", b.i64(1)}, {"sales", b.i64(2)}});
        for (const auto& b : *by_listing)
            lines.push_back(
                {{"listing_id", b.str(0)}, {"currency", b.str(1)}, {"amount", b.i64(2)}, {"sales", b.i64(3)}});
        return Response::json(
            200, {{"account", account}, {"balances", balances}, {"listings", lines}, {"generated", iso_date(now_s())}});
    });
}

}  // namespace atelier::market_server
