// SPDX-License-Identifier: MIT
// The transparency log (RFC 9162 style): signed tree heads, entries,
// inclusion and consistency proofs. Hashes are lower-case hex.
#include "atelier/base/hash.h"
#include "atelier/market_server/merkle.h"
#include "context.h"

namespace atelier::market_server {

namespace {
std::string hex(const std::string& bin) {
    return to_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bin.data()), bin.size()));
}
json hex_list(const std::vector<std::string>& v) {
    json a = json::array();
    for (const auto& h : v)
        a.push_back(hex(h));
    return a;
}
bool parse_i64(const std::string& s, std::int64_t& out) {
    try {
        std::size_t pos = 0;
        out = std::stoll(s, &pos);
        return pos == s.size() && out >= 0;
    } catch (...) {
        return false;
    }
}
}  // namespace

void add_log_routes(Router& r, Context& ctx) {
    r.add("GET", "/v1/log/sth", [&ctx](Request&) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        std::int64_t size = 0;
        auto leaves = tlog_leaves(ctx, **conn, size);
        if (!leaves) return err(leaves.error());
        auto root = hex(merkle::root(*leaves, static_cast<std::size_t>(size)));
        auto ts =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        std::string msg = "atelier-market-sth:v1:" + std::to_string(size) + ":" + std::to_string(ts) + ":" + root;
        return Response::json(200, {{"tree_size", size},
                                    {"timestamp", ts},
                                    {"root_hash", root},
                                    {"key_id", ctx.key.key_id()},
                                    {"signed_message", msg},
                                    {"signature", base64url_encode(ctx.key.sign(msg))}});
    });

    r.add("GET", "/v1/log/entries/{index}", [&ctx](Request& req) {
        std::int64_t idx = 0;
        if (!parse_i64(req.params["index"], idx))
            return Response::error(400, "invalid_argument", "index must be an integer >= 0");
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto rows = (*conn)->query("SELECT idx, kind, ref, data, leaf_hash FROM tlog WHERE idx = $1", {idx});
        if (!rows) return err(rows.error());
        if (rows->empty()) return Response::error(404, "not_found", "no log entry " + std::to_string(idx));
        const auto& e = (*rows)[0];
        return Response::json(
            200,
            {{"index", e.i64(0)}, {"kind", e.str(1)}, {"ref", e.str(2)}, {"data", e.str(3)}, {"leaf_hash", e.str(4)}});
    });

    r.add("GET", "/v1/log/proof/inclusion", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        std::int64_t size = 0;
        auto leaves = tlog_leaves(ctx, **conn, size);
        if (!leaves) return err(leaves.error());
        std::int64_t idx = 0, n = size;
        if (!parse_i64(req.query_or("index"), idx) ||
            (!req.query_or("tree_size").empty() && !parse_i64(req.query_or("tree_size"), n)))
            return Response::error(400, "invalid_argument", "index and tree_size must be integers >= 0");
        if (n > size || idx >= n)
            return Response::error(400, "out_of_range", "need index < tree_size <= " + std::to_string(size));
        auto path = merkle::inclusion_proof(*leaves, static_cast<std::size_t>(idx), static_cast<std::size_t>(n));
        return Response::json(200, {{"index", idx},
                                    {"tree_size", n},
                                    {"leaf_hash", hex((*leaves)[static_cast<std::size_t>(idx)])},
                                    {"root_hash", hex(merkle::root(*leaves, static_cast<std::size_t>(n)))},
                                    {"audit_path", hex_list(path)}});
    });

    r.add("GET", "/v1/log/proof/consistency", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        std::int64_t size = 0;
        auto leaves = tlog_leaves(ctx, **conn, size);
        if (!leaves) return err(leaves.error());
        std::int64_t first = 0, second = 0;
        if (!parse_i64(req.query_or("first"), first) || !parse_i64(req.query_or("second"), second))
            return Response::error(400, "invalid_argument", "first and second must be integers");
        if (first < 1 || first > second || second > size)
            return Response::error(400, "out_of_range", "need 1 <= first <= second <= " + std::to_string(size));
        auto proof =
            merkle::consistency_proof(*leaves, static_cast<std::size_t>(first), static_cast<std::size_t>(second));
        return Response::json(200, {{"first", first},
                                    {"second", second},
                                    {"first_root", hex(merkle::root(*leaves, static_cast<std::size_t>(first)))},
                                    {"second_root", hex(merkle::root(*leaves, static_cast<std::size_t>(second)))},
                                    {"proof", hex_list(proof)}});
    });
}

}  // namespace atelier::market_server
