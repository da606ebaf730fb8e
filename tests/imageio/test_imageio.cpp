// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cmath>

#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"
#include "test_util.h"

using namespace atelier;
using atelier::test::TempDir;

namespace {
double max_diff(const Image& a, const Image& b) {
    double m = 0;
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width(); ++x)
            for (int c = 0; c < a.channels(); ++c)
                m = std::max(m, static_cast<double>(std::abs(a.sample(x, y, c) - b.sample(x, y, c))));
    return m;
}
}  // namespace

struct RoundTrip {
    const char* ext;
    PixelType type;
    int channels;
    double tolerance;  // normalised
    PixelType expect_type;
};

class ImageIoRoundTrip : public ::testing::TestWithParam<RoundTrip> {};

TEST_P(ImageIoRoundTrip, PixelsSurvive) {
    const auto p = GetParam();
    TempDir dir("roundtrip");
    auto img = procedural::seamless_waves(40, 24, 9, p.type);
    ASSERT_TRUE(img);
    Image src = std::move(img).value();
    if (p.channels != 3) {
        auto c = src.with_channels(p.channels);
        ASSERT_TRUE(c);
        src = std::move(c).value();
        if (src.has_alpha())
            for (int x = 0; x < src.width(); ++x)
                src.set_sample(x, 3, src.channels() - 1, 0.5f);
    }
    const auto file = dir / (std::string("img") + p.ext);
    auto saved = imageio::save(src, file);
    ASSERT_TRUE(saved) << saved.error().message;
    auto back = imageio::load(file);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->width(), 40);
    EXPECT_EQ(back->height(), 24);
    EXPECT_EQ(back->channels(), p.channels);
    EXPECT_EQ(back->has_alpha(), src.has_alpha());
    EXPECT_EQ(back->type(), p.expect_type);
    EXPECT_LE(max_diff(src, *back), p.tolerance);
    // Nothing but the final file is left behind (atomic write).
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path), {}), 1);
}

INSTANTIATE_TEST_SUITE_P(Formats, ImageIoRoundTrip,
                         ::testing::Values(RoundTrip{".png", PixelType::u8, 3, 0.0, PixelType::u8},
                                           RoundTrip{".png", PixelType::u8, 4, 0.0, PixelType::u8},
                                           RoundTrip{".png", PixelType::u16, 3, 0.0, PixelType::u16},
                                           RoundTrip{".png", PixelType::u8, 1, 0.0, PixelType::u8},
                                           RoundTrip{".jpg", PixelType::u8, 3, 0.15, PixelType::u8},
                                           RoundTrip{".tif", PixelType::u16, 4, 0.0, PixelType::u16},
                                           RoundTrip{".tif", PixelType::f32, 3, 0.0, PixelType::f32},
                                           RoundTrip{".webp", PixelType::u8, 3, 0.15, PixelType::u8},
                                           RoundTrip{".exr", PixelType::f32, 4, 0.0, PixelType::f32},
                                           RoundTrip{".bmp", PixelType::u8, 3, 0.0, PixelType::u8}));

TEST(ImageIo, DpiAndTextAttributesPassThroughPng) {
    TempDir dir("meta");
    auto img = procedural::seamless_dots(32, 32, 2);
    ASSERT_TRUE(img);
    img->metadata().dpi_x = img->metadata().dpi_y = 300.0;
    img->metadata().attributes["parameters"] = "a floral pattern\nSteps: 20, Seed: 42";
    img->metadata().attributes["Description"] = "navy dots";
    ASSERT_TRUE(imageio::save(*img, dir / "a.png"));
    auto info = imageio::probe(dir / "a.png");
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->format, "png");
    ASSERT_TRUE(info->dpi_x.has_value());
    EXPECT_NEAR(*info->dpi_x, 300.0, 0.5);
    EXPECT_EQ(info->attributes["parameters"], "a floral pattern\nSteps: 20, Seed: 42");
    auto back = imageio::load(dir / "a.png");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->metadata().source_format, "png");
    EXPECT_EQ(back->metadata().source_bits, 8);
    std::string attrs;
    for (const auto& [k, v] : back->metadata().attributes)
        attrs += k + "=" + v + "; ";
    EXPECT_EQ(back->metadata().attributes.count("Description") + back->metadata().attributes.count("ImageDescription"),
              1u)
        << attrs;
    // and on to TIFF, which keeps DPI too
    ASSERT_TRUE(imageio::save(*back, dir / "b.tif"));
    auto tinfo = imageio::probe(dir / "b.tif");
    ASSERT_TRUE(tinfo);
    ASSERT_TRUE(tinfo->dpi_x.has_value());
    EXPECT_NEAR(*tinfo->dpi_x, 300.0, 0.5);
}

