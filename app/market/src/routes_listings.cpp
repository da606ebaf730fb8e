// SPDX-License-Identifier: MIT
// Listings: browse and search (full text + facets, keyset pagination, ETags),
// one listing, owner edits, previews, licensed full-resolution downloads,
// copyright disputes (which freeze the listing), and the sync feed.
#include <algorithm>
#include <cstdio>

#include "context.h"
#include "listing_index.h"

namespace atelier::market_server {

namespace {
const char* kLicenceTypes[] = {"personal", "commercial", "extended"};
const char* kDefaultTerms[] = {
    "Personal licence: use in personal, non-commercial projects. No resale or redistribution of the file.",
    "Commercial licence: use in commercial products and marketing, up to 10,000 units. No resale of the file "
    "itself.",
    "Extended licence: unlimited commercial use including products for resale (print on demand, templates). No "
    "redistribution of the file as a stand-alone asset."};
const int kDefaultMultiplier[] = {1, 3, 10};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}
}  // namespace

Result<json> normalise_listing(const json& in, bool partial) {
    if (!in.is_object()) return fail(Errc::invalid_argument, "listing must be an object");
    json out = json::object();
    auto text = [&](const char* key, std::size_t lo, std::size_t hi) -> Result<void> {
        if (!in.contains(key)) {
            if (partial) return ok();
            if (lo == 0) {
                out[key] = "";
                return ok();
            }
            return fail(Errc::invalid_argument, std::string("listing.") + key + " is required");
        }
        if (!in[key].is_string())
            return fail(Errc::invalid_argument, std::string("listing.") + key + " must be a string");
        std::string v = in[key];
        if (v.size() < lo || !clean_text(v, hi))
            return fail(Errc::invalid_argument, std::string("listing.") + key + " must have " + std::to_string(lo) +
                                                    ".." + std::to_string(hi) + " bytes and no control characters");
        out[key] = v;
        return ok();
    };
    ATELIER_TRY(text("title", 1, 200));
    ATELIER_TRY(text("description", 0, 5000));
    if (in.contains("tags") || !partial) {
        json tags = json::array();
        if (in.contains("tags")) {
            if (!in["tags"].is_array() || in["tags"].size() > 30)
                return fail(Errc::invalid_argument, "listing.tags must be an array of at most 30 strings");
            for (const auto& t : in["tags"]) {
                if (!t.is_string()) return fail(Errc::invalid_argument, "each tag must be a string");
                std::string s = lower(t.get<std::string>());
                if (s.empty() || !clean_text(s, 40) || s.find_first_of(" \t\n,") != std::string::npos)
                    return fail(Errc::invalid_argument, "tag '" + s + "' must be 1..40 bytes without spaces or commas");
                if (std::find(tags.begin(), tags.end(), s) == tags.end()) tags.push_back(s);
            }
        }
        out["tags"] = tags;
    }
    if (in.contains("price") || !partial) {
        if (!in.contains("price") || !in["price"].is_number_integer() || in["price"].get<std::int64_t>() <= 0 ||
            in["price"].get<std::int64_t>() > 100'000'000)
            return fail(Errc::invalid_argument,
                        "listing.price must be an integer number of minor units (cents), 1..100000000");
        out["price"] = in["price"];
    }
    if (in.contains("currency") || !partial) {
        std::string c = in.value("currency", std::string("EUR"));
        if (c.size() != 3 || !std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; }))
            return fail(Errc::invalid_argument, "listing.currency must be an ISO 4217 code such as EUR or USD");
        out["currency"] = c;
    }
    if (in.contains("offers") || !partial) {
        json offers = json::array();
        std::int64_t base = out.contains("price") ? out["price"].get<std::int64_t>() : 0;
        if (in.contains("offers")) {
            if (!in["offers"].is_array() || in["offers"].empty() || in["offers"].size() > 3)
                return fail(Errc::invalid_argument, "listing.offers must list 1..3 licence offers");
            for (const auto& o : in["offers"]) {
                if (!o.is_object() || !o.contains("type") || !o["type"].is_string())
                    return fail(Errc::invalid_argument, "each offer needs a type: personal, commercial or extended");
                std::string type = o["type"];
                int k = -1;
                for (int i = 0; i < 3; ++i)
                    if (type == kLicenceTypes[i]) k = i;
                if (k < 0)
                    return fail(Errc::invalid_argument,
                                "offer type '" + type + "' must be personal, commercial or extended");
                std::int64_t price = o.value("price", base * kDefaultMultiplier[k]);
                if (price <= 0 || price > 1'000'000'000)
                    return fail(Errc::invalid_argument, "offer price must be positive");
                std::string terms = o.value("terms", std::string(kDefaultTerms[k]));
                std::string version = o.value("terms_version", std::string("1"));
                if (!clean_text(terms, 10000) || !clean_text(version, 40))
                    return fail(Errc::invalid_argument, "offer terms: at most 10000 bytes of text");
                offers.push_back({{"type", type}, {"price", price}, {"terms", terms}, {"terms_version", version}});
            }
        } else {
            for (int k = 0; k < 3; ++k)
                offers.push_back({{"type", kLicenceTypes[k]},
                                  {"price", base * kDefaultMultiplier[k]},
                                  {"terms", kDefaultTerms[k]},
                                  {"terms_version", "1"}});
        }
        out["offers"] = offers;
    }
    if (in.contains("provenance")) {
        if (!in["provenance"].is_object() || in["provenance"].dump().size() > 16384)
            return fail(Errc::invalid_argument, "listing.provenance must be an object under 16 KiB");
        for (const char* k : {"model_author", "prompt_author"})
            if (in["provenance"].contains(k) &&
                (!in["provenance"][k].is_string() || !clean_text(in["provenance"][k].get<std::string>(), 100) ||
                 in["provenance"][k].get<std::string>().empty()))
                return fail(Errc::invalid_argument, std::string("provenance.") + k + " must be a short name");
        out["provenance"] = in["provenance"];
    } else if (!partial) {
        out["provenance"] = json::object();
    }
    return out;
}

