// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cstring>

#include "atelier/image/image.h"
#include "atelier/image/procedural.h"

using namespace atelier;

TEST(Image, CreateValidatesArguments) {
    EXPECT_FALSE(Image::create(0, 10, 3, PixelType::u8));
    EXPECT_FALSE(Image::create(10, -1, 3, PixelType::u8));
    EXPECT_FALSE(Image::create(10, 10, 5, PixelType::u8));
    EXPECT_FALSE(Image::create(10, 10, 0, PixelType::u8));
    EXPECT_FALSE(Image::create(10, 10, 3, PixelType::u8, true)) << "alpha needs 2 or 4 channels";
    auto big = Image::create(Image::kMaxDimension + 1, 1, 1, PixelType::u8);
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().code, Errc::limit_exceeded);
    auto img = Image::create(7, 5, 4, PixelType::u16);
    ASSERT_TRUE(img);
    EXPECT_TRUE(img->has_alpha());
    EXPECT_EQ(img->color_channels(), 3);
    EXPECT_EQ(img->row_bytes(), 7u * 4 * 2);
    EXPECT_EQ(img->byte_size(), 7u * 5 * 4 * 2);
}

TEST(Image, SampleRoundTripPerType) {
    for (auto t : {PixelType::u8, PixelType::u16, PixelType::f32}) {
        auto img = Image::create(3, 2, 2, t);
        ASSERT_TRUE(img);
        img->set_sample(2, 1, 0, 0.5f);
        img->set_sample(0, 0, 1, 1.7f);
        const float tol = t == PixelType::u8 ? 1.0f / 255 : t == PixelType::u16 ? 1.0f / 65535 : 0.0f;
        EXPECT_NEAR(img->sample(2, 1, 0), 0.5f, tol) << pixel_type_name(t);
        EXPECT_NEAR(img->sample(0, 0, 1), t == PixelType::f32 ? 1.7f : 1.0f, tol) << "integers clamp";
    }
}

TEST(Image, ConvertU8ToU16IsExactAndBack) {
    auto img = procedural::seamless_waves(32, 16, 3);
    ASSERT_TRUE(img);
    auto wide = img->converted(PixelType::u16);
    ASSERT_TRUE(wide);
    for (int x = 0; x < 32; ++x)
        EXPECT_EQ(wide->row_as<std::uint16_t>(5)[x * 3], img->row(5)[x * 3] * 257);
    auto back = wide->converted(PixelType::u8);
    ASSERT_TRUE(back);
    EXPECT_EQ(0, std::memcmp(back->data(), img->data(), img->byte_size()));
    EXPECT_EQ(back->metadata().dpi_x, img->metadata().dpi_x);
}

TEST(Image, ChannelChangesKeepAlphaAndLuma) {
    auto rgba = Image::create(2, 1, 4, PixelType::f32);
    ASSERT_TRUE(rgba);
    for (int c = 0; c < 3; ++c)
        rgba->set_sample(0, 0, c, 1.0f);
    rgba->set_sample(0, 0, 3, 0.25f);
    rgba->set_sample(1, 0, 3, 1.0f);
    EXPECT_TRUE(rgba->alpha_used());
    auto ga = rgba->with_channels(2);
    ASSERT_TRUE(ga);
    EXPECT_NEAR(ga->sample(0, 0, 0), 1.0f, 1e-6);
    EXPECT_NEAR(ga->sample(0, 0, 1), 0.25f, 1e-6);
    auto rgb = ga->with_channels(3);
    ASSERT_TRUE(rgb);
    EXPECT_FALSE(rgb->has_alpha());
    EXPECT_FALSE(rgb->alpha_used());
    auto rgba2 = rgb->with_channels(4);
    ASSERT_TRUE(rgba2);
    EXPECT_FLOAT_EQ(rgba2->sample(1, 0, 3), 1.0f) << "added alpha is opaque";
    EXPECT_FALSE(rgba2->alpha_used());
}

TEST(Procedural, SeamlessGeneratorsWrapAndOthersDoNot) {
    // The seam across the wrap is as smooth as inside for a true repeat.
    auto edge_jump = [](const Image& img) {
        double wrap = 0, inside = 0;
        for (int y = 0; y < img.height(); ++y)
            for (int c = 0; c < 3; ++c) {
                wrap += std::abs(img.sample(0, y, c) - img.sample(img.width() - 1, y, c));
                inside += std::abs(img.sample(img.width() / 2, y, c) - img.sample(img.width() / 2 - 1, y, c));
            }
        return wrap / (inside + 1e-9);
    };
    auto waves = procedural::seamless_waves(128, 128, 11);
    auto grad = procedural::gradient(128, 128, 11);
    ASSERT_TRUE(waves && grad);
    EXPECT_LT(edge_jump(*waves), 2.0);
    EXPECT_GT(edge_jump(*grad), 20.0);
    auto again = procedural::seamless_waves(128, 128, 11);
    EXPECT_EQ(0, std::memcmp(again->data(), waves->data(), waves->byte_size())) << "deterministic per seed";
}
