// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cstring>

#include "atelier/image/color.h"
#include "atelier/image/procedural.h"

using namespace atelier;

TEST(Color, TransferFunctionKnownValues) {
    EXPECT_FLOAT_EQ(srgb_to_linear(0.0f), 0.0f);
    EXPECT_FLOAT_EQ(srgb_to_linear(1.0f), 1.0f);
    EXPECT_NEAR(srgb_to_linear(0.5f), 0.214041f, 1e-5);
    EXPECT_NEAR(srgb_to_linear(0.04045f), 0.0031308f, 1e-6);  // the knee is continuous
    EXPECT_NEAR(linear_to_srgb(0.214041f), 0.5f, 1e-5);
    for (int i = 0; i <= 100; ++i) {
        const float v = i / 100.0f;
        EXPECT_NEAR(linear_to_srgb(srgb_to_linear(v)), v, 1e-5);
    }
}

TEST(Color, ImageRoundTripKeepsAlpha) {
    auto img = Image::create(16, 16, 4, PixelType::u8);
    ASSERT_TRUE(img);
    for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 16; ++x) {
            for (int c = 0; c < 3; ++c)
                img->set_sample(x, y, c, (x * 16 + y + c * 40) % 256 / 255.0f);
            img->set_sample(x, y, 3, x / 15.0f);
        }
    auto lin = to_linear(*img);
    ASSERT_TRUE(lin);
    EXPECT_EQ(lin->type(), PixelType::f32);
    EXPECT_EQ(lin->metadata().color_space, "linear");
    EXPECT_FLOAT_EQ(lin->sample(15, 3, 3), 1.0f) << "alpha untouched";
    EXPECT_LT(lin->sample(8, 8, 0), img->sample(8, 8, 0) + 1e-6f);
    auto back = to_srgb(*lin, PixelType::u8);
    ASSERT_TRUE(back);
    EXPECT_EQ(0, std::memcmp(back->data(), img->data(), img->byte_size()));
}