Result<void> index_listing(Conn& conn, const std::string& id, const json& meta) {
    ATELIER_TRY(conn.exec("DELETE FROM listing_tags WHERE listing_id = $1", {id}));
    ATELIER_TRY(conn.exec("DELETE FROM listings_fts WHERE listing_id = $1", {id}));
    std::string body = meta.value("title", "") + "\n" + meta.value("description", "");
    for (const auto& t : meta["tags"]) {
        ATELIER_TRY(
            conn.exec("INSERT INTO listing_tags (listing_id, tag) VALUES ($1, $2)", {id, t.get<std::string>()}));
        body += " " + t.get<std::string>();
    }
    ATELIER_TRY(conn.exec("INSERT INTO listings_fts (listing_id, body) VALUES ($1, $2)", {id, body}));
    return ok();
}

namespace {

Result<std::optional<User>> optional_user(Context& ctx, Conn& conn, Request& req) {
    if (req.header("authorization").empty()) return std::optional<User>();
    auto u = authenticate(ctx, conn, req);
    if (!u) return std::move(u).error();
    return std::optional<User>(*u);
}

bool visible(const Row& r, const std::optional<User>& u) {
    auto status = r.str(12);
    if (status == "live" || status == "frozen") return true;
    return u && (u->admin() || u->id == r.str(2));
}

}  // namespace

void bump_listing_version() {
    ListingIndex::note_local_write();
}

