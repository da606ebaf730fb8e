// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "atelier/ml/registry.h"

using namespace atelier;
using namespace atelier::ml;
namespace fs = std::filesystem;

namespace {

class Registry : public ::testing::Test {
protected:
    void SetUp() override {
        root = fs::temp_directory_path() / ("atelier-registry-" + std::to_string(::getpid()));
        fs::remove_all(root);
        fs::create_directories(root);
    }
    void TearDown() override { fs::remove_all(root); }

    // Writes a model with one weight file holding `content`.
    fs::path add_model(const std::string& id, const std::string& version, const std::string& content,
                       const std::string& claimed_sha = "") {
        const fs::path dir = root / id / version;
        fs::create_directories(dir / "w");
        std::ofstream(dir / "w/weights.bin", std::ios::binary) << content;
        const std::string sha = claimed_sha.empty() ? to_hex(sha256(std::string_view(content))) : claimed_sha;
        nlohmann::json j{{"id", id},
                         {"version", version},
                         {"task", "upscale"},
                         {"format", "tfjs-layers"},
                         {"licence", "MIT"},
                         {"source", {{"registry", "npm"}, {"package", "@x/" + id}, {"version", version}}},
                         {"files", {{{"path", "w/weights.bin"}, {"sha256", sha}, {"bytes", content.size()}}}},
                         {"scales", {{"4", "w/weights.bin"}}}};
        std::ofstream(dir / "manifest.json") << j.dump();
        return dir;
    }
    fs::path root;
};

}  // namespace

TEST(Versions, NumericOrder) {
    EXPECT_LT(compare_versions("1.9.2", "1.10.0"), 0);
    EXPECT_GT(compare_versions("2.0", "1.99.99"), 0);
    EXPECT_EQ(compare_versions("1.0.0", "1.0.0"), 0);
    EXPECT_LT(compare_versions("1.0.0-beta", "1.0.0"), 0);
    EXPECT_LT(compare_versions("1.0", "1.0.1"), 0);
}

TEST_F(Registry, ScanFindsVersionsSideBySide) {
    add_model("esrgan-x", "1.0.0", "old weights");
    add_model("esrgan-x", "1.10.0", "new weights");
    add_model("other", "0.1", "x");
    auto reg = ModelRegistry::scan({root, root / "missing-dir"});
    EXPECT_EQ(reg.models().size(), 3u);
    EXPECT_TRUE(reg.problems().empty());
    auto latest = reg.find("esrgan-x");
    ASSERT_TRUE(latest);
    EXPECT_EQ((*latest)->version, "1.10.0");
    auto pinned = reg.find("esrgan-x@1.0.0");
    ASSERT_TRUE(pinned);
    EXPECT_EQ((*pinned)->version, "1.0.0");
    EXPECT_EQ((*pinned)->source_package, "@x/esrgan-x");
    EXPECT_EQ((*pinned)->extra["scales"]["4"], "w/weights.bin") << "format-specific fields are kept";
    auto missing = reg.find("esrgan-x@3");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::not_found);
    EXPECT_NE(missing.error().message.find("esrgan-x@1.10.0"), std::string::npos) << "lists what is installed";
}

TEST_F(Registry, VerifyAcceptsGoodFilesAndCachesVerdict) {
    add_model("good", "1", "payload");
    auto reg = ModelRegistry::scan({root});
    auto m = reg.resolve("good");
    ASSERT_TRUE(m) << m.error().message;
    // Cached: a later change is not re-hashed within this process...
    std::ofstream(root / "good/1/w/weights.bin") << "tampered";
    EXPECT_TRUE(reg.verify(**m));
    // ...but a fresh registry (next start) sees it.
    auto fresh = ModelRegistry::scan({root});
    auto r = fresh.resolve("good");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::verification_failed);
}

TEST_F(Registry, HashMismatchIsRefusedWithRepairAdvice) {
    add_model("bad", "1", "payload", std::string(64, 'a'));
    auto reg = ModelRegistry::scan({root});
    auto r = reg.resolve("bad@1");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::verification_failed);
    EXPECT_NE(r.error().message.find("w/weights.bin"), std::string::npos);
    EXPECT_NE(r.error().message.find("setup.sh models"), std::string::npos);
}

TEST_F(Registry, MissingOrShortFile) {
    auto dir = add_model("gone", "1", "payload");
    fs::remove(dir / "w/weights.bin");
    auto reg = ModelRegistry::scan({root});
    auto r = reg.resolve("gone");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::not_found);

    auto dir2 = add_model("short", "1", "payload");
    std::ofstream(dir2 / "w/weights.bin") << "pay";
    auto reg2 = ModelRegistry::scan({root});
    auto r2 = reg2.resolve("short");
    ASSERT_FALSE(r2);
    EXPECT_NE(r2.error().message.find("bytes"), std::string::npos);
}

TEST_F(Registry, BrokenManifestsAreReportedNotFatal) {
    add_model("fine", "1", "x");
    fs::create_directories(root / "a/1");
    std::ofstream(root / "a/1/manifest.json") << "{\"id\": 5}";
    fs::create_directories(root / "b/1");
    std::ofstream(root / "b/1/manifest.json") << R"({"id":"b","version":"1","task":"t","format":"f","licence":"MIT",
        "files":[{"path":"../../etc/passwd","sha256":"00"}]})";
    fs::create_directories(root / "c/1");
    std::ofstream(root / "c/1/manifest.json") << "[1,2";
    auto reg = ModelRegistry::scan({root});
    EXPECT_EQ(reg.models().size(), 1u);
    ASSERT_EQ(reg.problems().size(), 3u);
    bool saw_traversal = false;
    for (const auto& p : reg.problems())
        saw_traversal |= p.find("stay inside the model folder") != std::string::npos;
    EXPECT_TRUE(saw_traversal);
}

TEST(Manifest, RequiredFields) {
    nlohmann::json j{{"id", "m"}, {"version", "1"}, {"task", "t"}, {"format", "f"}, {"licence", "MIT"}};
    auto r = parse_manifest(j, "/tmp");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("no files"), std::string::npos);
    j.erase("licence");
    j["files"] = {{{"path", "a"}, {"sha256", std::string(64, '0')}}};
    auto r2 = parse_manifest(j, "/tmp");
    ASSERT_FALSE(r2);
    EXPECT_NE(r2.error().message.find("licence"), std::string::npos);
    j["licence"] = "MIT";
    j["id"] = "bad@id";
    EXPECT_FALSE(parse_manifest(j, "/tmp"));
}
