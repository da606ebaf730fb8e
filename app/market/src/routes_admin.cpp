// SPDX-License-Identifier: MIT
// Administration: the moderation queue (approve, reject with a reason), the
// dispute desk (uphold → listing removed, dismiss → listing live again) and
// the ledger check (balances per account, sum of all postings).
#include "context.h"

namespace atelier::market_server {

namespace {
Result<User> admin(Context& ctx, Conn& conn, Request& req, Response& out) {
    auto u = authenticate(ctx, conn, req);
    if (!u) {
        out = unauthorized(u.error());
        return std::move(u).error();
    }
    if (!u->admin()) {
        out = Response::error(403, "forbidden", "this needs an admin account");
        return fail(Errc::permission_denied, "not admin");
    }
    return u;
}
}  // namespace

void add_admin_routes(Router& r, Context& ctx) {
    r.add("GET", "/v1/admin/moderation", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        Response denied;
        if (!admin(ctx, **conn, req, denied)) return denied;
        auto rows = (*conn)->query(
            "SELECT m.listing_id, m.reason, m.created, l.title, l.creator_id FROM moderation m JOIN "
            "listings l ON l.id = m.listing_id WHERE m.state = 'pending' ORDER BY m.created, m.listing_id");
        if (!rows) return err(rows.error());
        json items = json::array();
        for (const auto& m : *rows)
            items.push_back({{"listing_id", m.str(0)},
                             {"reason", m.str(1)},
                             {"created", m.i64(2)},
                             {"title", m.str(3)},
                             {"creator_id", m.str(4)}});
        return Response::json(200, {{"items", items}});
    });

