// SPDX-License-Identifier: MIT
// The atelier-market API over loopback with the real server process, against
// SQLite and PostgreSQL: the end-to-end flow, the authorisation matrix, the
// OpenAPI document, hostile input, idempotency and the ledger, moderation,
// disputes, sync, resumable uploads across a restart, rate limits.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <sodium.h>

#include "atelier/market_server/app.h"
#include "support.h"

using namespace market_test;

namespace {

const std::string kAdminPassword = "admin password 123";

json listing_meta(const std::string& title, std::int64_t price = 500) {
    return {{"title", title},
            {"description", "A seamless pattern for textiles"},
            {"tags", {"pattern", "blue"}},
            {"price", price},
            {"currency", "EUR"},
            {"provenance", {{"model_author", "esrgan-team"}, {"prompt_author", "alice"}, {"generator", "atelier"}}}};
}

class MarketApi : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        ASSERT_EQ(sodium_init() >= 0, true);
        m_dir = temp_dir("api-" + GetParam());
        m_db = db_spec(GetParam());
        ASSERT_FALSE(m_db.empty());
        std::string cmd = "ATELIER_MARKET_ADMIN_PASSWORD='" + kAdminPassword + "' '" + market_binary().string() +
                          "' --data '" + (m_dir / "data").string() + "' --db '" + m_db +
                          "' create-admin admin@atelier.test >/dev/null";
        ASSERT_EQ(std::system(cmd.c_str()), 0);
        ServerProcess::Options o;
        o.data_dir = m_dir / "data";
        o.db = m_db;
        o.config = test_config();
        m_server = std::make_unique<ServerProcess>(o);
        ASSERT_TRUE(m_server->start());
        m_client = std::make_unique<HttpClient>(m_server->port());
    }
    void TearDown() override {
        if (m_server) {
            EXPECT_TRUE(m_server->running()) << "the server died during the test";
            m_server->kill9();
        }
    }
    std::string admin_token() {
        auto l = m_client->post("/v1/accounts/login", {{"email", "admin@atelier.test"}, {"password", kAdminPassword}});
        EXPECT_EQ(l.status, 200) << l.body;
        return l.js().value("token", std::string());
    }
    std::string user_id(const std::string& token) { return m_client->get("/v1/accounts/me", token).js()["user"]["id"]; }

    std::filesystem::path m_dir;
    std::string m_db;
    std::unique_ptr<ServerProcess> m_server;
    std::unique_ptr<HttpClient> m_client;
};

// --------------------------------------------------------------- end to end