void add_listing_routes(Router& r, Context& ctx) {
    // Browse and search: answered from the in-memory index (listing_index.h),
    // which follows the database's change feed; no SQL on this path.
    r.add("GET", "/v1/listings", [&ctx](Request& req) {
        ListingQuery lq;
        auto q = req.query_or("q");
        if (!q.empty()) {
            if (!clean_text(q, 200)) return Response::error(400, "invalid_argument", "q: at most 200 bytes of text");
            lq.words = ListingIndex::words_of(q);
        }
        lq.tag = lower(req.query_or("tag"));
        lq.creator_id = req.query_or("creator");
        lq.currency = req.query_or("currency");
        auto int_param = [&](const char* name, std::int64_t& out) -> bool {
            auto s = req.query_or(name);
            if (s.empty()) return true;
            try {
                std::size_t pos = 0;
                out = std::stoll(s, &pos);
                return pos == s.size() && out >= 0;
            } catch (...) {
                return false;
            }
        };
        if (!int_param("min_price", lq.min_price) || !int_param("max_price", lq.max_price) ||
            !int_param("cursor", lq.cursor) || !int_param("limit", lq.limit) || lq.limit < 1 || lq.limit > 100)
            return Response::error(400, "invalid_argument",
                                   "min_price, max_price, cursor: integers >= 0; limit: 1..100");
        if (auto s = ctx.listing_index->sync(*ctx.db); !s) {
            if (!ctx.listing_index->ready()) return err(s.error());
            log_json("warn", {{"msg", "listing index refresh failed; answering from the previous state"},
                              {"error", s.error().message}});
        }
        Response res;
        std::string etag;
        res.body = ctx.listing_index->query(lq, etag);
        if (req.header("if-none-match") == etag) {
            res.status = 304;
            res.content_type.clear();
            res.body.clear();
        }
        res.set_header("ETag", etag);
        res.set_header("Cache-Control", "public, max-age=1");
        return res;
    });

    r.add("GET", "/v1/listings/{id}", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = optional_user(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        auto rows = (*conn)->query(std::string("SELECT ") + kListingColumns + " FROM listings WHERE id = $1",
                                   {req.params["id"]});
        if (!rows) return err(rows.error());
        if (rows->empty() || !visible((*rows)[0], *u)) return Response::error(404, "not_found", "no such listing");
        auto body = listing_json((*rows)[0]).dump();
        Response res;
        res.body = body;
        std::string etag = "\"" + sha256_hex(body).substr(0, 32) + "\"";
        res.set_header("ETag", etag);
        if (req.header("if-none-match") == etag) {
            res.status = 304;
            res.body.clear();
        }
        return res;
    });

    r.add("PATCH", "/v1/listings/{id}", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = authenticate(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        auto body = parse_body(req);
        if (!body) return err(body.error());
        auto patch = normalise_listing(*body, true);
        if (!patch) return err(patch.error());
        if (patch->contains("provenance"))
            return Response::error(400, "invalid_argument", "provenance cannot be changed after publication");
        Tx tx(**conn);
        if (auto t = tx.begin(true); !t) return err(t.error());
        auto rows = (*conn)->query(std::string("SELECT ") + kListingColumns + " FROM listings WHERE id = $1",
                                   {req.params["id"]});
        if (!rows) return err(rows.error());
        if (rows->empty() || !visible((*rows)[0], *u)) return Response::error(404, "not_found", "no such listing");
        const auto& row = (*rows)[0];
        if (row.str(2) != u->id && !u->admin())
            return Response::error(403, "forbidden", "only the listing's creator can edit it");
        if (row.str(12) == "frozen")
            return Response::error(409, "frozen",
                                   "the listing is frozen by a dispute; it cannot be edited until resolved");
        auto cur = listing_json(row);
        for (auto& [k, v] : patch->items())
            cur[k] = v;
        if (patch->contains("price") && !patch->contains("offers")) {
            // Keep the offers' ratios to the base price.
            auto old_price = row.i64(7);
            for (auto& o : cur["offers"])
                o["price"] = o["price"].get<std::int64_t>() * cur["price"].get<std::int64_t>() / old_price;
        }
        auto up = (*conn)->exec(
            "UPDATE listings SET title = $2, description = $3, tags = $4, price = $5, currency = $6, offers = $7, "
            "updated = $8 WHERE id = $1",
            {row.str(0), cur["title"].get<std::string>(), cur["description"].get<std::string>(), cur["tags"].dump(),
             cur["price"].get<std::int64_t>(), cur["currency"].get<std::string>(), cur["offers"].dump(), now_s()});
        if (!up) return err(up.error());
        if (auto ix = index_listing(**conn, row.str(0), cur); !ix) return err(ix.error());
        if (auto c = record_change(**conn, "listing", row.str(0)); !c) return err(c.error());
        if (auto c = tx.commit(); !c) return err(c.error());
        bump_listing_version();
        auto again =
            (*conn)->query(std::string("SELECT ") + kListingColumns + " FROM listings WHERE id = $1", {row.str(0)});
        if (!again || again->empty()) return Response::error(500, "internal", "listing vanished");
        return Response::json(200, listing_json((*again)[0]));
    });

    r.add("GET", "/v1/listings/{id}/preview", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = optional_user(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        auto rows = (*conn)->query(std::string("SELECT ") + kListingColumns + " FROM listings WHERE id = $1",
                                   {req.params["id"]});
        if (!rows) return err(rows.error());
        if (rows->empty() || !visible((*rows)[0], *u)) return Response::error(404, "not_found", "no such listing");
        Response res;
        res.content_type = "image/jpeg";
        res.file = ctx.blob_path((*rows)[0].str(16));
        res.set_header("Cache-Control", "public, max-age=86400, immutable");
        return res;
    });

    r.add("GET", "/v1/listings/{id}/download", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = authenticate(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        auto rows = (*conn)->query(std::string("SELECT ") + kListingColumns + " FROM listings WHERE id = $1",
                                   {req.params["id"]});
        if (!rows) return err(rows.error());
        if (rows->empty()) return Response::error(404, "not_found", "no such listing");
        const auto& row = (*rows)[0];
        bool allowed = u->admin() || row.str(2) == u->id;
        if (!allowed) {
            auto lic = (*conn)->query("SELECT id FROM licences WHERE listing_id = $1 AND buyer_id = $2 LIMIT 1",
                                      {row.str(0), u->id});
            if (!lic) return err(lic.error());
            allowed = !lic->empty();
        }
        if (!allowed) {
            if (!visible(row, u.value())) return Response::error(404, "not_found", "no such listing");
            return Response::error(403, "licence_required",
                                   "buy a licence (POST /v1/purchases) to download the full resolution");
        }
        Response res;
        res.content_type = "application/octet-stream";
        res.file = ctx.blob_path(row.str(3));
        res.set_header("Content-Disposition", "attachment; filename=\"" + row.str(3) + "." + row.str(15) + "\"");
        res.set_header("X-Content-SHA256", row.str(3));
        return res;
    });

    r.add("POST", "/v1/listings/{id}/disputes", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = authenticate(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        auto body = parse_body(req);
        if (!body) return err(body.error());
        std::string reason = body->value("reason", std::string());
        if (reason.empty() || !clean_text(reason, 5000))
            return Response::error(400, "invalid_argument", "reason: describe the claim (1..5000 bytes of text)");
        Tx tx(**conn);
        if (auto t = tx.begin(true); !t) return err(t.error());
        auto rows = (*conn)->query("SELECT creator_id, status FROM listings WHERE id = $1", {req.params["id"]});
        if (!rows) return err(rows.error());
        if (rows->empty() || ((*rows)[0].str(1) != "live" && (*rows)[0].str(1) != "frozen"))
            return Response::error(404, "not_found", "no such listing");
        if ((*rows)[0].str(0) == u->id) return Response::error(403, "forbidden", "you cannot dispute your own listing");
        std::string id = random_hex_id();
        auto ins = (*conn)->exec(
            "INSERT INTO disputes (id, listing_id, claimant_id, reason, state, created) VALUES ($1, $2, $3, $4, "
            "'open', $5)",
            {id, req.params["id"], u->id, reason, now_s()});
        if (!ins) return err(ins.error());
        auto up = (*conn)->exec("UPDATE listings SET status = 'frozen', updated = $2 WHERE id = $1",
                                {req.params["id"], now_s()});
        if (!up) return err(up.error());
        if (auto c = record_change(**conn, "listing", req.params["id"]); !c) return err(c.error());
        if (auto c = tx.commit(); !c) return err(c.error());
        bump_listing_version();
        return Response::json(201, {{"id", id}, {"listing_id", req.params["id"]}, {"state", "open"}});
    });

    r.add("GET", "/v1/sync", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = authenticate(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        std::int64_t cursor = 0;
        try {
            cursor = std::stoll(req.query_or("cursor", "0"));
        } catch (...) {
            return Response::error(400, "invalid_argument", "cursor must be an integer from a previous sync");
        }
        auto rows = (*conn)->query(
            "SELECT seq, kind, ref FROM changes WHERE seq > $1 AND (scope_user IS NULL OR scope_user = $2) ORDER BY "
            "seq "
            "LIMIT 500",
            {cursor, u->id});
        if (!rows) return err(rows.error());
        json changes = json::array();
        std::int64_t next = cursor;
        for (const auto& c : *rows) {
            json ch = {{"seq", c.i64(0)}, {"kind", c.str(1)}, {"id", c.str(2)}};
            if (c.str(1) == "listing") {
                auto l = (*conn)->query(std::string("SELECT ") + kListingColumns + " FROM listings WHERE id = $1",
                                        {c.str(2)});
                if (l && !l->empty()) {
                    if (visible((*l)[0], *u))
                        ch["listing"] = listing_json((*l)[0]);
                    else
                        ch["removed"] = true;
                }
            } else if (c.str(1) == "licence") {
                auto l = (*conn)->query("SELECT id, listing_id, type, token, created FROM licences WHERE id = $1",
                                        {c.str(2)});
                if (l && !l->empty())
                    ch["licence"] = {{"id", (*l)[0].str(0)},
                                     {"listing_id", (*l)[0].str(1)},
                                     {"type", (*l)[0].str(2)},
                                     {"token", (*l)[0].str(3)},
                                     {"created", (*l)[0].i64(4)}};
            }
            changes.push_back(ch);
            next = c.i64(0);
        }
        return Response::json(200, {{"changes", changes}, {"cursor", next}, {"more", rows->size() == 500}});
    });
}

}  // namespace atelier::market_server