TEST(ImageIo, JpegDropsAlphaAndStores8Bit) {
    TempDir dir("jpeg");
    auto img = Image::create(16, 16, 4, PixelType::u16);
    ASSERT_TRUE(img);
    ASSERT_TRUE(imageio::save(*img, dir / "a.jpg"));
    auto info = imageio::probe(dir / "a.jpg");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->channels, 3);
    EXPECT_EQ(info->type, PixelType::u8);
}

TEST(ImageIo, IccProfileDescriptionIsRead) {
    // A minimal v2 profile: header, one tag ('desc', textDescriptionType).
    std::vector<std::uint8_t> icc(128 + 4 + 12, 0);
    auto be32 = [&](std::size_t off, std::uint32_t v) {
        if (icc.size() < off + 4) icc.resize(off + 4, 0);
        icc[off] = v >> 24;
        icc[off + 1] = (v >> 16) & 255;
        icc[off + 2] = (v >> 8) & 255;
        icc[off + 3] = v & 255;
    };
    const std::string name = "Atelier Test RGB";
    be32(128, 1);
    be32(132, 0x64657363);
    be32(136, 144);
    be32(140, static_cast<std::uint32_t>(12 + name.size() + 1));
    be32(144, 0x64657363);
    be32(148, 0);
    be32(152, static_cast<std::uint32_t>(name.size() + 1));
    icc.resize(156 + name.size() + 1, 0);
    std::copy(name.begin(), name.end(), icc.begin() + 156);
    be32(0, static_cast<std::uint32_t>(icc.size()));
    EXPECT_EQ(imageio::icc_profile_description(icc), name);

    // Carried through a TIFF and read back by name.
    TempDir dir("icc");
    auto img = procedural::gradient(8, 8, 1);
    ASSERT_TRUE(img);
    img->metadata().icc_profile = icc;
    ASSERT_TRUE(imageio::save(*img, dir / "icc.tif"));
    auto info = imageio::probe(dir / "icc.tif");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->icc_profile_name, name);

    // Damaged profiles give an empty name, never a crash.
    EXPECT_EQ(imageio::icc_profile_description({}), "");
    auto broken = icc;
    be32(136, 100000);
    EXPECT_EQ(imageio::icc_profile_description(icc), "");
    broken.resize(150);
    EXPECT_EQ(imageio::icc_profile_description(broken), "");
}

TEST(ImageIo, LimitsFromConfig) {
    Config cfg;
    ASSERT_TRUE(cfg.set("image.max_pixels", "1000"));
    auto l = imageio::ImageLimits::from_config(cfg);
    ASSERT_TRUE(l);
    EXPECT_EQ(l->max_pixels, 1000u);
    ASSERT_TRUE(cfg.set("image.max_channels", "-2"));
    EXPECT_FALSE(imageio::ImageLimits::from_config(cfg));
}

TEST(ImageIo, ExtensionsAreKnown) {
    EXPECT_TRUE(imageio::readable_extension("x.PNG"));
    EXPECT_TRUE(imageio::readable_extension("x.jpeg"));
    EXPECT_TRUE(imageio::readable_extension("x.exr"));
    EXPECT_FALSE(imageio::readable_extension("x.docx"));
    EXPECT_FALSE(imageio::readable_extension("noext"));
}