    auto decide = [&ctx](Request& req, bool approve) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        Response denied;
        auto u = admin(ctx, **conn, req, denied);
        if (!u) return denied;
        std::string reason;
        if (!approve) {
            auto body = parse_body(req);
            if (!body) return err(body.error());
            reason = body->value("reason", std::string());
            if (reason.empty() || !clean_text(reason, 2000))
                return Response::error(400, "invalid_argument",
                                       "a rejection needs a reason (1..2000 bytes) for the creator");
        }
        const std::string id = req.params["id"];
        Tx tx(**conn);
        if (auto t = tx.begin(true); !t) return err(t.error());
        auto rows = (*conn)->query(
            "SELECT m.state, l.asset_sha256, l.creator_id FROM moderation m JOIN listings l ON "
            "l.id = m.listing_id WHERE m.listing_id = $1",
            {id});
        if (!rows) return err(rows.error());
        if (rows->empty()) return Response::error(404, "not_found", "no such listing in the moderation queue");
        if ((*rows)[0].str(0) != "pending")
            return Response::error(409, "conflict", "already decided: " + (*rows)[0].str(0));
        std::int64_t now = now_s();
        auto m = (*conn)->exec(
            "UPDATE moderation SET state = $2, decided_by = $3, decision_reason = $4, decided = $5 WHERE "
            "listing_id = $1",
            {id, std::string(approve ? "approved" : "rejected"), u->id, reason, now});
        if (!m) return err(m.error());
        auto l = (*conn)->exec("UPDATE listings SET status = $2, flag_reason = $3, updated = $4 WHERE id = $1",
                               {id, std::string(approve ? "live" : "rejected"),
                                approve ? Value(nullptr) : Value("rejected: " + reason), now});
        if (!l) return err(l.error());
        if (approve) {
            auto t = tlog_append(**conn, "publish", id,
                                 {{"listing_id", id},
                                  {"asset_sha256", (*rows)[0].str(1)},
                                  {"creator_id", (*rows)[0].str(2)},
                                  {"time", now}});
            if (!t) return err(t.error());
        }
        if (auto c = record_change(**conn, "listing", id); !c) return err(c.error());
        if (auto c = tx.commit(); !c) return err(c.error());
        bump_listing_version();
        return Response::json(200, {{"listing_id", id}, {"status", approve ? "live" : "rejected"}});
    };
    r.add("POST", "/v1/admin/moderation/{id}/approve", [decide](Request& req) { return decide(req, true); });
    r.add("POST", "/v1/admin/moderation/{id}/reject", [decide](Request& req) { return decide(req, false); });

    r.add("GET", "/v1/admin/disputes", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        Response denied;
        if (!admin(ctx, **conn, req, denied)) return denied;
        auto rows = (*conn)->query(
            "SELECT id, listing_id, claimant_id, reason, state, created FROM disputes ORDER BY created, id");
        if (!rows) return err(rows.error());
        json items = json::array();
        for (const auto& d : *rows)
            items.push_back({{"id", d.str(0)},
                             {"listing_id", d.str(1)},
                             {"claimant_id", d.str(2)},
                             {"reason", d.str(3)},
                             {"state", d.str(4)},
                             {"created", d.i64(5)}});
        return Response::json(200, {{"items", items}});
    });

    r.add("POST", "/v1/admin/disputes/{id}/resolve", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        Response denied;
        if (!admin(ctx, **conn, req, denied)) return denied;
        auto body = parse_body(req);
        if (!body) return err(body.error());
        std::string outcome = body->value("outcome", std::string());
        if (outcome != "upheld" && outcome != "dismissed")
            return Response::error(400, "invalid_argument",
                                   "outcome must be upheld (listing removed) or dismissed (listing live)");
        Tx tx(**conn);
        if (auto t = tx.begin(true); !t) return err(t.error());
        auto rows = (*conn)->query("SELECT listing_id, state FROM disputes WHERE id = $1", {req.params["id"]});
        if (!rows) return err(rows.error());
        if (rows->empty()) return Response::error(404, "not_found", "no such dispute");
        if ((*rows)[0].str(1) != "open")
            return Response::error(409, "conflict", "the dispute is already " + (*rows)[0].str(1));
        std::string lid = (*rows)[0].str(0);
        auto d = (*conn)->exec("UPDATE disputes SET state = $2, resolution = $3, resolved = $4 WHERE id = $1",
                               {req.params["id"], outcome, body->value("note", std::string()), now_s()});
        if (!d) return err(d.error());
        // The listing stays frozen while other disputes on it are open.
        auto open = (*conn)->query("SELECT COUNT(*) FROM disputes WHERE listing_id = $1 AND state = 'open'", {lid});
        if (!open) return err(open.error());
        std::string status = outcome == "upheld" ? "removed" : ((*open)[0].i64(0) > 0 ? "frozen" : "live");
        auto l = (*conn)->exec("UPDATE listings SET status = $2, updated = $3 WHERE id = $1 AND status = 'frozen'",
                               {lid, status, now_s()});
        if (!l) return err(l.error());
        if (auto c = record_change(**conn, "listing", lid); !c) return err(c.error());
        if (auto c = tx.commit(); !c) return err(c.error());
        bump_listing_version();
        return Response::json(200, {{"id", req.params["id"]}, {"state", outcome}, {"listing_status", status}});
    });

    r.add("GET", "/v1/admin/ledger", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        Response denied;
        if (!admin(ctx, **conn, req, denied)) return denied;
        auto total = (*conn)->query(
            "SELECT currency, COALESCE(SUM(amount), 0), COUNT(*) FROM postings GROUP BY currency ORDER BY currency");
        if (!total) return err(total.error());
        auto accounts = (*conn)->query(
            "SELECT account, currency, COALESCE(SUM(amount), 0) FROM postings GROUP BY account, "
            "currency ORDER BY account, currency");
        if (!accounts) return err(accounts.error());
        auto unbalanced = (*conn)->query("SELECT txn_id FROM postings GROUP BY txn_id HAVING SUM(amount) <> 0");
        if (!unbalanced) return err(unbalanced.error());
        auto txns = (*conn)->query("SELECT COUNT(*) FROM ledger_txns");
        if (!txns) return err(txns.error());
        json t = json::array(), a = json::array(), ub = json::array();
        std::int64_t sum = 0;
        for (const auto& x : *total) {
            t.push_back({{"currency", x.str(0)}, {"sum", x.i64(1)}, {"postings", x.i64(2)}});
            sum += x.i64(1);
        }
        for (const auto& x : *accounts)
            a.push_back({{"account", x.str(0)}, {"currency", x.str(1)}, {"balance", x.i64(2)}});
        for (const auto& x : *unbalanced)
            ub.push_back(x.str(0));
        return Response::json(200, {{"sum", sum},
                                    {"by_currency", t},
                                    {"accounts", a},
                                    {"unbalanced_txns", ub},
                                    {"transactions", (*txns)[0].i64(0)}});
    });
}

}  // namespace atelier::market_server
