// SPDX-License-Identifier: MIT
// The library's files: blob-copy temp files a killed import left behind are
// removed at open, and thumbnails are turned upright by EXIF orientation.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <exiv2/exiv2.hpp>
#include <fstream>

#include "atelier/catalog/library.h"
#include "atelier/imageio/imageio.h"
#include "test_util.h"

using namespace atelier;
using namespace atelier::catalog;
namespace fs = std::filesystem;

TEST(CatalogFiles, BlobTempsOfDeadImportsAreRemovedAtOpen) {
    const fs::path dir = test::temp_dir("blob-temps");
    {
        auto lib = Library::open({.dir = dir});
        ASSERT_TRUE(lib.ok());
    }
    // A process that is gone (a killed import) and one that is alive (us, copying).
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) _exit(0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    const fs::path tmp = dir / "blobs" / ".tmp";
    fs::create_directories(tmp);
    const fs::path dead = tmp / (std::to_string(child) + "-123.png");
    const fs::path alive = tmp / (std::to_string(getpid()) + "-456.png");
    std::ofstream(dead) << "half a blob";
    std::ofstream(alive) << "a blob being copied";
    auto lib = Library::open({.dir = dir});
    ASSERT_TRUE(lib.ok());
    EXPECT_FALSE(fs::exists(dead)) << "left by a dead import";
    EXPECT_TRUE(fs::exists(alive)) << "its import is still running";
    // Imports copy through that folder and leave nothing there.
    fs::remove(alive);
    test::write_many_pngs(dir / "in", 5);
    std::vector<fs::path> paths = {dir / "in"};
    auto r = (*lib)->import(paths, {});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->added, 5u);
    EXPECT_TRUE(fs::is_empty(tmp));
}

TEST(CatalogFiles, ThumbnailsAreTurnedUprightByExifOrientation) {
    const fs::path dir = test::temp_dir("orientation");
    // 64x32, left half red, right half blue, stored sideways (orientation 6:
    // "rotate 90 degrees clockwise to view").
    auto img = Image::create(64, 32, 3, PixelType::u8);
    ASSERT_TRUE(img.ok());
    for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 64; ++x) {
            std::uint8_t* p = img->row(y) + x * 3;
            p[0] = x < 32 ? 220 : 20;
            p[1] = 20;
            p[2] = x < 32 ? 20 : 220;
        }
    const fs::path file = dir / "sideways.jpg";
    ASSERT_TRUE(imageio::save(*img, file).ok());
    {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        Exiv2::Image::AutoPtr e = Exiv2::ImageFactory::open(file.string());
#pragma GCC diagnostic pop
        e->readMetadata();
        e->exifData()["Exif.Image.Orientation"] = static_cast<std::uint16_t>(6);
        e->writeMetadata();
    }
    auto lib = Library::open({.dir = dir / "lib"});
    ASSERT_TRUE(lib.ok());
    std::vector<fs::path> paths = {file};
    auto r = (*lib)->import(paths, {});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->added, 1u);
    auto thumb = (*lib)->ensure_thumbnail(r->entries[0].id);
    ASSERT_TRUE(thumb.ok()) << thumb.error().message;
    auto t = imageio::load(*thumb);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->width(), 32);
    EXPECT_EQ(t->height(), 64);
    const std::uint8_t* top = t->row(4) + 16 * t->channels();
    const std::uint8_t* bottom = t->row(60) + 16 * t->channels();
    EXPECT_GT(top[0], 150);  // the red half is on top after turning clockwise
    EXPECT_LT(top[2], 100);
    EXPECT_GT(bottom[2], 150);
    EXPECT_LT(bottom[0], 100);
}
