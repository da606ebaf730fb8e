// SPDX-License-Identifier: MIT
// The `atelier` executable, run as a user would: exit codes, one-line errors,
// JSON output.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "atelier/imageio/imageio.h"
#include "atelier/test/process.h"

namespace fs = std::filesystem;

namespace {

using atelier::test::ProcessResult;

// Runs the CLI with an isolated HOME/XDG so the user's config never leaks in.
ProcessResult run_cli(const std::string& args, const fs::path& home) {
    return atelier::test::run_shell(std::string(ATELIER_CLI) + " " + args,
                                    atelier::test::isolated_home(home, home / "models"));
}

class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        home = fs::temp_directory_path() /
               ("atelier-cli-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(home);
        fs::create_directories(home);
    }
    void TearDown() override { fs::remove_all(home); }
    fs::path home;
};

}  // namespace

TEST_F(Cli, HelpListsSubcommands) {
    auto r = run_cli("--help", home);
    EXPECT_EQ(r.code, 0);
    for (const char* sub : {"info", "convert", "inspect", "sample", "config"})
        EXPECT_NE(r.out.find(sub), std::string::npos) << sub;
}

TEST_F(Cli, NoSubcommandIsAUsageError) {
    auto r = run_cli("", home);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("atelier: error:"), std::string::npos) << r.err;
}

TEST_F(Cli, InfoReportsMachineAndModels) {
    // A model folder with one valid and one broken manifest.
    fs::create_directories(home / "models/m1/1.0");
    std::ofstream(home / "models/m1/1.0/manifest.json")
        << R"({"id":"m1","version":"1.0","task":"upscale","format":"tfjs-layers","licence":"MIT",
              "files":[{"path":"w.bin","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]})";
    fs::create_directories(home / "models/broken/1");
    std::ofstream(home / "models/broken/1/manifest.json") << "{not json";
    auto r = run_cli("--json info", home);
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_FALSE(j["version"].get<std::string>().empty());
    EXPECT_GE(j["cpu"]["cores"].get<int>(), 1);
    EXPECT_TRUE(j["device"] == "cpu" || j["device"].get<std::string>().rfind("cuda", 0) == 0);
    EXPECT_FALSE(j["device_reason"].get<std::string>().empty());
    // The image codec module is found (next to the program or in the build tree).
    EXPECT_EQ(j["image_io"]["ok"], true) << j["image_io"].dump();
    EXPECT_NE(j["image_io"]["codec"].get<std::string>().find("OpenImageIO"), std::string::npos);
    ASSERT_EQ(j["models"].size(), 1u);
    EXPECT_EQ(j["models"][0]["id"], "m1");
    EXPECT_EQ(j["models"][0]["licence"], "MIT");
    ASSERT_EQ(j["model_problems"].size(), 1u);
    EXPECT_NE(j["model_problems"][0].get<std::string>().find("not valid JSON"), std::string::npos);
    auto text = run_cli("info", home);
    EXPECT_EQ(text.code, 0);
    EXPECT_NE(text.out.find("CPU:"), std::string::npos);
    EXPECT_NE(text.out.find("m1"), std::string::npos);
}

TEST_F(Cli, SampleConvertInspectFlow) {
    auto s = run_cli("--quiet sample " + (home / "s").string() + " --size 64", home);
    ASSERT_EQ(s.code, 0) << s.err;
    ASSERT_TRUE(fs::exists(home / "s/waves-seamless.png"));
    auto c = run_cli(
        "convert " + (home / "s/waves-seamless.png").string() + " " + (home / "out.webp").string() + " --resize 128x",
        home);
    ASSERT_EQ(c.code, 0) << c.err;
    auto info = atelier::imageio::probe(home / "out.webp");
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->width, 128);
    EXPECT_EQ(info->height, 128);
    auto j = run_cli("--json inspect " + (home / "s/dots-halfdrop.png").string(), home);
    ASSERT_EQ(j.code, 0) << j.err;
    auto doc = nlohmann::json::parse(j.out);
    ASSERT_EQ(doc.size(), 1u);
    EXPECT_EQ(doc[0]["width"], 64);
    EXPECT_EQ(doc[0]["format"], "png");
    EXPECT_NEAR(doc[0]["dpi"][0].get<double>(), 300.0, 0.5);
    EXPECT_EQ(doc[0]["alpha"], false);
}

TEST_F(Cli, BadInputsGiveOneLineReasonsAndNonZeroExit) {
    std::ofstream(home / "text.png") << "hello";
    std::ofstream(home / "empty.jpg");
    struct Case {
        std::string args;
        std::string mention;
    } cases[] = {
        {"convert " + (home / "missing.png").string() + " " + (home / "o.png").string(), "does not exist"},
        {"convert " + (home / "text.png").string() + " " + (home / "o.png").string(), "not a valid png"},
        {"convert " + (home / "empty.jpg").string() + " " + (home / "o.png").string(), "empty"},
        {"convert " + home.string() + " " + (home / "o.png").string(), "folder"},
        {"inspect " + (home / "nothing.tif").string(), "does not exist"},
    };
    for (const auto& c : cases) {
        auto r = run_cli(c.args, home);
        EXPECT_EQ(r.code, 1) << c.args;
        EXPECT_EQ(r.err.rfind("atelier: error: ", 0), 0u) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
        EXPECT_NE(r.err.find(c.mention), std::string::npos) << r.err;
    }
    EXPECT_FALSE(fs::exists(home / "o.png"));
}

TEST_F(Cli, ConvertUsageErrors) {
    ASSERT_EQ(run_cli("--quiet sample " + (home / "s").string() + " --size 16", home).code, 0);
    const auto in = (home / "s/gradient.jpg").string();
    auto bad_size = run_cli("convert " + in + " " + (home / "o.png").string() + " --resize 12by4", home);
    EXPECT_EQ(bad_size.code, 2);
    EXPECT_NE(bad_size.err.find("1024x768"), std::string::npos) << bad_size.err;
    auto bad_ext = run_cli("convert " + in + " " + (home / "o.pdf").string(), home);
    EXPECT_EQ(bad_ext.code, 1);
    EXPECT_NE(bad_ext.err.find("unknown extension"), std::string::npos) << bad_ext.err;
    auto json_err = run_cli("--json convert " + (home / "none.png").string() + " " + (home / "o.png").string(), home);
    EXPECT_EQ(json_err.code, 1);
    auto j = nlohmann::json::parse(json_err.out);
    EXPECT_EQ(j["error"]["code"], "not_found");
}

TEST_F(Cli, ConfigFlagsAndLimitsApply) {
    ASSERT_EQ(run_cli("--quiet sample " + (home / "s").string() + " --size 64", home).code, 0);
    auto r = run_cli("--set image.max_pixels=100 inspect " + (home / "s/gradient.jpg").string(), home);
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("image.max_pixels"), std::string::npos) << r.err;
    auto bad = run_cli("--set image.max_pixel=1 info", home);
    EXPECT_EQ(bad.code, 2);
    EXPECT_NE(bad.err.find("unknown configuration key"), std::string::npos) << bad.err;
    fs::create_directories(home / ".config/atelier");
    std::ofstream(home / ".config/atelier/atelier.conf") << "[image]\nmax_pixels = 100\n";
    auto from_file = run_cli("--json config", home);
    ASSERT_EQ(from_file.code, 0) << from_file.err;
    auto j = nlohmann::json::parse(from_file.out);
    EXPECT_EQ(j["image.max_pixels"]["value"], "100");
    EXPECT_EQ(j["image.max_pixels"]["origin"].get<std::string>().rfind("file:", 0), 0u);
}

