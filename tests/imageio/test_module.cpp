// SPDX-License-Identifier: MIT
// The OpenImageIO codec module: not loaded until an image is touched, loaded
// once, and a missing or foreign module gives an error that says what to do.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"

using namespace atelier;
namespace fs = std::filesystem;

namespace {

bool oiio_mapped() {
    std::ifstream maps("/proc/self/maps");
    const std::string text((std::istreambuf_iterator<char>(maps)), {});
    return text.find("libOpenImageIO") != std::string::npos;
}

// Runs in a forked child (death-test machinery), where nothing is loaded yet.
[[noreturn]] void expect_module_error(const char* module, Errc code, const char* must_mention) {
    ::setenv("ATELIER_IMAGEIO_MODULE", module, 1);
    auto r = imageio::probe("/nonexistent.png");
    const bool ok = !r && r.error().code == code && r.error().message.find(must_mention) != std::string::npos &&
                    !imageio::preload() && !imageio::readable_extension("x.png");
    if (!ok) std::fprintf(stderr, "unexpected: %s\n", r ? "success" : r.error().message.c_str());
    std::exit(ok ? 0 : 1);
}

}  // namespace

TEST(ImageioModuleDeathTest, MissingModuleSaysHowToFix) {
    GTEST_FLAG_SET(death_test_style, "fast");
    EXPECT_EXIT(
        expect_module_error("/nonexistent/libatelier_imageio_oiio.so", Errc::not_found, "ATELIER_IMAGEIO_MODULE"),
        ::testing::ExitedWithCode(0), "");
}

TEST(ImageioModuleDeathTest, LibraryThatIsNotTheModuleIsRefused) {
    GTEST_FLAG_SET(death_test_style, "fast");
    // A static archive is not even loadable; a shared library without the
    // entry point (libc) is loadable but refused as "another build".
    EXPECT_EXIT(expect_module_error(ATELIER_TEST_NOT_A_MODULE, Errc::unsupported, "cannot load"),
                ::testing::ExitedWithCode(0), "");
    EXPECT_EXIT(expect_module_error("/lib/x86_64-linux-gnu/libc.so.6", Errc::unsupported, "another Atelier build"),
                ::testing::ExitedWithCode(0), "");
}

TEST(ImageioModule, LoadedOnFirstUseOnly) {
    // Codec-free parts never load it.
    ASSERT_FALSE(oiio_mapped()) << "OpenImageIO is loaded before any image was touched";
    EXPECT_FALSE(imageio::writable_extensions().empty());
    EXPECT_TRUE(imageio::icc_profile_description({}).empty());
    EXPECT_FALSE(oiio_mapped());

    // The first real use loads it; round trip through the module.
    const fs::path dir = fs::temp_directory_path() / "atelier-imageio-module";
    fs::create_directories(dir);
    auto img = procedural::seamless_waves(32, 24, 7);
    ASSERT_TRUE(img.ok());
    ASSERT_TRUE(imageio::save(*img, dir / "w.png").ok());
    EXPECT_TRUE(oiio_mapped());
    auto back = imageio::load(dir / "w.png");
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->width(), 32);
    EXPECT_EQ(back->height(), 24);
    EXPECT_TRUE(imageio::readable_extension("a.TIF"));

    auto what = imageio::preload();
    ASSERT_TRUE(what.ok());
    EXPECT_NE(what->find("OpenImageIO 2."), std::string::npos) << *what;
    EXPECT_NE(what->find("libatelier_imageio_oiio.so"), std::string::npos) << *what;
    fs::remove_all(dir);
}
