// SPDX-License-Identifier: MIT
// The LibTorch runtime module: not mapped until a runtime is asked for,
// loaded once, and a missing or foreign module gives an error that says what
// to do instead of a crash.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "atelier/ml/runtime.h"

using namespace atelier;

namespace {

bool torch_mapped() {
    std::ifstream maps("/proc/self/maps");
    const std::string text((std::istreambuf_iterator<char>(maps)), {});
    return text.find("libtorch") != std::string::npos;
}

// Runs in a forked child (death-test machinery), where nothing is loaded yet.
[[noreturn]] void expect_module_error(const char* module, Errc code, const char* must_mention) {
    ::setenv("ATELIER_ML_MODULE", module, 1);
    auto r = ml::Runtime::create();
    const auto d = ml::Runtime::probe("auto");
    const bool ok = !r && r.error().code == code && r.error().message.find(must_mention) != std::string::npos &&
                    d.reason.find(must_mention) != std::string::npos && !torch_mapped();
    if (!ok) std::fprintf(stderr, "unexpected: %s\n", r ? "success" : r.error().message.c_str());
    std::exit(ok ? 0 : 1);
}

}  // namespace

TEST(MlModuleDeathTest, MissingModuleSaysHowToFix) {
    GTEST_FLAG_SET(death_test_style, "fast");
    EXPECT_EXIT(expect_module_error("/nonexistent/libatelier_ml_torch.so", Errc::not_found, "ATELIER_ML_MODULE"),
                ::testing::ExitedWithCode(0), "");
}

TEST(MlModuleDeathTest, ForeignLibraryIsRefused) {
    GTEST_FLAG_SET(death_test_style, "fast");
    EXPECT_EXIT(expect_module_error(ATELIER_TEST_NOT_A_MODULE, Errc::unsupported, "cannot load"),
                ::testing::ExitedWithCode(0), "");
    EXPECT_EXIT(expect_module_error("/lib/x86_64-linux-gnu/libc.so.6", Errc::unsupported, "another Atelier build"),
                ::testing::ExitedWithCode(0), "");
}

TEST(MlModule, LoadedOnlyWhenARuntimeIsAskedFor) {
    // Nothing before this in the suite's process asks for a runtime.
    ASSERT_FALSE(torch_mapped()) << "LibTorch is loaded before any runtime was asked for";
    EXPECT_EQ(ml::precision_name(*ml::parse_precision("bf16")), "bf16");
    EXPECT_EQ(ml::adaptive_threads(2, 0.7), 1);
    EXPECT_FALSE(torch_mapped());
    auto rt = ml::Runtime::create({.device = "cpu", .threads = 1});
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    EXPECT_TRUE(torch_mapped());
    EXPECT_EQ((*rt)->device().name, "cpu");
    EXPECT_FALSE((*rt)->device().torch_version.empty());
}
