// SPDX-License-Identifier: MIT
// Operations: /healthz, /metrics, /openapi.json and the licence public key.
#include "context.h"

namespace atelier::market_server {

void add_ops_routes(Router& r, Context& ctx) {
    r.add("GET", "/healthz", [&ctx](Request&) {
        auto conn = ctx.db->acquire();
        if (!conn) return Response::error(503, "unavailable", conn.error().message);
        auto q = (*conn)->query("SELECT 1");
        if (!q) return Response::error(503, "unavailable", q.error().message);
        return Response::json(200, {{"status", "ok"},
                                    {"db", ctx.db->backend() == Backend::sqlite ? "sqlite" : "postgres"},
                                    {"schema_version", ctx.db->schema_version()}});
    });

    // Metrics describe the business (ledger volume, queues): readable by an
    // admin session or by a scraper holding market.metrics_token (compared in
    // constant time), 401 for anyone else, 403 for other users.
    r.add("GET", "/metrics", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        const auto auth = req.header("authorization");
        const std::string& tok = ctx.opt.metrics_token;
        bool allowed = !tok.empty() && auth.size() == tok.size() + 7 && auth.rfind("Bearer ", 0) == 0 &&
                       constant_time_equal(auth.substr(7), tok);
        if (!allowed) {
            auto u = authenticate(ctx, **conn, req);
            if (!u) return unauthorized(u.error());
            if (!u->admin())
                return Response::error(403, "forbidden", "/metrics is for admins and the configured metrics scraper");
        }
        Response res;
        res.content_type = "text/plain; version=0.0.4";
        res.body = ctx.server ? ctx.server->metrics().render(ctx.server->router().routes()) : std::string();
        auto gauge = [&](const char* name, const char* help, const char* sql) {
            auto q = (*conn)->query(sql);
            if (!q || q->empty()) return;
            res.body += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n";
            res.body += std::string(name) + " " + std::to_string((*q)[0].i64(0)) + "\n";
        };
        gauge("atelier_moderation_queue", "Listings waiting for review.",
              "SELECT COUNT(*) FROM moderation WHERE state = 'pending'");
        gauge("atelier_open_disputes", "Disputes not yet resolved.",
              "SELECT COUNT(*) FROM disputes WHERE state = 'open'");
        gauge("atelier_open_uploads", "Uploads not completed.", "SELECT COUNT(*) FROM uploads WHERE state = 'open'");
        gauge("atelier_listings_live", "Live listings.", "SELECT COUNT(*) FROM listings WHERE status = 'live'");
        gauge("atelier_licences_total", "Licences issued.", "SELECT COUNT(*) FROM licences");
        gauge("atelier_tlog_size", "Transparency log entries.", "SELECT value FROM counters WHERE name = 'tlog'");
        auto totals = (*conn)->query(
            "SELECT currency, COALESCE(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END), 0), COALESCE(SUM(amount), 0) "
            "FROM postings GROUP BY currency ORDER BY currency");
        if (totals) {
            res.body +=
                "# HELP atelier_ledger_volume_minor Sum of credits posted, minor units.\n"
                "# TYPE atelier_ledger_volume_minor counter\n";
            for (const auto& t : *totals)
                res.body +=
                    "atelier_ledger_volume_minor{currency=\"" + t.str(0) + "\"} " + std::to_string(t.i64(1)) + "\n";
            res.body +=
                "# HELP atelier_ledger_balance_minor Sum of all postings (always 0).\n"
                "# TYPE atelier_ledger_balance_minor gauge\n";
            for (const auto& t : *totals)
                res.body +=
                    "atelier_ledger_balance_minor{currency=\"" + t.str(0) + "\"} " + std::to_string(t.i64(2)) + "\n";
        }
        return res;
    });

    r.add("GET", "/openapi.json", [](Request&) {
        Response res;
        res.body = std::string(openapi_document());
        return res;
    });

    r.add("GET", "/.well-known/atelier-market-key", [&ctx](Request&) {
        auto res = Response::json(200, {{"alg", "Ed25519"},
                                        {"key_id", ctx.key.key_id()},
                                        {"public_key", base64url_encode(ctx.key.public_key())},
                                        {"token_format",
                                         "base64url(payload JSON) '.' base64url(Ed25519 signature of "
                                         "the payload bytes)"}});
        res.set_header("Cache-Control", "public, max-age=3600");
        return res;
    });
}

}  // namespace atelier::market_server
