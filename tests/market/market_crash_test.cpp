// SPDX-License-Identifier: MIT
// Crash safety: 200 concurrent clients (100 chunked uploads, 100 purchases)
// against the real server; the server is killed with SIGKILL mid-way and
// restarted on the same port while the clients keep retrying with the same
// idempotency keys and resume their uploads from the server's offset. Then:
// nothing acknowledged is lost, nothing is posted twice, the ledger sums to
// zero, the unfinished upload resumes, and the new signed tree head is
// consistent with the one seen before the crash.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "support.h"

using namespace market_test;

namespace {

const std::string kPw = "correct horse battery";

json meta(const std::string& title) {
    return {{"title", title},
            {"tags", {"crash"}},
            {"price", 700},
            {"currency", "EUR"},
            {"provenance", {{"model_author", "m"}, {"prompt_author", "p"}}}};
}

std::atomic<int> g_transient{0};
bool transient(int status) {
    bool t = status == 0 || status == 503 || status == 500;
    if (t) g_transient++;
    return t;
}

class MarketCrash : public ::testing::TestWithParam<std::string> {};

TEST_P(MarketCrash, KillDuringConcurrentUploadsAndPurchasesLosesNothing) {
    g_transient = 0;  // per backend: the check below must see this run's retries
    auto dir = temp_dir("crash-" + GetParam());
    auto db = db_spec(GetParam());
    ASSERT_FALSE(db.empty());
    std::string cmd = "ATELIER_MARKET_ADMIN_PASSWORD='admin password 1' '" + market_binary().string() + "' --data '" +
                      (dir / "data").string() + "' --db '" + db + "' create-admin admin@crash.test >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    ServerProcess::Options o;
    o.data_dir = dir / "data";
    o.db = db;
    o.config = test_config();
    o.config["market.chunk_bytes"] = "4096";
    o.config["market.db_pool"] = "16";
    // Durability is under test, not moderation: no nsfwjs forward pass per upload
    // (110 of them would compete with the 200 clients for the 2 cores).
    o.config["market.moderation"] = "off";
    ServerProcess server(o);
    ASSERT_TRUE(server.start());
    const int port = server.port();
    HttpClient c(port);

    constexpr int kCreators = 4, kBuyers = 12, kListings = 10, kUploads = 100, kPurchases = 100;
    std::vector<std::string> creators, buyers, listings;
    for (int i = 0; i < kCreators; ++i)
        creators.push_back(register_and_login(c, "c" + std::to_string(i) + "@crash.test", "creator"));
    for (int i = 0; i < kBuyers; ++i)
        buyers.push_back(register_and_login(c, "b" + std::to_string(i) + "@crash.test", "buyer"));
    auto admin =
        c.post("/v1/accounts/login", {{"email", "admin@crash.test"}, {"password", "admin password 1"}}).js()["token"];
    for (int i = 0; i < kListings; ++i) {
        auto r = publish(c, creators[static_cast<std::size_t>(i % kCreators)], test_png(48, 48, 1000 + i),
                         meta("base " + std::to_string(i)));
        ASSERT_EQ(r.status, 200) << r.body;
        listings.push_back(r.js()["listing"]["id"]);
    }
    // One upload left half-done before the storm: it must resume after the crash.
    auto pending_bytes = test_png(96, 96, 4242);
    auto pu = c.post("/v1/uploads",
                     {{"size", pending_bytes.size()}, {"sha256", sha256_hex(pending_bytes)}, {"listing", meta("half")}},
                     creators[0]);
    std::string pending_id = pu.js()["id"];
    ASSERT_EQ(c.request("PUT", "/v1/uploads/" + pending_id + "/chunks?offset=0", pending_bytes.substr(0, 4096),
                        {{"Authorization", "Bearer " + creators[0]},
                         {"X-Chunk-SHA256", sha256_hex(pending_bytes.substr(0, 4096))}})
                  .status,
              200);

    // Pre-generate the upload payloads (image encoding is not what we test).
    std::vector<std::string> payloads;
    for (int i = 0; i < kUploads; ++i)
        payloads.push_back(test_png(48, 48, 2000 + i));

    std::atomic<int> acknowledged{0};
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::map<std::string, std::set<std::string>> purchase_answers;  // key -> licence ids seen in 201 answers
    std::map<std::string, std::string> purchase_buyer;              // key -> buyer token
    std::vector<std::string> uploaded_listings;
    std::vector<std::string> failures;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);