TEST_P(MarketApi, EndToEndPublishBrowseBuyDownloadVerify) {
    auto& c = *m_client;
    auto creator = register_and_login(c, "creator@atelier.test", "creator");
    auto buyer = register_and_login(c, "buyer@atelier.test", "buyer");
    auto admin = admin_token();
    auto bytes = test_png(320, 200, 7);

    auto done = publish(c, creator, bytes, listing_meta("Blue waves"), 4096);
    ASSERT_EQ(done.status, 200) << done.body;
    auto listing = done.js()["listing"];
    std::string lid = listing["id"];
    EXPECT_EQ(listing["status"], "live");
    EXPECT_EQ(listing["asset_sha256"], sha256_hex(bytes));
    EXPECT_EQ(listing["width"], 320);
    EXPECT_EQ(listing["offers"].size(), 3u);

    // Browse: full text, tag facet, ETag.
    auto b = c.get("/v1/listings?q=waves");
    ASSERT_EQ(b.status, 200);
    ASSERT_EQ(b.js()["items"].size(), 1u);
    EXPECT_EQ(b.js()["items"][0]["id"], lid);
    EXPECT_EQ(c.get("/v1/listings?q=nothing-like-this").js()["items"].size(), 0u);
    auto bt = c.get("/v1/listings?tag=blue");
    ASSERT_EQ(bt.js()["items"].size(), 1u);
    EXPECT_EQ(bt.js()["facets"]["tags"][0]["count"], 1);
    auto etag = bt.header("etag");
    ASSERT_FALSE(etag.empty());
    EXPECT_EQ(c.request("GET", "/v1/listings?tag=blue", {}, {{"If-None-Match", etag}}).status, 304);

    // The preview is a smaller, watermarked JPEG; the full resolution needs a licence.
    auto pv = c.get("/v1/listings/" + lid + "/preview");
    ASSERT_EQ(pv.status, 200);
    EXPECT_EQ(pv.header("content-type"), "image/jpeg");
    EXPECT_NE(pv.body, bytes);
    auto dl = c.get("/v1/listings/" + lid + "/download", buyer);
    EXPECT_EQ(dl.status, 403) << dl.body;

    // Purchase with an idempotency key; the replay is byte-identical.
    json req = {{"listing_id", lid}, {"licence_type", "personal"}};
    auto p1 = c.post("/v1/purchases", req, buyer, {{"Idempotency-Key", "e2e-1"}});
    ASSERT_EQ(p1.status, 201) << p1.body;
    auto p2 = c.post("/v1/purchases", req, buyer, {{"Idempotency-Key", "e2e-1"}});
    EXPECT_EQ(p2.status, 201);
    EXPECT_EQ(p2.body, p1.body);
    EXPECT_EQ(p2.header("idempotent-replayed"), "true");
    auto lic = p1.js()["licence"];
    std::string token = lic["token"];

    // Split: buyer -500; platform 20 %, model author 5 %, prompt author 5 %, creator the rest.
    std::map<std::string, std::int64_t> legs;
    auto purchase_json = p1.js();
    for (const auto& p : purchase_json["postings"])
        legs[p["account"].get<std::string>()] = p["amount"].get<std::int64_t>();
    EXPECT_EQ(legs["platform"], 100);
    EXPECT_EQ(legs["model_author:esrgan-team"], 25);
    EXPECT_EQ(legs["prompt_author:alice"], 25);
    EXPECT_EQ(legs["creator:" + user_id(creator)], 350);
    EXPECT_EQ(legs["buyer:" + user_id(buyer)], -500);

    // Download the full resolution: the exact bytes.
    dl = c.get("/v1/listings/" + lid + "/download", buyer);
    ASSERT_EQ(dl.status, 200);
    EXPECT_EQ(dl.body, bytes);

    // Verify the licence offline with the published key (libsodium here, not the server's code).
    auto key = c.get("/.well-known/atelier-market-key").js();
    auto pk = base64url_decode(key["public_key"]);
    ASSERT_EQ(pk.size(), 32u);
    auto dot = token.find('.');
    auto payload = base64url_decode(token.substr(0, dot));
    auto sig = base64url_decode(token.substr(dot + 1));
    ASSERT_EQ(sig.size(), 64u);
    EXPECT_EQ(crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                          reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
                                          reinterpret_cast<const unsigned char*>(pk.data())),
              0);
    auto pj = json::parse(payload);
    EXPECT_EQ(pj["asset_sha256"], sha256_hex(bytes));
    EXPECT_EQ(pj["buyer_id"], user_id(buyer));
    EXPECT_EQ(pj["licence_type"], "personal");
    EXPECT_EQ(pj["terms_version"], "1");
    EXPECT_EQ(pj["licensor"], "Atelier Market");
    EXPECT_EQ(pj["key_id"], key["key_id"]);
    EXPECT_EQ(pj["issued"].get<std::string>().size(), 20u);

    // The licence is in the transparency log: entry → leaf hash → inclusion proof → signed tree head.
    std::int64_t idx = lic["tlog_index"];
    auto entry = c.get("/v1/log/entries/" + std::to_string(idx)).js();
    auto data = entry["data"].get<std::string>();
    EXPECT_EQ(json::parse(data)["token_sha256"], sha256_hex(token));
    auto leaf = sha256_hex(std::string(1, '\0') + data);
    EXPECT_EQ(entry["leaf_hash"], leaf);
    auto sth = c.get("/v1/log/sth").js();
    std::string msg = sth["signed_message"];
    auto ssig = base64url_decode(sth["signature"]);
    EXPECT_EQ(crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(ssig.data()),
                                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                                          reinterpret_cast<const unsigned char*>(pk.data())),
              0);
    EXPECT_NE(msg.find(":" + sth["root_hash"].get<std::string>()), std::string::npos);
    std::int64_t size = sth["tree_size"];
    EXPECT_EQ(size, 2);  // publish + licence
    auto proof =
        c.get("/v1/log/proof/inclusion?index=" + std::to_string(idx) + "&tree_size=" + std::to_string(size)).js();
    std::vector<std::string> path = proof["audit_path"];
    EXPECT_TRUE(verify_inclusion(leaf, static_cast<std::uint64_t>(idx), static_cast<std::uint64_t>(size), path,
                                 sth["root_hash"]));
    EXPECT_FALSE(verify_inclusion(sha256_hex("forged"), static_cast<std::uint64_t>(idx),
                                  static_cast<std::uint64_t>(size), path, sth["root_hash"]));

    // Ledger: balanced; creator statement shows the sale.
    auto ledger = c.get("/v1/admin/ledger", admin).js();
    EXPECT_EQ(ledger["sum"], 0);
    EXPECT_TRUE(ledger["unbalanced_txns"].empty());
    auto st = c.get("/v1/payouts/statement", creator).js();
    ASSERT_EQ(st["balances"].size(), 1u);
    EXPECT_EQ(st["balances"][0]["amount"], 350);
    // Licences and the sync feed.
    EXPECT_EQ(c.get("/v1/licences", buyer).js()["items"].size(), 1u);
    auto sync = c.get("/v1/sync?cursor=0", buyer).js();
    bool saw_licence = false;
    for (const auto& ch : sync["changes"])
        saw_licence |= ch["kind"] == "licence" && ch["licence"]["token"] == token;
    EXPECT_TRUE(saw_licence);
    // /metrics: the configured scraper token (or an admin, see the matrix); nobody else.
    EXPECT_EQ(c.get("/metrics").status, 401);
    EXPECT_EQ(c.get("/metrics", std::string(kMetricsToken) + "x").status, 401);
    EXPECT_EQ(c.get("/metrics", buyer).status, 403);
    auto metrics = c.get("/metrics", kMetricsToken);
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("atelier_http_requests_total{route=\"POST /v1/purchases\",status=\"2xx\"}"),
              std::string::npos);
    EXPECT_NE(metrics.body.find("atelier_ledger_balance_minor{currency=\"EUR\"} 0"), std::string::npos);
}

// --------------------------------------------------------------- authorisation matrix

struct Case {
    std::string method, path;
    std::function<std::string()> body;  // called per principal (unique e-mails, keys)
    std::map<std::string, std::string> headers;
    int expect[4];  // anonymous, other, owner, admin
    bool fresh_session = false;
    std::string pattern;  // the OpenAPI path it exercises
};