TEST_F(Cli, ConfigDocsListEveryKey) {
    auto r = run_cli("config --markdown", home);
    ASSERT_EQ(r.code, 0);
    std::ifstream doc(std::string(ATELIER_SOURCE_DIR) + "/docs/CONFIG.md");
    ASSERT_TRUE(doc) << "docs/CONFIG.md is missing";
    const std::string text(std::istreambuf_iterator<char>(doc), {});
    std::istringstream rows(r.out);
    std::string row;
    int n = 0;
    while (std::getline(rows, row)) {
        if (row.rfind("| `", 0) != 0) continue;
        ++n;
        EXPECT_NE(text.find(row), std::string::npos)
            << "docs/CONFIG.md is stale; regenerate with `atelier config --markdown`: missing " << row;
    }
    EXPECT_GT(n, 5);
}

TEST_F(Cli, TagFolderTagsEveryImageAndReportsTheUnreadableOne) {
    ASSERT_EQ(run_cli("--quiet sample " + (home / "s").string() + " --size 96", home).code, 0);
    { std::ofstream(home / "s/broken.png") << "not a png"; }
    auto r = run_cli("--json tag " + (home / "s").string() + " --no-moderation", home);
    EXPECT_NE(r.code, 0) << "one file could not be read";
    auto doc = nlohmann::json::parse(r.out);
    ASSERT_TRUE(doc.is_array());
    ASSERT_EQ(doc.size(), 5u);  // four samples and the broken file, in path order
    int tagged = 0, errors = 0;
    for (const auto& f : doc) {
        if (f.contains("error")) {
            ++errors;
            EXPECT_NE(f["file"].get<std::string>().find("broken.png"), std::string::npos);
            continue;
        }
        ++tagged;
        std::map<std::string, nlohmann::json> tags;
        for (const auto& t : f["tags"])
            tags[t["name"].get<std::string>()] = t["value"];
        EXPECT_EQ(tags["width"], 96) << f["file"];
        EXPECT_TRUE(tags.count("palette.1.hex")) << f["file"];
        EXPECT_TRUE(tags.count("hash.phash")) << f["file"];
        EXPECT_FALSE(tags.count("embedding")) << "vectors are not printed";
        if (f["file"].get<std::string>().find("waves-seamless") != std::string::npos) {
            EXPECT_EQ(tags["seamless"], true);
        }
    }
    EXPECT_EQ(tagged, 4);
    EXPECT_EQ(errors, 1);
}
