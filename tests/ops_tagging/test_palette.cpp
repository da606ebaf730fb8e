// SPDX-License-Identifier: MIT
// Palette extraction: known palettes, CIEDE2000, names, background, harmony.

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <random>

#include "atelier/ops/tag_palette.h"
#include "eval_set.h"

namespace atelier {
namespace {

using Rgb = std::array<double, 3>;

TEST(Palette, Ciede2000MatchesSharmaReferencePairs) {
    // Sharma, Wu, Dalal (2005), "The CIEDE2000 color-difference formula", table 1.
    struct Pair {
        double a[3], b[3], de;
    };
    const Pair pairs[] = {
        {{50.0000, 2.6772, -79.7751}, {50.0000, 0.0000, -82.7485}, 2.0425},
        {{50.0000, 0.0000, 0.0000}, {50.0000, -1.0000, 2.0000}, 2.3669},
        {{50.0000, 2.5000, 0.0000}, {73.0000, 25.0000, -18.0000}, 27.1492},
        {{60.2574, -34.0099, 36.2677}, {60.4626, -34.1751, 39.4387}, 1.2644},
    };
    for (const auto& p : pairs) {
        EXPECT_NEAR(ops::delta_e2000_lab(p.a, p.b), p.de, 1e-4);
        EXPECT_NEAR(ops::delta_e2000_lab(p.b, p.a), p.de, 1e-4);
    }
    const double black[3] = {0, 0, 0}, white[3] = {1, 1, 1};
    EXPECT_NEAR(ops::delta_e2000_srgb(black, white), 100.0, 0.01);
}

TEST(Palette, NamesComeFromTheTable) {
    EXPECT_EQ(ops::nearest_colour_name(1, 0, 0), "red");
    EXPECT_EQ(ops::nearest_colour_name(0, 0, 128 / 255.0), "navy");
    EXPECT_EQ(ops::nearest_colour_name(1, 99 / 255.0, 71 / 255.0), "tomato");
    EXPECT_EQ(ops::nearest_colour_name(0.99, 0.99, 0.99), "white");
}

TEST(Palette, KnownPalettesWithinCiede2000Of3) {
    std::mt19937 rng(99);
    std::uniform_real_distribution<double> u(0.03, 0.97);
    double sum = 0, worst = 0;
    int n = 0;
    for (int img = 0; img < 24; ++img) {
        const int k = 3 + img % 6;  // 3..8 colours
        std::vector<Rgb> cols;
        while (static_cast<int>(cols.size()) < k) {
            Rgb c{u(rng), u(rng), u(rng)};
            bool distinct = true;
            for (const auto& o : cols)
                distinct = distinct && ops::delta_e2000_srgb(c.data(), o.data()) > 15;
            if (distinct) cols.push_back(c);
        }
        std::vector<double> shares;
        for (int i = 0; i < k; ++i)
            shares.push_back(0.5 + u(rng));
        Image im = evalset::known_palette(320, 240, cols, shares, static_cast<unsigned>(img));
        if (img % 2) evalset::add_noise(im, 0.01f, static_cast<unsigned>(img));
        auto pal = ops::extract_palette(ops::make_preview(im).value());
        ASSERT_TRUE(pal.ok()) << pal.error().message;
        EXPECT_GE(static_cast<int>(pal->colours.size()), std::min(k, 5));
        EXPECT_LE(pal->colours.size(), 8u);
        double share_sum = 0;
        for (const auto& c : pal->colours)
            share_sum += c.share;
        EXPECT_NEAR(share_sum, 1.0, 1e-6);
        for (const auto& t : cols) {
            double best = 1e9;
            for (const auto& c : pal->colours)
                best = std::min(best, ops::delta_e2000_srgb(t.data(), c.rgb));
            sum += best;
            worst = std::max(worst, best);
            ++n;
        }
    }
    const double mean = sum / n;
    std::printf("palette: mean CIEDE2000 %.3f, worst %.3f over %d known colours\n", mean, worst, n);
    EXPECT_LE(mean, 3.0);
}

TEST(Palette, BackgroundAndTransparency) {
    // A flat background with a few discs.
    auto img = Image::create(200, 200, 4, PixelType::u8).value();
    for (int y = 0; y < 200; ++y)
        for (int x = 0; x < 200; ++x) {
            const bool disc = std::hypot(x - 100.0, y - 100.0) < 50;
            img.set_sample(x, y, 0, disc ? 0.9f : 0.1f);
            img.set_sample(x, y, 1, disc ? 0.8f : 0.2f);
            img.set_sample(x, y, 2, disc ? 0.1f : 0.5f);
            img.set_sample(x, y, 3, 1.0f);
        }
    auto pal = ops::extract_palette(ops::make_preview(img).value()).value();
    ASSERT_TRUE(pal.background.has_value());
    EXPECT_EQ(*pal.background, pal.colours[0].hex);
    // Transparent surroundings.
    for (int y = 0; y < 200; ++y)
        for (int x = 0; x < 200; ++x)
            if (std::hypot(x - 100.0, y - 100.0) >= 50) img.set_sample(x, y, 3, 0.0f);
    pal = ops::extract_palette(ops::make_preview(img).value()).value();
    EXPECT_EQ(pal.background.value_or(""), "transparent");
    EXPECT_EQ(pal.colours.size(), 1u);  // only the visible disc counts
    // Fully transparent: refused with a reason.
    for (int y = 0; y < 200; ++y)
        for (int x = 0; x < 200; ++x)
            img.set_sample(x, y, 3, 0.0f);
    auto none = ops::extract_palette(ops::make_preview(img).value());
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.error().message.find("no visible pixels"), std::string::npos);
}

TEST(Palette, Harmony) {
    auto classify = [](std::vector<Rgb> cols) {
        std::vector<double> shares(cols.size(), 1.0);
        auto img = evalset::known_palette(300, 200, cols, shares, 1);
        return ops::extract_palette(ops::make_preview(img).value())->harmony;
    };
    EXPECT_EQ(classify({{0.1, 0.2, 0.6}, {0.3, 0.45, 0.9}, {0.7, 0.8, 1.0}}), ops::Harmony::monochrome);
    EXPECT_EQ(classify({{0.9, 0.2, 0.1}, {0.95, 0.55, 0.1}, {0.95, 0.85, 0.2}}), ops::Harmony::analogous);
    EXPECT_EQ(classify({{0.1, 0.3, 0.9}, {0.95, 0.6, 0.1}}), ops::Harmony::complementary);
    EXPECT_EQ(classify({{0.9, 0.1, 0.1}, {0.1, 0.8, 0.2}, {0.15, 0.2, 0.95}}), ops::Harmony::triadic);
}

}  // namespace
}  // namespace atelier