TEST_P(MarketApi, AuthorisationMatrixEveryRouteEveryPrincipal) {
    auto& c = *m_client;
    auto creator = register_and_login(c, "owner@atelier.test", "creator");
    auto buyer = register_and_login(c, "licensee@atelier.test", "buyer");
    auto other = register_and_login(c, "other@atelier.test", "buyer");
    auto admin = admin_token();
    auto img = test_png(64, 64, 1);
    std::string L = publish(c, creator, img, listing_meta("Matrix main")).js()["listing"]["id"];
    std::string L2 = publish(c, creator, test_png(64, 64, 2), listing_meta("Matrix dispute")).js()["listing"]["id"];
    std::string L3 = publish(c, creator, test_png(64, 64, 3), listing_meta("Matrix buy")).js()["listing"]["id"];
    auto pend1 = publish(c, creator, img, listing_meta("Matrix dup 1")).js()["listing"];
    ASSERT_EQ(pend1["status"], "pending");
    std::string P1 = pend1["id"];
    auto pend2 = publish(c, creator, img, listing_meta("Matrix dup 2")).js()["listing"];
    std::string P2 = pend2["id"];
    auto part = std::string(100, 'x');
    std::string U =
        c.post("/v1/uploads", {{"size", 1000}, {"sha256", sha256_hex("y")}, {"listing", listing_meta("u")}}, creator)
            .js()["id"];
    auto lic = c.post("/v1/purchases", {{"listing_id", L}}, buyer, {{"Idempotency-Key", "m-1"}});
    ASSERT_EQ(lic.status, 201) << lic.body;
    std::string LIC = lic.js()["licence"]["id"];
    std::string TOKEN = lic.js()["licence"]["token"];
    auto disp = c.post("/v1/listings/" + L2 + "/disputes", {{"reason", "setup"}}, other);
    ASSERT_EQ(disp.status, 201);
    std::string D = disp.js()["id"];

    static int seq = 0;
    auto none = [] { return std::string(); };
    auto reg = [] {
        return json({{"email", "r" + std::to_string(++seq) + "@atelier.test"}, {"password", "password 123"}}).dump();
    };
    auto login = [] { return json({{"email", "other@atelier.test"}, {"password", "correct horse battery"}}).dump(); };
    auto jbody = [](json j) { return [j] { return j.dump(); }; };
    auto upload = [] {
        return json({{"size", 10}, {"sha256", std::string(64, 'a')}, {"listing", listing_meta("m")}}).dump();
    };
    auto buy = [L3] { return json({{"listing_id", L3}}).dump(); };

    std::vector<Case> cases = {
        {"GET", "/healthz", none, {}, {200, 200, 200, 200}, false, "/healthz"},
        {"GET", "/metrics", none, {}, {401, 403, 403, 200}, false, "/metrics"},
        {"GET", "/openapi.json", none, {}, {200, 200, 200, 200}, false, "/openapi.json"},
        {"GET",
         "/.well-known/atelier-market-key",
         none,
         {},
         {200, 200, 200, 200},
         false,
         "/.well-known/atelier-market-key"},
        {"POST", "/v1/accounts/register", reg, {}, {201, 201, 201, 201}, false, "/v1/accounts/register"},
        {"POST", "/v1/accounts/login", login, {}, {200, 200, 200, 200}, false, "/v1/accounts/login"},
        {"POST", "/v1/accounts/logout", none, {}, {401, 200, 200, 200}, true, "/v1/accounts/logout"},
        {"GET", "/v1/accounts/me", none, {}, {401, 200, 200, 200}, false, "/v1/accounts/me"},
        {"POST", "/v1/uploads", upload, {}, {401, 403, 201, 201}, false, "/v1/uploads"},
        {"GET", "/v1/uploads/" + U, none, {}, {401, 404, 200, 200}, false, "/v1/uploads/{id}"},
        {"PUT",
         "/v1/uploads/" + U + "/chunks?offset=0",
         [part] { return part; },
         {{"X-Chunk-SHA256", sha256_hex(part)}},
         {401, 404, 200, 404},
         false,
         "/v1/uploads/{id}/chunks"},
        {"POST", "/v1/uploads/" + U + "/complete", none, {}, {401, 404, 409, 404}, false, "/v1/uploads/{id}/complete"},
        {"GET", "/v1/listings", none, {}, {200, 200, 200, 200}, false, "/v1/listings"},
        {"GET", "/v1/listings/" + L, none, {}, {200, 200, 200, 200}, false, "/v1/listings/{id}"},
        {"GET", "/v1/listings/" + P1, none, {}, {404, 404, 200, 200}, false, "/v1/listings/{id}"},
        {"PATCH",
         "/v1/listings/" + L,
         jbody({{"title", "Renamed"}}),
         {},
         {401, 403, 200, 200},
         false,
         "/v1/listings/{id}"},
        {"GET", "/v1/listings/" + L + "/preview", none, {}, {200, 200, 200, 200}, false, "/v1/listings/{id}/preview"},
        {"GET", "/v1/listings/" + P1 + "/preview", none, {}, {404, 404, 200, 200}, false, "/v1/listings/{id}/preview"},
        {"GET",
         "/v1/listings/" + L3 + "/download",
         none,
         {},
         {401, 403, 200, 200},
         false,
         "/v1/listings/{id}/download"},
        {"POST",
         "/v1/listings/" + L2 + "/disputes",
         jbody({{"reason", "copied from my portfolio"}}),
         {},
         {401, 201, 403, 201},
         false,
         "/v1/listings/{id}/disputes"},
        {"GET", "/v1/sync", none, {}, {401, 200, 200, 200}, false, "/v1/sync"},
        {"POST",
         "/v1/purchases",
         buy,
         {{"Idempotency-Key", "__unique__"}},
         {401, 201, 409, 201},
         false,
         "/v1/purchases"},
        {"GET", "/v1/licences", none, {}, {401, 200, 200, 200}, false, "/v1/licences"},
        {"POST",
         "/v1/licences/verify",
         jbody({{"token", TOKEN}}),
         {},
         {200, 200, 200, 200},
         false,
         "/v1/licences/verify"},
        {"GET", "/v1/payouts/statement", none, {}, {401, 403, 200, 200}, false, "/v1/payouts/statement"},
        {"GET", "/v1/log/sth", none, {}, {200, 200, 200, 200}, false, "/v1/log/sth"},
        {"GET", "/v1/log/entries/0", none, {}, {200, 200, 200, 200}, false, "/v1/log/entries/{index}"},
        {"GET", "/v1/log/proof/inclusion?index=0", none, {}, {200, 200, 200, 200}, false, "/v1/log/proof/inclusion"},
        {"GET",
         "/v1/log/proof/consistency?first=1&second=2",
         none,
         {},
         {200, 200, 200, 200},
         false,
         "/v1/log/proof/consistency"},
        {"GET", "/v1/admin/moderation", none, {}, {401, 403, 403, 200}, false, "/v1/admin/moderation"},
        {"POST",
         "/v1/admin/moderation/" + P1 + "/approve",
         none,
         {},
         {401, 403, 403, 200},
         false,
         "/v1/admin/moderation/{id}/approve"},
        {"POST",
         "/v1/admin/moderation/" + P2 + "/reject",
         jbody({{"reason", "duplicate"}}),
         {},
         {401, 403, 403, 200},
         false,
         "/v1/admin/moderation/{id}/reject"},
        {"GET", "/v1/admin/disputes", none, {}, {401, 403, 403, 200}, false, "/v1/admin/disputes"},
        {"POST",
         "/v1/admin/disputes/" + D + "/resolve",
         jbody({{"outcome", "dismissed"}}),
         {},
         {401, 403, 403, 200},
         false,
         "/v1/admin/disputes/{id}/resolve"},
        {"GET", "/v1/admin/ledger", none, {}, {401, 403, 403, 200}, false, "/v1/admin/ledger"},
    };
    // The licence route: its owner is the licensee.
    cases.push_back({"GET", "/v1/licences/" + LIC, none, {}, {401, 404, 200, 200}, false, "/v1/licences/{id}"});

    auto doc = c.get("/openapi.json").js();
    std::set<std::string> covered, documented;
    for (auto& [path, item] : doc["paths"].items())
        for (auto& [method, op] : item.items())
            documented.insert(method + " " + path);
    int violations = 0;
    const char* names[] = {"anonymous", "other", "owner", "admin"};
    for (const auto& k : cases) {
        std::string lower_method = k.method;
        for (auto& ch : lower_method)
            ch = static_cast<char>(std::tolower(ch));
        covered.insert(lower_method + " " + k.pattern);
        for (int who = 0; who < 4; ++who) {
            std::string tok;
            if (who == 1) tok = other;
            if (who == 2) tok = (k.pattern.rfind("/v1/licences/{id}", 0) == 0) ? buyer : creator;
            if (who == 3) tok = admin;
            if (k.fresh_session && who > 0) {
                std::string email = who == 1   ? "other@atelier.test"
                                    : who == 2 ? "owner@atelier.test"
                                               : "admin@atelier.test";
                std::string pw = who == 3 ? kAdminPassword : "correct horse battery";
                tok = c.post("/v1/accounts/login", {{"email", email}, {"password", pw}}).js()["token"];
            }
            std::map<std::string, std::string> h = k.headers;
            if (h.count("Idempotency-Key")) h["Idempotency-Key"] = "matrix-" + std::to_string(++seq);
            if (!tok.empty()) h["Authorization"] = "Bearer " + tok;
            auto body = k.body();
            if (!body.empty() && k.method != "PUT") h["Content-Type"] = "application/json";
            auto r = c.request(k.method, k.path, body, h);
            if (r.status != k.expect[who]) {
                ++violations;
                ADD_FAILURE() << k.method << " " << k.path << " as " << names[who] << ": got " << r.status << ", want "
                              << k.expect[who] << " " << r.body;
            }
            // Every status the server gives must be documented for that operation.
            auto op = doc["paths"][k.pattern][lower_method];
            if (!op["responses"].contains(std::to_string(r.status)))
                ADD_FAILURE() << k.method << " " << k.pattern << " answered " << r.status
                              << " which openapi.json does not document";
        }
    }
    EXPECT_EQ(violations, 0);
    EXPECT_EQ(covered, documented) << "the matrix must cover every documented route";
}

