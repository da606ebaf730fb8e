// SPDX-License-Identifier: MIT
// Every kind of bad file is refused with a clear error naming the file.
#include <gtest/gtest.h>

#include <random>

#include <sys/resource.h>

#include <OpenImageIO/imageio.h>

#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"
#include "test_util.h"

using namespace atelier;
using atelier::test::png_claiming;
using atelier::test::TempDir;
using atelier::test::write_bytes;

namespace {

long max_rss_kb() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

void expect_error(const Result<Image>& r, Errc code, const std::string& must_mention) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_NE(r.error().message.find(must_mention), std::string::npos) << r.error().message;
}

}  // namespace

TEST(BadInput, HeaderClaiming100000SquaredIsRefusedBeforeDecoding) {
    TempDir dir("bomb");
    const auto file = dir / "bomb.png";
    write_bytes(file, png_claiming(100000, 100000));
    const long rss_before = max_rss_kb();
    auto r = imageio::load(file);
    expect_error(r, Errc::limit_exceeded, "bomb.png");
    EXPECT_NE(r.error().message.find("100000x100000"), std::string::npos);
    EXPECT_NE(r.error().message.find("image.max_pixels"), std::string::npos) << "says what to do";
    EXPECT_LT(max_rss_kb() - rss_before, 64 * 1024) << "no pixel buffer may be allocated";
    // A smaller configured limit applies too.
    imageio::ImageLimits tight;
    tight.max_pixels = 100;
    auto small = procedural::gradient(20, 20, 1);
    ASSERT_TRUE(imageio::save(*small, dir / "small.png"));
    expect_error(imageio::load(dir / "small.png", tight), Errc::limit_exceeded, "small.png");
}

TEST(BadInput, TruncatedPngIsCorrupt) {
    TempDir dir("trunc");
    auto img = procedural::noise_texture(128, 128, 3);
    ASSERT_TRUE(imageio::save(*img, dir / "full.png"));
    auto bytes = atelier::test::read_bytes(dir / "full.png");
    bytes.resize(bytes.size() / 2);
    write_bytes(dir / "half.png", bytes);
    expect_error(imageio::load(dir / "half.png"), Errc::corrupt_data, "half.png");
}

TEST(BadInput, ZeroByteFile) {
    TempDir dir("zero");
    write_bytes(dir / "empty.png", {});
    expect_error(imageio::load(dir / "empty.png"), Errc::corrupt_data, "empty");
}

TEST(BadInput, TextFileNamedPng) {
    TempDir dir("text");
    const std::string text = "this is not an image\n";
    write_bytes(dir / "notes.png", {text.begin(), text.end()});
    auto r = imageio::load(dir / "notes.png");
    expect_error(r, Errc::corrupt_data, "notes.png");
    EXPECT_NE(r.error().message.find("png"), std::string::npos);
}

TEST(BadInput, UnreadablePaths) {
    TempDir dir("paths");
    expect_error(imageio::load(dir / "missing.png"), Errc::not_found, "missing.png");
    expect_error(imageio::load(dir.path), Errc::invalid_argument, "folder");
    auto probe = imageio::probe("/dev/null");
    ASSERT_FALSE(probe);
    EXPECT_NE(probe.error().message.find("/dev/null"), std::string::npos);
}

TEST(BadInput, UnsupportedFormat) {
    TempDir dir("unsupported");
    const std::string text = "PK\x03\x04 a zip file, not an image";
    write_bytes(dir / "archive.xyz", {text.begin(), text.end()});
    expect_error(imageio::load(dir / "archive.xyz"), Errc::unsupported, "archive.xyz");
    auto img = procedural::gradient(8, 8, 1);
    auto r = imageio::save(*img, dir / "out.docx");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::unsupported);
    EXPECT_NE(r.error().message.find(".png"), std::string::npos) << "lists what works";
}

TEST(BadInput, FileSizeLimit) {
    TempDir dir("size");
    auto img = procedural::noise_texture(64, 64, 3);
    ASSERT_TRUE(imageio::save(*img, dir / "a.png"));
    imageio::ImageLimits l;
    l.max_file_bytes = 100;
    expect_error(imageio::load(dir / "a.png", l), Errc::limit_exceeded, "image.max_file_bytes");
}

TEST(BadInput, TooManyChannels) {
    TempDir dir("channels");
    const auto file = dir / "five.tif";
    {
        auto out = OIIO::ImageOutput::create(file.string());
        ASSERT_TRUE(out);
        OIIO::ImageSpec spec(4, 4, 5, OIIO::TypeDesc::UINT8);
        ASSERT_TRUE(out->open(file.string(), spec));
        std::vector<std::uint8_t> px(4 * 4 * 5, 7);
        ASSERT_TRUE(out->write_image(OIIO::TypeDesc::UINT8, px.data()));
        out->close();
    }
    expect_error(imageio::load(file), Errc::limit_exceeded, "5 channels");
}

TEST(BadInput, SaveIntoMissingFolderLeavesNothing) {
    TempDir dir("save");
    auto img = procedural::gradient(8, 8, 1);
    auto r = imageio::save(*img, dir / "no/such/folder/x.png");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::not_found);
    EXPECT_FALSE(imageio::save(Image{}, dir / "x.png"));
    EXPECT_TRUE(std::filesystem::is_empty(dir.path));
}

TEST(BadInput, RandomGarbageNeverCrashes) {
    TempDir dir("garbage");
    std::mt19937 rng(1234);
    const auto good = [&] {
        auto img = procedural::seamless_dots(32, 32, 1);
        EXPECT_TRUE(imageio::save(*img, dir / "good.png"));
        EXPECT_TRUE(imageio::save(*img, dir / "good.jpg"));
        return std::pair{atelier::test::read_bytes(dir / "good.png"), atelier::test::read_bytes(dir / "good.jpg")};
    }();
    int refused = 0;
    for (int i = 0; i < 60; ++i) {
        auto bytes = i % 2 ? good.first : good.second;
        for (int k = 0; k < 8; ++k)
            bytes[rng() % bytes.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
        const auto f = dir / (std::string("m") + std::to_string(i) + (i % 2 ? ".png" : ".jpg"));
        write_bytes(f, bytes);
        auto r = imageio::load(f);
        if (!r) {
            ++refused;
            EXPECT_NE(r.error().message.find(f.filename().string()), std::string::npos);
        }
    }
    RecordProperty("refused", refused);
}
