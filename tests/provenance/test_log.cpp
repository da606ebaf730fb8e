// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "atelier/base/hash.h"
#include "atelier/provenance/export.h"
#include "atelier/provenance/log.h"
#include "atelier/provenance/validate.h"
#include "test_helpers.h"

using namespace atelier;
using namespace atelier::provenance;
using namespace atelier::provenance::testing;

namespace {

std::string asset_hash(int i) {
    return to_hex(sha256("asset " + std::to_string(i)));
}

/// Plays the attacker: raw SQL on the database file, triggers dropped.
void tamper(const std::filesystem::path& db, const std::string& sql_text) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    const std::string all =
        "DROP TRIGGER IF EXISTS entries_no_update; DROP TRIGGER IF EXISTS entries_no_delete; " + sql_text;
    char* msg = nullptr;
    const int rc = sqlite3_exec(raw, all.c_str(), nullptr, nullptr, &msg);
    EXPECT_EQ(rc, SQLITE_OK) << (msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_close(raw);
}

class ProvenanceLogTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = temp_dir("log");
        m_db = m_dir / "provenance.db";
        auto log = ProvenanceLog::open(m_db, test_identity());
        ASSERT_TRUE(log.ok()) << log.error().message;
        const char* actions[] = {"generate", "upscale", "edit", "sign", "publish"};
        for (int i = 0; i < 5; ++i) {
            auto e = log->append(actions[i], asset_hash(i < 3 ? 0 : 1), i == 3 ? "urn:c2pa:x" : "", {{"step", i}});
            ASSERT_TRUE(e.ok()) << e.error().message;
            EXPECT_EQ(e->seq, i + 1);
        }
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    std::vector<LogProblem> problems() {
        auto log = ProvenanceLog::open(m_db);
        EXPECT_TRUE(log.ok());
        auto p = log->verify();
        EXPECT_TRUE(p.ok()) << p.error().message;
        return p.ok() ? *p : std::vector<LogProblem>{};
    }
    static bool has(const std::vector<LogProblem>& ps, const std::string& kind, std::int64_t seq) {
        for (const auto& p : ps)
            if (p.kind == kind && p.seq == seq) return true;
        return false;
    }
    static std::string dump(const std::vector<LogProblem>& ps) {
        std::string s;
        for (const auto& p : ps)
            s += std::to_string(p.seq) + " " + p.kind + ": " + p.message + "\n";
        return s;
    }

    std::filesystem::path m_dir, m_db;
};

}  // namespace

TEST_F(ProvenanceLogTest, AppendsChainedSignedEntries) {
    auto log = ProvenanceLog::open(m_db);
    ASSERT_TRUE(log.ok());
    auto all = log->list();
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 5u);
    EXPECT_EQ(all->front().prev_hash, std::string(64, '0'));
    for (std::size_t i = 1; i < all->size(); ++i)
        EXPECT_EQ((*all)[i].prev_hash, (*all)[i - 1].hash);
    auto e = log->get(4);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->action, "sign");
    EXPECT_EQ(e->manifest, "urn:c2pa:x");
    EXPECT_EQ(e->details.at("step"), 3);
    EXPECT_EQ(e->signer, to_hex(sha256(test_identity().chain.front().der())));
    EXPECT_EQ(e->to_json().at("hash"), e->hash);
    EXPECT_FALSE(e->to_json().at("signature_cose_base64").get<std::string>().empty());
    EXPECT_EQ(log->get(99).error().code, Errc::not_found);
    EXPECT_EQ(log->for_asset(asset_hash(1))->size(), 2u);
    EXPECT_EQ(log->list(2)->front().seq, 4);
    EXPECT_TRUE(problems().empty()) << dump(problems());
    auto trusted = log->verify({test_ca().certificate()});
    ASSERT_TRUE(trusted.ok());
    EXPECT_TRUE(trusted->empty());
    auto other = CertificateAuthority::create({"Other", "", ""});
    auto untrusted = log->verify({other->certificate()});
    ASSERT_TRUE(untrusted.ok());
    EXPECT_TRUE(has(*untrusted, "untrusted", 1));
    // Read-only: no key, no append.
    EXPECT_EQ(log->append("edit", asset_hash(0)).error().code, Errc::permission_denied);
}

