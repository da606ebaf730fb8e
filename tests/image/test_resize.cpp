// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cmath>

#include "atelier/image/procedural.h"
#include "atelier/image/resize.h"

using namespace atelier;

namespace {
Image flat(int w, int h, int ch, PixelType t, float v) {
    auto img = Image::create(w, h, ch, t);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < ch; ++c)
                img->set_sample(x, y, c, v);
    return std::move(img).value();
}
}  // namespace

TEST(Resize, FlatImageStaysFlatWithEveryFilter) {
    for (auto f : {ResizeFilter::nearest, ResizeFilter::box, ResizeFilter::bilinear, ResizeFilter::bicubic,
                   ResizeFilter::mitchell, ResizeFilter::lanczos3}) {
        for (auto [w, h] : {std::pair{37, 23}, std::pair{160, 90}}) {
            auto out = resize(flat(64, 48, 3, PixelType::u8, 0.4f), w, h, {f, false});
            ASSERT_TRUE(out);
            ASSERT_EQ(out->width(), w);
            ASSERT_EQ(out->height(), h);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x)
                    ASSERT_NEAR(out->sample(x, y, 1), 0.4f, 1.0f / 255) << static_cast<int>(f);
        }
    }
}

TEST(Resize, IdentitySizeWithLanczosKeepsPixels) {
    auto img = procedural::noise_texture(48, 40, 2);
    ASSERT_TRUE(img);
    auto out = resize(*img, 48, 40);
    ASSERT_TRUE(out);
    int off = 0;
    for (std::size_t i = 0; i < img->byte_size(); ++i)
        off += std::abs(int(img->data()[i]) - int(out->data()[i])) > 1;
    EXPECT_EQ(off, 0);
}

TEST(Resize, DownscaleAveragesInsteadOfAliasing) {
    // A one-pixel checkerboard shrunk 4x must become mid-grey, not a moire.
    auto img = Image::create(64, 64, 1, PixelType::f32);
    ASSERT_TRUE(img);
    for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 64; ++x)
            img->set_sample(x, y, 0, (x + y) % 2 ? 1.0f : 0.0f);
    for (auto f : {ResizeFilter::box, ResizeFilter::bilinear, ResizeFilter::lanczos3}) {
        auto out = resize(*img, 16, 16, {f, true});
        ASSERT_TRUE(out);
        for (int y = 0; y < 16; ++y)
            for (int x = 0; x < 16; ++x)
                ASSERT_NEAR(out->sample(x, y, 0), 0.5f, 0.02f) << static_cast<int>(f);
    }
}

TEST(Resize, AlphaDoesNotBleedColour) {
    // Left half: opaque red; right half: fully transparent green. Colour
    // next to the edge must stay red (premultiplied resampling).
    auto img = Image::create(8, 8, 4, PixelType::f32);
    ASSERT_TRUE(img);
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x) {
            const bool left = x < 4;
            img->set_sample(x, y, 0, left ? 1.0f : 0.0f);
            img->set_sample(x, y, 1, left ? 0.0f : 1.0f);
            img->set_sample(x, y, 3, left ? 1.0f : 0.0f);
        }
    auto out = resize(*img, 16, 16, {ResizeFilter::bilinear, false});
    ASSERT_TRUE(out);
    for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 16; ++x) {
            if (out->sample(x, y, 3) > 0.05f) {
                EXPECT_LT(out->sample(x, y, 1), 0.02f) << "green bled in at " << x << "," << y;
            }
        }
}

TEST(Resize, WrapModeKeepsATileSeamless) {
    auto tile = procedural::seamless_waves(64, 64, 4);
    ASSERT_TRUE(tile);
    auto up = resize(*tile, 150, 150, {ResizeFilter::lanczos3, true});
    auto clamped = resize(*tile, 150, 150, {ResizeFilter::lanczos3, false});
    ASSERT_TRUE(up && clamped);
    auto seam = [](const Image& img) {
        double wrap = 0, inside = 0;
        for (int y = 0; y < img.height(); ++y)
            for (int c = 0; c < 3; ++c) {
                wrap += std::abs(img.sample(0, y, c) - img.sample(img.width() - 1, y, c));
                inside += std::abs(img.sample(75, y, c) - img.sample(74, y, c));
            }
        return wrap / inside;
    };
    EXPECT_LT(seam(*up), 1.5);
    EXPECT_LT(seam(*up), seam(*clamped));
}

TEST(Resize, KeepsTypeMetadataAndRejectsBadSizes) {
    auto img = procedural::seamless_waves(32, 32, 1, PixelType::u16);
    ASSERT_TRUE(img);
    auto out = resize(*img, 64, 16, {ResizeFilter::bicubic, false});
    ASSERT_TRUE(out);
    EXPECT_EQ(out->type(), PixelType::u16);
    EXPECT_EQ(out->metadata().dpi_x, img->metadata().dpi_x);
    EXPECT_FALSE(resize(*img, 0, 10));
    EXPECT_FALSE(resize(Image{}, 10, 10));
    auto f = parse_resize_filter("lanczos3");
    ASSERT_TRUE(f);
    EXPECT_EQ(*f, ResizeFilter::lanczos3);
    auto bad = parse_resize_filter("sharpest");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("lanczos3"), std::string::npos);
}