    std::vector<std::thread> threads;
    for (int i = 0; i < kPurchases; ++i) {
        threads.emplace_back([&, i] {
            HttpClient h(port);
            const auto& buyer = buyers[static_cast<std::size_t>(i % kBuyers)];
            const auto& lid = listings[static_cast<std::size_t>((i / kBuyers) % kListings)];
            const char* types[] = {"personal", "commercial", "extended"};
            std::string type = types[(i / (kBuyers * kListings)) % 3];
            std::string key = "crash-purchase-" + std::to_string(i);
            {
                std::lock_guard lock(mu);
                purchase_buyer[key] = buyer;
            }
            // Two successful answers per key at least: the first, and one replay (maybe after the crash).
            int ok = 0;
            while (ok < 2 && std::chrono::steady_clock::now() < deadline) {
                auto r = h.post("/v1/purchases", {{"listing_id", lid}, {"licence_type", type}}, buyer,
                                {{"Idempotency-Key", key}});
                if (transient(r.status)) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                    continue;
                }
                std::lock_guard lock(mu);
                if (r.status != 201) {
                    failures.push_back(key + ": " + std::to_string(r.status) + " " + r.body);
                    return;
                }
                purchase_answers[key].insert(r.js()["licence"]["id"].get<std::string>());
                if (ok++ == 0) acknowledged++;
            }
        });
    }
    for (int i = 0; i < kUploads; ++i) {
        threads.emplace_back([&, i] {
            HttpClient h(port);
            const auto& tok = creators[static_cast<std::size_t>(i % kCreators)];
            const auto& bytes = payloads[static_cast<std::size_t>(i)];
            std::string id;
            while (id.empty() && std::chrono::steady_clock::now() < deadline) {
                auto r = h.post(
                    "/v1/uploads",
                    {{"size", bytes.size()}, {"sha256", sha256_hex(bytes)}, {"listing", meta("u" + std::to_string(i))}},
                    tok);
                if (r.status == 201)
                    id = r.js()["id"];
                else
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            while (std::chrono::steady_clock::now() < deadline) {
                auto st = h.get("/v1/uploads/" + id, tok);
                if (transient(st.status)) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                    continue;
                }
                if (st.status != 200) {  // not a crash symptom: report it instead of aborting on the body
                    std::lock_guard lock(mu);
                    failures.push_back("upload " + id + " state: " + std::to_string(st.status) + " " + st.body);
                    return;
                }
                std::size_t off = st.js()["received"].get<std::size_t>();
                bool broke = false;
                while (off < bytes.size()) {
                    auto part = bytes.substr(off, 4096);
                    auto r = h.request("PUT", "/v1/uploads/" + id + "/chunks?offset=" + std::to_string(off), part,
                                       {{"Authorization", "Bearer " + tok}, {"X-Chunk-SHA256", sha256_hex(part)}});
                    if (r.status != 200) {
                        broke = true;
                        break;
                    }
                    off = r.js()["received"].get<std::size_t>();
                }
                if (broke) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                    continue;
                }
                auto done = h.post("/v1/uploads/" + id + "/complete", json(), tok);
                if (transient(done.status)) continue;
                std::lock_guard lock(mu);
                if (done.status != 200)
                    failures.push_back("upload " + id + ": " + std::to_string(done.status) + " " + done.body);
                else
                    uploaded_listings.push_back(done.js()["listing"]["id"]);
                acknowledged++;
                return;
            }
        });
    }

    // Crash early in the storm (the main thread competes with 200 clients for 2 cores).
    json sth_before;
    while (acknowledged < (kUploads + kPurchases) / 10 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    sth_before = c.get("/v1/log/sth").js();
    server.kill9();
    int at_crash = acknowledged;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_TRUE(server.start());
    ASSERT_EQ(server.port(), port);
    for (auto& t : threads)
        t.join();
    stop = true;

    HttpClient v(port);
    for (const auto& f : failures)
        ADD_FAILURE() << f;
    std::printf("crash after %d of %d acknowledged operations; %d transient failures retried\n", at_crash,
                kUploads + kPurchases, g_transient.load());
    EXPECT_GT(at_crash, 0);
    EXPECT_GT(g_transient.load(), 0) << "no client saw the crash; nothing was tested";
    EXPECT_LT(at_crash, kUploads + kPurchases) << "the crash came after everything finished; nothing was tested";
    // Purchases: each key gave one licence id in every answer, before and after the crash, and it exists.
    ASSERT_EQ(purchase_answers.size(), static_cast<std::size_t>(kPurchases));
    std::map<std::string, int> per_buyer;
    for (const auto& [key, ids] : purchase_answers) {
        EXPECT_EQ(ids.size(), 1u) << key << " got different licences";
        auto r = v.get("/v1/licences/" + *ids.begin(), purchase_buyer[key]);
        EXPECT_EQ(r.status, 200) << key;
        per_buyer[purchase_buyer[key]]++;
    }
    int licences = 0;
    for (const auto& b : buyers) {
        auto n = static_cast<int>(v.get("/v1/licences", b).js()["items"].size());
        EXPECT_EQ(n, per_buyer[b]) << "a purchase was posted twice or lost";
        licences += n;
    }
    EXPECT_EQ(licences, kPurchases);
    // Uploads: every acknowledged listing exists.
    EXPECT_EQ(uploaded_listings.size(), static_cast<std::size_t>(kUploads));
    for (const auto& id : uploaded_listings)
        EXPECT_EQ(
            v.get("/v1/listings/" + id, creators[0]).status == 200 || v.get("/v1/listings/" + id, admin).status == 200,
            true);
    // Ledger: zero-sum, one transaction per licence, no unbalanced transaction.
    auto ledger = v.get("/v1/admin/ledger", admin).js();
    EXPECT_EQ(ledger["sum"], 0);
    EXPECT_TRUE(ledger["unbalanced_txns"].empty());
    EXPECT_EQ(ledger["transactions"], kPurchases);
    // The half-done upload resumes from the server's offset.
    auto st = v.get("/v1/uploads/" + pending_id, creators[0]).js();
    std::size_t off = st["received"];
    EXPECT_EQ(off, 4096u);
    while (off < pending_bytes.size()) {
        auto part = pending_bytes.substr(off, 4096);
        auto r = v.request("PUT", "/v1/uploads/" + pending_id + "/chunks?offset=" + std::to_string(off), part,
                           {{"Authorization", "Bearer " + creators[0]}, {"X-Chunk-SHA256", sha256_hex(part)}});
        ASSERT_EQ(r.status, 200) << r.body;
        off += part.size();
    }
    EXPECT_EQ(v.post("/v1/uploads/" + pending_id + "/complete", json(), creators[0]).status, 200);
    // The transparency log did not rewrite history across the crash.
    auto sth_after = v.get("/v1/log/sth").js();
    std::int64_t m = sth_before["tree_size"], n = sth_after["tree_size"];
    ASSERT_GT(m, 0);
    ASSERT_GE(n, m);
    auto proof = v.get("/v1/log/proof/consistency?first=" + std::to_string(m) + "&second=" + std::to_string(n)).js();
    std::vector<std::string> path = proof["proof"];
    EXPECT_TRUE(verify_consistency(static_cast<std::uint64_t>(m), static_cast<std::uint64_t>(n),
                                   sth_before["root_hash"], sth_after["root_hash"], path));
    EXPECT_TRUE(server.running());
}

INSTANTIATE_TEST_SUITE_P(Backends, MarketCrash, ::testing::Values("sqlite", "postgres"));

}  // namespace