TEST_F(ProvenanceLogTest, IsAppendOnlyThroughSql) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(m_db.c_str(), &raw), SQLITE_OK);
    EXPECT_NE(sqlite3_exec(raw, "UPDATE entries SET asset = 'x' WHERE seq = 1", nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_NE(sqlite3_exec(raw, "DELETE FROM entries WHERE seq = 1", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
    EXPECT_TRUE(problems().empty());
}

TEST_F(ProvenanceLogTest, DetectsAnEditedEntry) {
    // Flip one byte inside the body of entry 3 (its action text).
    tamper(m_db, "UPDATE entries SET body = CAST(replace(CAST(body AS TEXT), 'edit', 'EDIT') AS BLOB) WHERE seq = 3;");
    const auto p = problems();
    EXPECT_TRUE(has(p, "edited", 3)) << dump(p);
    EXPECT_FALSE(has(p, "edited", 2)) << dump(p);
}

TEST_F(ProvenanceLogTest, DetectsARemovedEntry) {
    tamper(m_db, "DELETE FROM entries WHERE seq = 3;");
    const auto p = problems();
    EXPECT_TRUE(has(p, "removed", 4)) << dump(p);
}

TEST_F(ProvenanceLogTest, DetectsReorderedEntries) {
    tamper(m_db,
           "UPDATE entries SET seq = 100 WHERE seq = 2; UPDATE entries SET seq = 2 WHERE seq = 3; "
           "UPDATE entries SET seq = 3 WHERE seq = 100;");
    const auto p = problems();
    EXPECT_TRUE(has(p, "reordered", 2)) << dump(p);
    EXPECT_TRUE(has(p, "reordered", 3)) << dump(p);
}

TEST_F(ProvenanceLogTest, DetectsEntriesCutFromTheEnd) {
    tamper(m_db, "DELETE FROM entries WHERE seq >= 4;");
    const auto p = problems();
    EXPECT_TRUE(has(p, "truncated", 4)) << dump(p);
}

TEST_F(ProvenanceLogTest, RefusesANewerSchemaAndBadInput) {
    auto log = ProvenanceLog::open(m_db, test_identity());
    ASSERT_TRUE(log.ok());
    EXPECT_EQ(log->append("", asset_hash(0)).error().code, Errc::invalid_argument);
    EXPECT_EQ(log->append("edit", "not-a-hash").error().code, Errc::invalid_argument);
    tamper(m_db, "UPDATE meta SET value = CAST('99' AS BLOB) WHERE key = 'schema_version';");
    auto newer = ProvenanceLog::open(m_db);
    ASSERT_FALSE(newer.ok());
    EXPECT_EQ(newer.error().code, Errc::unsupported);
    EXPECT_NE(newer.error().message.find("update Atelier"), std::string::npos);
}

TEST(Export, SignsInPlaceCarriesParentsAndLogs) {
    const auto dir = temp_dir("export");
    auto parent = sign_asset(make_image(".png", 32, 32, 1), generated_spec(), test_identity());
    ASSERT_TRUE(parent.ok());
    ASSERT_TRUE(write_file_atomic(dir / "parent.png", parent->asset).ok());
    ASSERT_TRUE(write_file_atomic(dir / "export.jpg", make_image(".jpg", 32, 32, 1)).ok());
    ExportSigning how;
    how.parents.push_back(dir / "parent.png");
    how.actions.push_back({"c2pa.converted", "", nlohmann::json::object(), {}, ""});
    how.keys_dir = dir / "keys";
    how.log_db = dir / "log.db";
    auto r = sign_export(dir / "export.jpg", how);
    ASSERT_TRUE(r.ok()) << r.error().message;
    auto anchors = Certificate::load_bundle(dir / "keys" / "ca.pem");
    ASSERT_TRUE(anchors.ok());
    ValidationOptions opts;
    opts.trust_anchors = *anchors;
    opts.trust_anchors.push_back(test_ca().certificate());  // the parent's signer
    auto rep = validate_file(dir / "export.jpg", opts);
    ASSERT_TRUE(rep.ok());
    EXPECT_EQ(rep->state, ValidationState::trusted) << rep->to_json().dump(1);
    EXPECT_EQ(rep->manifests.size(), 2u);
    EXPECT_FALSE(rep->manifests[rep->active_label].contains("thumbnail")) << "none was given";
    auto log = ProvenanceLog::open(dir / "log.db");
    ASSERT_TRUE(log.ok());
    auto entries = log->list();
    ASSERT_TRUE(entries.ok());
    ASSERT_EQ(entries->size(), 1u);
    EXPECT_EQ(entries->front().action, "export");
    EXPECT_EQ(entries->front().manifest, r->manifest_label);
    EXPECT_EQ(entries->front().asset_sha256, to_hex(*sha256_file(dir / "export.jpg")));
    // A thumbnail given by the caller is embedded as c2pa.thumbnail.claim.png.
    ASSERT_TRUE(write_file_atomic(dir / "thumb-export.png", make_image(".png", 32, 32, 2)).ok());
    ExportSigning with_thumb = how;
    with_thumb.thumbnail = ThumbnailSpec{"image/png", make_image(".png", 8, 8, 3)};
    auto t = sign_export(dir / "thumb-export.png", with_thumb);
    ASSERT_TRUE(t.ok()) << t.error().message;
    auto trep = validate_file(dir / "thumb-export.png", opts);
    ASSERT_TRUE(trep.ok());
    EXPECT_EQ(trep->state, ValidationState::trusted) << trep->to_json().dump(1);
    EXPECT_TRUE(trep->manifests[trep->active_label].contains("thumbnail")) << trep->to_json().dump(1);
    // A format without C2PA support here is refused, and the file is left as it was.
    ASSERT_TRUE(write_file_atomic(dir / "notes.txt", Bytes{'h', 'i'}).ok());
    auto refused = sign_export(dir / "notes.txt", how);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::unsupported);
    EXPECT_EQ(read_file_bytes(dir / "notes.txt")->size(), 2u);
    std::filesystem::remove_all(dir);
}