// --------------------------------------------------------------- hostile input

TEST_P(MarketApi, HostileInputGetsTheRight4xxAndTheServerStaysUp) {
    auto& c = *m_client;
    auto creator = register_and_login(c, "hc@atelier.test", "creator");
    auto buyer = register_and_login(c, "hb@atelier.test", "buyer");
    auto port = m_server->port();

    // Malformed, deeply nested, non-object and invalid UTF-8 JSON.
    EXPECT_EQ(c.request("POST", "/v1/accounts/register", "{\"email\":", {}).status, 400);
    EXPECT_EQ(c.request("POST", "/v1/accounts/register", std::string(20000, '[') + std::string(20000, ']'), {}).status,
              400);
    EXPECT_EQ(c.request("POST", "/v1/accounts/register", "[1,2,3]", {}).status, 400);
    EXPECT_EQ(
        c.request("POST", "/v1/accounts/register", "{\"email\":\"\xff\xfe@x.io\",\"password\":\"password 123\"}", {})
            .status,
        400);
    EXPECT_EQ(
        c.post("/v1/uploads",
               {{"size", 10}, {"sha256", std::string(64, 'a')}, {"listing", {{"title", "bad\x01title"}, {"price", 5}}}},
               creator)
            .status,
        400);

    // Oversized body (refused from the Content-Length, before reading) and headers.
    {
        int fd = connect_raw(port);
        ASSERT_GE(fd, 0);
        send_all(fd, "POST /v1/accounts/register HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n");
        EXPECT_EQ(read_response(fd).status, 413);
        ::close(fd);
    }
    EXPECT_EQ(c.request("POST", "/v1/accounts/register", std::string(70000, ' '), {}).status, 413);
    EXPECT_EQ(c.request("GET", "/healthz", {}, {{"X-Big", std::string(20000, 'a')}}).status, 431);
    {
        int fd = connect_raw(port);
        send_all(fd, "NOT HTTP AT ALL\r\n\r\n");
        EXPECT_EQ(read_response(fd).status, 400);
        ::close(fd);
    }

    // Path traversal: ids never name files; anything odd is simply not found.
    for (const char* p : {"/v1/listings/..%2F..%2Fetc%2Fpasswd", "/v1/listings/%2e%2e/preview", "/../../etc/passwd",
                          "/v1/listings/..%2Fkeys%2Fed25519.key/download", "/v1/log/entries/..%2F1"}) {
        auto r = c.get(p, buyer);
        EXPECT_TRUE(r.status == 404 || r.status == 400) << p << " " << r.status;
        EXPECT_EQ(r.body.find("PRIVATE"), std::string::npos);
    }
    EXPECT_EQ(c.request("PUT", "/v1/uploads/..%2F..%2Fkeys%2Fed25519.key/chunks?offset=0", "x",
                        {{"Authorization", "Bearer " + creator}, {"X-Chunk-SHA256", sha256_hex("x")}})
                  .status,
              404);
    EXPECT_EQ(c.request("DELETE", "/v1/listings", {}, {}).status, 405);

    // Chunk offsets out of range, gaps, overlaps, wrong digests, early completion.
    auto bytes = test_png(64, 64, 11);
    auto up =
        c.post("/v1/uploads",
               {{"size", bytes.size()}, {"sha256", sha256_hex(bytes)}, {"listing", listing_meta("hostile")}}, creator);
    ASSERT_EQ(up.status, 201);
    std::string id = up.js()["id"];
    auto put = [&](const std::string& off, const std::string& data, std::string sha = {}) {
        if (sha.empty()) sha = sha256_hex(data);
        return c.request("PUT", "/v1/uploads/" + id + "/chunks?offset=" + off, data,
                         {{"Authorization", "Bearer " + creator}, {"X-Chunk-SHA256", sha}});
    };
    auto first = bytes.substr(0, 100);
    EXPECT_EQ(put("-1", first).status, 400);
    EXPECT_EQ(put("abc", first).status, 400);
    EXPECT_EQ(put("1e3", first).status, 400);
    EXPECT_EQ(put(std::to_string(bytes.size()), first).status, 416);
    EXPECT_EQ(put("99999999999999999999999", first).status, 400);
    EXPECT_EQ(put("100", bytes.substr(100, 100)).status, 409);  // gap
    EXPECT_EQ(put("0", first, sha256_hex("other")).status, 422);
    EXPECT_EQ(put("0", first, "zz").status, 400);
    EXPECT_EQ(put("0", first).status, 200);
    EXPECT_EQ(put("0", first).status, 200);                 // an identical retry is fine
    EXPECT_EQ(put("0", bytes.substr(1, 100)).status, 409);  // different bytes at a written offset
    EXPECT_EQ(c.post("/v1/uploads/" + id + "/complete", json(), creator).status, 409);
    EXPECT_EQ(put("100", std::string(70000, 'z')).status, 413);  // chunk above market.chunk_bytes

    // A file that is not an image, with a correct hash, is refused at completion.
    std::string junk(5000, 'j');
    auto up2 =
        c.post("/v1/uploads", {{"size", junk.size()}, {"sha256", sha256_hex(junk)}, {"listing", listing_meta("junk")}},
               creator);
    std::string id2 = up2.js()["id"];
    EXPECT_EQ(c.request("PUT", "/v1/uploads/" + id2 + "/chunks?offset=0", junk,
                        {{"Authorization", "Bearer " + creator}, {"X-Chunk-SHA256", sha256_hex(junk)}})
                  .status,
              200);
    EXPECT_EQ(c.post("/v1/uploads/" + id2 + "/complete", json(), creator).status, 415);
    // A truncated PNG with the right magic is undecodable.
    auto trunc = bytes.substr(0, bytes.size() / 2);
    auto up3 =
        c.post("/v1/uploads", {{"size", trunc.size()}, {"sha256", sha256_hex(trunc)}, {"listing", listing_meta("cut")}},
               creator);
    std::string id3 = up3.js()["id"];
    c.request("PUT", "/v1/uploads/" + id3 + "/chunks?offset=0", trunc,
              {{"Authorization", "Bearer " + creator}, {"X-Chunk-SHA256", sha256_hex(trunc)}});
    EXPECT_EQ(c.post("/v1/uploads/" + id3 + "/complete", json(), creator).status, 422);

    // Forged and altered licence tokens.
    auto pub = publish(c, creator, test_png(64, 64, 12), listing_meta("to buy"));
    std::string lid = pub.js()["listing"]["id"];
    auto bought = c.post("/v1/purchases", {{"listing_id", lid}}, buyer, {{"Idempotency-Key", "h-1"}});
    ASSERT_EQ(bought.status, 201);
    std::string token = bought.js()["licence"]["token"];
    auto dot = token.find('.');
    auto payload = json::parse(base64url_decode(token.substr(0, dot)));
    payload["licence_type"] = "extended";
    std::string p2 = payload.dump();
    std::string forged_payload(sodium_base64_ENCODED_LEN(p2.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(forged_payload.data(), forged_payload.size(), reinterpret_cast<const unsigned char*>(p2.data()),
                      p2.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    forged_payload.resize(std::strlen(forged_payload.c_str()));
    auto forged = forged_payload + token.substr(dot);
    EXPECT_EQ(c.post("/v1/licences/verify", {{"token", forged}}).js()["valid"], false);
    auto flipped = token;
    flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
    EXPECT_EQ(c.post("/v1/licences/verify", {{"token", flipped}}).js()["valid"], false);
    EXPECT_EQ(c.post("/v1/licences/verify", {{"token", "garbage"}}).js()["valid"], false);
    EXPECT_EQ(c.post("/v1/licences/verify", {{"token", token}}).js()["valid"], true);

    // A session token replayed after logout is refused.
    EXPECT_EQ(c.post("/v1/accounts/logout", json(), buyer).status, 200);
    EXPECT_EQ(c.get("/v1/accounts/me", buyer).status, 401);
    EXPECT_EQ(c.get("/v1/listings/" + lid + "/download", buyer).status, 401);
    EXPECT_EQ(c.get("/v1/accounts/me", "made-up-token-made-up-token-made-up").status, 401);

    // Slow clients (slowloris) hold connections; others are still served, and the slow ones time out.
    std::vector<int> slow;
    for (int i = 0; i < 40; ++i) {
        int fd = connect_raw(port);
        ASSERT_GE(fd, 0);
        send_all(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
        slow.push_back(fd);
    }
    HttpClient fresh(port);
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(fresh.get("/healthz").status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
    EXPECT_TRUE(closed_by_server(slow[0], std::chrono::milliseconds(6000)));  // header_timeout_ms = 1500
    for (int fd : slow)
        ::close(fd);
    // A client that stops sending half-way through a body.
    {
        int fd = connect_raw(port);
        send_all(fd, "POST /v1/accounts/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"email\"");
        EXPECT_TRUE(closed_by_server(fd, std::chrono::milliseconds(8000)));  // body_timeout_ms = 3000
        ::close(fd);
    }
    EXPECT_EQ(c.get("/healthz").status, 200);
    EXPECT_TRUE(m_server->running());
}

// --------------------------------------------------------------- idempotency + ledger

TEST_P(MarketApi, IdempotencyReplaysErrorsAndConcurrentTwinsPostOnce) {
    auto& c = *m_client;
    auto creator = register_and_login(c, "ic@atelier.test", "creator");
    auto buyer = register_and_login(c, "ib@atelier.test", "buyer");
    auto admin = admin_token();
    std::string lid = publish(c, creator, test_png(64, 64, 21), listing_meta("idem", 999)).js()["listing"]["id"];

    EXPECT_EQ(c.post("/v1/purchases", {{"listing_id", lid}}, buyer).status, 400);  // no key
    // A declined payment is an answer too: replayed as is.
    json declined = {{"listing_id", lid}, {"payment_method", "test_decline"}};
    auto d1 = c.post("/v1/purchases", declined, buyer, {{"Idempotency-Key", "decl"}});
    EXPECT_EQ(d1.status, 402) << d1.body;
    auto d2 = c.post("/v1/purchases", declined, buyer, {{"Idempotency-Key", "decl"}});
    EXPECT_EQ(d2.status, 402);
    EXPECT_EQ(d2.body, d1.body);
    EXPECT_EQ(d2.header("idempotent-replayed"), "true");
    // The same key with a different request is refused.
    EXPECT_EQ(c.post("/v1/purchases", {{"listing_id", lid}}, buyer, {{"Idempotency-Key", "decl"}}).status, 422);
    // Unknown listing: 404, stored and replayed.
    EXPECT_EQ(c.post("/v1/purchases", {{"listing_id", "nope"}}, buyer, {{"Idempotency-Key", "nf"}}).status, 404);
    EXPECT_EQ(c.post("/v1/purchases", {{"listing_id", "nope"}}, buyer, {{"Idempotency-Key", "nf"}})
                  .header("idempotent-replayed"),
              "true");

    // Eight concurrent requests with one key: one licence, one ledger transaction.
    std::vector<std::thread> threads;
    std::vector<HttpResponse> answers(8);
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            HttpClient own(m_server->port());
            answers[static_cast<std::size_t>(i)] =
                own.post("/v1/purchases", {{"listing_id", lid}, {"licence_type", "commercial"}}, buyer,
                         {{"Idempotency-Key", "twin"}});
        });
    for (auto& t : threads)
        t.join();
    std::set<std::string> bodies;
    for (const auto& a : answers) {
        EXPECT_EQ(a.status, 201) << a.body;
        bodies.insert(a.body);
    }
    EXPECT_EQ(bodies.size(), 1u) << "every twin must get the first answer";
    EXPECT_EQ(c.get("/v1/licences", buyer).js()["items"].size(), 1u);
    // Buying the same licence again with a new key is a conflict, not a second charge.
    EXPECT_EQ(c.post("/v1/purchases", {{"listing_id", lid}, {"licence_type", "commercial"}}, buyer,
                     {{"Idempotency-Key", "again"}})
                  .status,
              409);
    auto ledger = c.get("/v1/admin/ledger", admin).js();
    EXPECT_EQ(ledger["sum"], 0);
    EXPECT_EQ(ledger["transactions"], 1);
    std::int64_t credit = 0;
    for (const auto& a : ledger["accounts"])
        if (a["balance"] > 0) credit += a["balance"].get<std::int64_t>();
    EXPECT_EQ(credit, 999 * 3);  // commercial = 3 × base price
}

// --------------------------------------------------------------- moderation, disputes, sync

TEST_P(MarketApi, ModerationQueueDisputesFreezeAndSync) {
    auto& c = *m_client;
    auto creator = register_and_login(c, "mc@atelier.test", "creator");
    auto buyer = register_and_login(c, "mb@atelier.test", "buyer");
    auto admin = admin_token();
    auto cursor0 = c.get("/v1/sync", buyer).js()["cursor"].get<std::int64_t>();
    auto img = test_png(128, 128, 31);
    std::string lid = publish(c, creator, img, listing_meta("original")).js()["listing"]["id"];
    // A near duplicate: same picture with one pixel changed (another file hash, the same dHash).
    auto near = test_png(128, 128, 31, true);
    ASSERT_NE(sha256_hex(near), sha256_hex(img));
    auto dup = publish(c, creator, near, listing_meta("copy")).js()["listing"];
    EXPECT_EQ(dup["status"], "pending");
    EXPECT_NE(dup["flag_reason"].get<std::string>().find("near-duplicate"), std::string::npos) << dup.dump();
    // Not browsable, in the admin queue.
    EXPECT_EQ(c.get("/v1/listings?q=copy").js()["items"].size(), 0u);
    auto queue = c.get("/v1/admin/moderation", admin).js()["items"];
    ASSERT_EQ(queue.size(), 1u);
    EXPECT_EQ(queue[0]["listing_id"], dup["id"]);
    auto sth0 = c.get("/v1/log/sth").js();
    EXPECT_EQ(c.post("/v1/admin/moderation/" + dup["id"].get<std::string>() + "/reject", json::object(), admin).status,
              400);
    EXPECT_EQ(c.post("/v1/admin/moderation/" + dup["id"].get<std::string>() + "/reject",
                     {{"reason", "duplicate of " + lid}}, admin)
                  .status,
              200);
    EXPECT_EQ(c.get("/v1/listings/" + dup["id"].get<std::string>(), creator).js()["status"], "rejected");
    EXPECT_EQ(c.get("/v1/log/sth").js()["tree_size"], sth0["tree_size"]);  // rejected: not published

    // A dispute freezes the listing: no purchases, no edits; dismissal unfreezes.
    auto d = c.post("/v1/listings/" + lid + "/disputes", {{"reason", "this is my artwork"}}, buyer);
    ASSERT_EQ(d.status, 201);
    EXPECT_EQ(c.get("/v1/listings/" + lid).js()["status"], "frozen");
    EXPECT_EQ(c.post("/v1/purchases", {{"listing_id", lid}}, buyer, {{"Idempotency-Key", "fz"}}).status, 409);
    EXPECT_EQ(c.request("PATCH", "/v1/listings/" + lid, json({{"title", "x"}}).dump(),
                        {{"Authorization", "Bearer " + creator}})
                  .status,
              409);
    EXPECT_EQ(c.get("/v1/listings?q=original").js()["items"].size(), 0u);
    EXPECT_EQ(
        c.post("/v1/admin/disputes/" + d.js()["id"].get<std::string>() + "/resolve", {{"outcome", "maybe"}}, admin)
            .status,
        400);
    auto res =
        c.post("/v1/admin/disputes/" + d.js()["id"].get<std::string>() + "/resolve", {{"outcome", "dismissed"}}, admin);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.js()["listing_status"], "live");
    EXPECT_EQ(c.post("/v1/purchases", {{"listing_id", lid}}, buyer, {{"Idempotency-Key", "after"}}).status, 201);

    // The sync feed returns the changes since the cursor, and nothing again after it.
    auto s1 = c.get("/v1/sync?cursor=" + std::to_string(cursor0), buyer).js();
    std::set<std::string> kinds;
    for (const auto& ch : s1["changes"])
        kinds.insert(ch["kind"]);
    EXPECT_TRUE(kinds.count("listing"));
    EXPECT_TRUE(kinds.count("licence"));
    auto s2 = c.get("/v1/sync?cursor=" + std::to_string(s1["cursor"].get<std::int64_t>()), buyer).js();
    EXPECT_TRUE(s2["changes"].empty());
    // The creator's sync does not show the buyer's licence.
    auto creator_sync = c.get("/v1/sync?cursor=0", creator).js();
    for (const auto& ch : creator_sync["changes"])
        EXPECT_NE(ch["kind"], "licence");

    // Keyset pagination walks every live listing once.
    for (int i = 0; i < 5; ++i)
        publish(c, creator, test_png(48, 48, 100 + i), listing_meta("page " + std::to_string(i)));
    std::set<std::string> seen;
    std::string next;
    for (int pages = 0; pages < 10; ++pages) {
        auto page = c.get("/v1/listings?limit=2" + (next.empty() ? std::string() : "&cursor=" + next)).js();
        for (const auto& it : page["items"])
            EXPECT_TRUE(seen.insert(it["id"]).second);
        if (page["next_cursor"].is_null()) break;
        next = std::to_string(page["next_cursor"].get<std::int64_t>());
    }
    EXPECT_EQ(seen.size(), 6u);
}

// --------------------------------------------------------------- restart + graceful shutdown

TEST_P(MarketApi, UploadResumesAfterRestartAndShutdownFinishesInFlight) {
    auto creator = register_and_login(*m_client, "rc@atelier.test", "creator");
    auto bytes = test_png(200, 150, 41);
    auto up = m_client->post(
        "/v1/uploads", {{"size", bytes.size()}, {"sha256", sha256_hex(bytes)}, {"listing", listing_meta("resume")}},
        creator);
    std::string id = up.js()["id"];
    std::size_t half = bytes.size() / 2;
    ASSERT_EQ(
        m_client
            ->request("PUT", "/v1/uploads/" + id + "/chunks?offset=0", bytes.substr(0, half),
                      {{"Authorization", "Bearer " + creator}, {"X-Chunk-SHA256", sha256_hex(bytes.substr(0, half))}})
            .status,
        200);
    // A request in flight when SIGTERM arrives is finished, then the server exits.
    int fd = connect_raw(m_server->port());
    std::string rest = bytes.substr(half);
    send_all(fd, "PUT /v1/uploads/" + id + "/chunks?offset=" + std::to_string(half) +
                     " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + creator +
                     "\r\nX-Chunk-SHA256: " + sha256_hex(rest) + "\r\nContent-Length: " + std::to_string(rest.size()) +
                     "\r\n\r\n" + rest.substr(0, 10));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::kill(m_server->pid(), SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    send_all(fd, rest.substr(10));
    auto r = read_response(fd);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("connection"), "close");
    ::close(fd);
    EXPECT_EQ(m_server->terminate(), 0);

    // Restart: the upload is where we left it and completes.
    ASSERT_TRUE(m_server->start());
    HttpClient c(m_server->port());
    auto st = c.get("/v1/uploads/" + id, creator).js();
    EXPECT_EQ(st["received"], bytes.size());
    auto done = c.post("/v1/uploads/" + id + "/complete", json(), creator);
    ASSERT_EQ(done.status, 200) << done.body;
    EXPECT_EQ(done.js()["listing"]["asset_sha256"], sha256_hex(bytes));
    // Completing twice returns the same listing.
    EXPECT_EQ(c.post("/v1/uploads/" + id + "/complete", json(), creator).js()["listing"]["id"],
              done.js()["listing"]["id"]);

    // Acknowledged chunks lost from disk (a power cut before the final sync) are found at completion
    // by their recorded SHA-256; the upload rewinds to the first damaged chunk instead of failing.
    auto bytes2 = test_png(120, 90, 43);
    auto up2 =
        c.post("/v1/uploads",
               {{"size", bytes2.size()}, {"sha256", sha256_hex(bytes2)}, {"listing", listing_meta("cut")}}, creator);
    std::string id2 = up2.js()["id"];
    const std::size_t chunk = 1024;
    for (std::size_t off = 0; off < bytes2.size(); off += chunk) {
        auto part = bytes2.substr(off, chunk);
        ASSERT_EQ(c.request("PUT", "/v1/uploads/" + id2 + "/chunks?offset=" + std::to_string(off), part,
                            {{"Authorization", "Bearer " + creator}, {"X-Chunk-SHA256", sha256_hex(part)}})
                      .status,
                  200);
    }
    {
        std::fstream f(m_dir / "data" / "uploads" / (id2 + ".part"), std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(2 * chunk + 7));
        f.put('\0');
        f.put('\0');
    }
    auto rewind = c.post("/v1/uploads/" + id2 + "/complete", json(), creator);
    EXPECT_EQ(rewind.status, 409) << rewind.body;
    EXPECT_EQ(rewind.header("upload-offset"), std::to_string(2 * chunk));
    for (std::size_t off = 2 * chunk; off < bytes2.size(); off += chunk) {
        auto part = bytes2.substr(off, chunk);
        ASSERT_EQ(c.request("PUT", "/v1/uploads/" + id2 + "/chunks?offset=" + std::to_string(off), part,
                            {{"Authorization", "Bearer " + creator}, {"X-Chunk-SHA256", sha256_hex(part)}})
                      .status,
                  200);
    }
    EXPECT_EQ(c.post("/v1/uploads/" + id2 + "/complete", json(), creator).status, 200);
}

// Browse/search is answered from each instance's in-memory index. With two
// server processes on one database, writes through one show up in the other's
// search (change feed polled every 100 ms), and at once in the writer's own.
TEST_P(MarketApi, SearchIndexFollowsWritesOfEveryInstance) {
    auto& a = *m_client;
    ServerProcess::Options o;
    o.data_dir = m_dir / "data-b";
    // The same database: for SQLite the same file as instance A's.
    o.db = GetParam() == "sqlite" ? "sqlite:" + (m_dir / "data" / "market.db").string() : m_db;
    o.config = test_config();
    ServerProcess second(o);
    ASSERT_TRUE(second.start());
    HttpClient b(second.port());
    auto creator = register_and_login(a, "idx-creator@atelier.test", "creator");
    auto other = register_and_login(a, "idx-other@atelier.test", "buyer");
    // B has loaded its index (empty) before any listing exists.
    ASSERT_EQ(b.get("/v1/listings").js()["total"], 0);

    auto p1 = publish(a, creator, test_png(96, 64, 901), listing_meta("Zephyrine meadow", 300), 8192);
    ASSERT_EQ(p1.status, 200) << p1.body;
    std::string l1 = p1.js()["listing"]["id"];
    auto p2 = publish(a, creator, test_png(96, 64, 902), listing_meta("Harbour stripes", 900), 8192);
    ASSERT_EQ(p2.status, 200) << p2.body;
    std::string l2 = p2.js()["listing"]["id"];

    // The writer sees its own writes at once; prefix match, AND of words, filters.
    auto own = a.get("/v1/listings?q=zeph");
    ASSERT_EQ(own.js()["items"].size(), 1u) << own.body;
    EXPECT_EQ(own.js()["items"][0]["id"], l1);
    EXPECT_EQ(a.get("/v1/listings?q=zephyrine%20harbour").js()["items"].size(), 0u);
    EXPECT_EQ(a.get("/v1/listings?q=SEAMLESS%20textiles").js()["total"], 2);
    EXPECT_EQ(a.get("/v1/listings?min_price=500").js()["items"][0]["id"], l2);
    EXPECT_EQ(a.get("/v1/listings?max_price=500").js()["items"][0]["id"], l1);
    auto page = a.get("/v1/listings?limit=1").js();
    ASSERT_EQ(page["items"].size(), 1u);
    EXPECT_EQ(page["items"][0]["id"], l2);  // newest first
    EXPECT_EQ(page["total"], 2);
    EXPECT_EQ(page["facets"]["tags"][0], json({{"tag", "blue"}, {"count", 2}}));
    auto next = a.get("/v1/listings?limit=1&cursor=" + std::to_string(page["next_cursor"].get<std::int64_t>())).js();
    ASSERT_EQ(next["items"].size(), 1u);
    EXPECT_EQ(next["items"][0]["id"], l1);
    EXPECT_TRUE(next["next_cursor"].is_null());

    // The other instance catches up through the change feed.
    auto eventually = [&](const std::string& target, const std::function<bool(const json&)>& ok) {
        for (int i = 0; i < 100; ++i) {
            auto r = b.get(target);
            if (r.status == 200 && ok(r.js())) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    };
    EXPECT_TRUE(eventually("/v1/listings?q=zephyrine",
                           [&](const json& j) { return j["items"].size() == 1 && j["items"][0]["id"] == l1; }));
    // Same content, same validator on both instances.
    EXPECT_EQ(b.get("/v1/listings?q=zephyrine").header("etag"), a.get("/v1/listings?q=zephyrine").header("etag"));

    // An edit on A: the old word disappears from B's results, the new one appears.
    auto etag_before = a.get("/v1/listings?tag=blue").header("etag");
    auto patched = a.request("PATCH", "/v1/listings/" + l1, json({{"title", "Quokka dunes"}}).dump(),
                             {{"Authorization", "Bearer " + creator}, {"Content-Type", "application/json"}});
    ASSERT_EQ(patched.status, 200) << patched.body;
    EXPECT_EQ(a.get("/v1/listings?q=zephyrine").js()["total"], 0);
    EXPECT_NE(a.get("/v1/listings?tag=blue").header("etag"), etag_before);
    EXPECT_TRUE(eventually("/v1/listings?q=quokka", [&](const json& j) { return j["total"] == 1; }));
    EXPECT_EQ(b.get("/v1/listings?q=zephyrine").js()["total"], 0);

    // A dispute through B freezes the listing: it leaves browse on both instances.
    auto d = b.post("/v1/listings/" + l2 + "/disputes", {{"reason", "this is my harbour photo"}}, other);
    ASSERT_EQ(d.status, 201) << d.body;
    EXPECT_EQ(b.get("/v1/listings?q=harbour").js()["total"], 0);
    EXPECT_TRUE(eventually("/v1/listings", [&](const json& j) { return j["total"] == 1; }));
    EXPECT_TRUE([&] {
        for (int i = 0; i < 100; ++i) {
            if (a.get("/v1/listings?q=harbour").js()["total"] == 0) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }());
    EXPECT_TRUE(second.running());
    second.kill9();
}

INSTANTIATE_TEST_SUITE_P(Backends, MarketApi, ::testing::Values("sqlite", "postgres"));

// --------------------------------------------------------------- single-backend checks

TEST(MarketApiSqlite, RateLimitsPerIpAndPerAccount) {
    auto dir = temp_dir("ratelimit");
    ServerProcess::Options o;
    o.data_dir = dir / "data";
    o.config = test_config();
    o.config["market.auth_per_minute_ip"] = "1000";
    o.config["market.auth_per_minute_account"] = "3";
    o.config["market.upload_per_minute_account"] = "2";
    ServerProcess s(o);
    ASSERT_TRUE(s.start());
    HttpClient c(s.port());
    auto creator = register_and_login(c, "rl@atelier.test", "creator");
    int limited = 0;
    for (int i = 0; i < 4; ++i) {
        auto r = c.post("/v1/accounts/login", {{"email", "rl@atelier.test"}, {"password", "wrong password"}});
        if (r.status == 429) {
            ++limited;
            EXPECT_FALSE(r.header("retry-after").empty());
        } else {
            EXPECT_EQ(r.status, 401);
        }
    }
    EXPECT_GE(limited, 1);
    json up = {{"size", 10}, {"sha256", std::string(64, 'a')}, {"listing", listing_meta("rl")}};
    EXPECT_EQ(c.post("/v1/uploads", up, creator).status, 201);
    EXPECT_EQ(c.post("/v1/uploads", up, creator).status, 201);
    EXPECT_EQ(c.post("/v1/uploads", up, creator).status, 429);
    s.kill9();

    // Per IP: registration attempts.
    o.config["market.auth_per_minute_ip"] = "2";
    o.data_dir = dir / "data2";
    ServerProcess s2(o);
    ASSERT_TRUE(s2.start());
    HttpClient c2(s2.port());
    std::vector<int> st;
    for (int i = 0; i < 3; ++i)
        st.push_back(c2.post("/v1/accounts/register",
                             {{"email", "ip" + std::to_string(i) + "@x.io"}, {"password", "password 123"}})
                         .status);
    EXPECT_EQ(st[2], 429);
}

TEST(MarketApiSqlite, OpenApiDocumentListsExactlyTheServersRoutes) {
    atelier::market_server::MarketOptions o;
    o.data_dir = temp_dir("openapi");
    o.listen = "127.0.0.1:0";
    auto app = atelier::market_server::MarketApp::create(o);
    ASSERT_TRUE(app.ok()) << app.error().message;
    auto doc = json::parse(atelier::market_server::openapi_document());
    EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
    std::set<std::string> server, documented;
    for (const auto& r : (*app)->router().routes()) {
        std::string m = r.method;
        for (auto& ch : m)
            ch = static_cast<char>(std::tolower(ch));
        server.insert(m + " " + r.pattern);
        // Documented path parameters match the route's {segments}.
        auto op = doc["paths"][r.pattern][m];
        ASSERT_TRUE(op.is_object()) << r.method << " " << r.pattern << " is not in openapi.json";
        for (std::size_t pos = r.pattern.find('{'); pos != std::string::npos; pos = r.pattern.find('{', pos + 1)) {
            auto name = r.pattern.substr(pos + 1, r.pattern.find('}', pos) - pos - 1);
            bool found = false;
            for (const auto& p : op.value("parameters", json::array()))
                found |= p["in"] == "path" && p["name"] == name;
            EXPECT_TRUE(found) << r.pattern << " does not document path parameter " << name;
        }
        EXPECT_TRUE(op.contains("responses"));
        EXPECT_TRUE(op.contains("security")) << r.pattern << " must say whether it needs a session";
    }
    for (auto& [path, item] : doc["paths"].items())
        for (auto& [method, op] : item.items())
            documented.insert(method + " " + path);
    EXPECT_EQ(server, documented);
}

}  // namespace
