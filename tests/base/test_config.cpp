// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "atelier/base/config.h"

using namespace atelier;
namespace fs = std::filesystem;

TEST(Config, DefaultsForEveryKnownKey) {
    Config c;
    for (const auto& k : Config::known_keys()) {
        EXPECT_EQ(c.get_string(k.name), k.default_value) << k.name;
        EXPECT_EQ(c.origin(k.name), "default");
        EXPECT_FALSE(k.help.empty()) << k.name << " needs help text";
    }
    EXPECT_EQ(*c.get_int("image.max_pixels"), 100'000'000);
}

TEST(Config, FileParsingWithSectionsAndComments) {
    Config c;
    auto r = c.merge_text("# comment\n[image]\nmax_pixels = 5000\n\n[log]\nlevel = \"debug\"\n", "test");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*c.get_int("image.max_pixels"), 5000);
    EXPECT_EQ(c.get_string("log.level"), "debug");
    EXPECT_EQ(c.origin("log.level"), "test");
}

TEST(Config, UnknownKeyAndBadLinesAreRejectedWithLocation) {
    Config c;
    auto r = c.merge_text("image.max_pixles = 5\n", "atelier.conf");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("atelier.conf:1"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("image.max_pixels"), std::string::npos) << "should list known keys";
    auto r2 = c.merge_text("\n\nno equals sign\n", "f");
    ASSERT_FALSE(r2);
    EXPECT_NE(r2.error().message.find("f:3"), std::string::npos) << r2.error().message;
    EXPECT_FALSE(c.merge_text("[image\nmax_pixels=1\n", "f"));
}

TEST(Config, PrecedenceFileThenEnvThenFlag) {
    const fs::path file = fs::temp_directory_path() / "atelier-config-test.conf";
    { std::ofstream(file) << "jobs.max_queued = 10\nml.precision = bf16\n"; }
    setenv("ATELIER_JOBS_MAX_QUEUED", "20", 1);
    auto c = Config::load(file);
    unsetenv("ATELIER_JOBS_MAX_QUEUED");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(*c->get_int("jobs.max_queued"), 20);
    EXPECT_EQ(c->origin("jobs.max_queued"), "env");
    EXPECT_EQ(c->get_string("ml.precision"), "bf16");
    EXPECT_EQ(c->origin("ml.precision").rfind("file:", 0), 0u);
    ASSERT_TRUE(c->set_flag("jobs.max_queued=30"));
    EXPECT_EQ(*c->get_int("jobs.max_queued"), 30);
    EXPECT_EQ(c->origin("jobs.max_queued"), "flag");
    EXPECT_FALSE(c->set_flag("jobs.max_queued"));
    fs::remove(file);
}

TEST(Config, MissingExplicitFileIsAnError) {
    auto c = Config::load("/nonexistent/atelier.conf");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::not_found);
}

TEST(Config, TypedGettersRefuseGarbage) {
    Config c;
    ASSERT_TRUE(c.set("image.max_pixels", "12abc"));
    auto v = c.get_int("image.max_pixels");
    ASSERT_FALSE(v);
    EXPECT_NE(v.error().message.find("12abc"), std::string::npos);
    ASSERT_TRUE(c.set("jobs.workers", "yes"));
    EXPECT_FALSE(c.get_int("jobs.workers"));
}
