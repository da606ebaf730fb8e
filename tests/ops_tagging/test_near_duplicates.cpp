// SPDX-License-Identifier: MIT
// Near-duplicate detection: originals and altered copies (JPEG q60, 0.5×
// resize, 5% crop, hue shift, mirror); recall at a false-positive rate of
// at most 0.1%, with the index answering the queries.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

#include <unistd.h>

#include "atelier/image/procedural.h"
#include "atelier/image/resize.h"
#include "atelier/imageio/imageio.h"
#include "atelier/ops/tag_hash.h"
#include "eval_set.h"

namespace atelier {
namespace {

namespace fs = std::filesystem;

Image crop(const Image& src, int x0, int y0, int w, int h) {
    auto out = Image::create(w, h, src.channels(), src.type()).value();
    for (int y = 0; y < h; ++y)
        std::copy_n(src.row(y0 + y) + src.pixel_bytes() * x0, out.row_bytes(), out.row(y));
    return out;
}

Image mirror(const Image& src) {
    Image out = src;
    const int nc = src.channels();
    for (int y = 0; y < src.height(); ++y)
        for (int x = 0; x < src.width(); ++x)
            for (int c = 0; c < nc; ++c)
                out.row_as<std::uint8_t>(y)[nc * x + c] = src.row_as<std::uint8_t>(y)[nc * (src.width() - 1 - x) + c];
    return out;
}

Image hue_shift(const Image& src, float degrees) {
    Image out = src;
    for (int y = 0; y < src.height(); ++y)
        for (int x = 0; x < src.width(); ++x) {
            const float r = src.sample(x, y, 0), g = src.sample(x, y, 1), b = src.sample(x, y, 2);
            const float mx = std::max({r, g, b}), mn = std::min({r, g, b}), d = mx - mn;
            float h = 0;
            if (d > 0) h = mx == r ? std::fmod((g - b) / d + 6, 6.0f) : mx == g ? (b - r) / d + 2 : (r - g) / d + 4;
            h = std::fmod(h + degrees / 60.0f, 6.0f);
            const float s = mx > 0 ? d / mx : 0, v = mx;
            auto f = [&](float n) {
                const float k = std::fmod(n + h, 6.0f);
                return v - v * s * std::max(0.0f, std::min({k, 4 - k, 1.0f}));
            };
            out.set_sample(x, y, 0, f(5));
            out.set_sample(x, y, 1, f(3));
            out.set_sample(x, y, 2, f(1));
        }
    return out;
}

Image original(int i) {
    const unsigned s = 500u + static_cast<unsigned>(i);
    const int w = 320, h = 240;
    switch (i % 7) {
        case 0:
            return evalset::photo_like(w, h, s);
        case 1:
            return evalset::illustration(w, h, s);
        case 2:
            return evalset::periodic_shapes(w, h, ops::RepeatType::full_drop, s);
        case 3:
            return evalset::periodic_noise(w, h, ops::RepeatType::half_drop, s);
        case 4:
            return evalset::line_art(w, h, s);
        case 5:
            return evalset::periodic_waves(w, h, ops::RepeatType::full_drop, s);
        default:
            return procedural::noise_texture(w, h, s).value();
    }
}

TEST(NearDuplicates, RecallAtFalsePositiveRateOfOneInAThousand) {
    const fs::path dir = fs::temp_directory_path() / ("atelier-neardup-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    constexpr int kOriginals = 140;
    const char* kinds[] = {"jpeg_q60", "resize_0.5", "crop_5pct", "hue_shift_40", "mirror"};
    constexpr int kKinds = 5;
    std::vector<ops::PerceptualHashes> orig(kOriginals);
    // copies[k][i]: hashes of alteration k of original i
    std::vector<std::vector<ops::PerceptualHashes>> copies(kKinds, std::vector<ops::PerceptualHashes>(kOriginals));
    std::mt19937 rng(3);
    auto hashes = [](const Image& img) { return ops::hashes_from_preview(ops::make_preview(img).value()).value(); };
    for (int i = 0; i < kOriginals; ++i) {
        const Image o = original(i);
        orig[i] = hashes(o);
        imageio::SaveOptions q60;
        q60.quality = 60;
        const auto jp = dir / ("c" + std::to_string(i) + ".jpg");
        ASSERT_TRUE(imageio::save(o, jp, q60).ok());
        copies[0][i] = hashes(imageio::load(jp).value());
        copies[1][i] = hashes(resize(o, o.width() / 2, o.height() / 2).value());
        const int cw = o.width() * 95 / 100, ch = o.height() * 95 / 100;
        copies[2][i] = hashes(crop(o, static_cast<int>(rng() % (o.width() - cw + 1)),
                                   static_cast<int>(rng() % (o.height() - ch + 1)), cw, ch));
        copies[3][i] = hashes(hue_shift(o, 40));
        copies[4][i] = hashes(mirror(o));
    }
    fs::remove_all(dir);
    // Distance of a copy to an original: the copy's pHash or its mirrored
    // pHash against the original's pHash (what `similar` queries).
    auto dist = [](const ops::PerceptualHashes& c, const ops::PerceptualHashes& o) {
        return std::min(ops::hamming(c.phash, o.phash), ops::hamming(c.phash_mirrored, o.phash));
    };
    std::array<std::uint64_t, 65> neg_at{};  // negatives at each distance
    std::array<std::array<int, 65>, kKinds> pos_at{};
    std::uint64_t negatives = 0;
    for (int k = 0; k < kKinds; ++k)
        for (int i = 0; i < kOriginals; ++i)
            for (int j = 0; j < kOriginals; ++j) {
                const int d = dist(copies[k][i], orig[j]);
                if (i == j)
                    ++pos_at[k][d];
                else {
                    ++neg_at[d];
                    ++negatives;
                }
            }
    // The largest radius whose false-positive rate is at most 0.1%.
    int radius = -1;
    std::uint64_t fp = 0;
    for (int r = 0; r <= 64; ++r) {
        fp += neg_at[r];
        if (static_cast<double>(fp) / negatives > 0.001) break;
        radius = r;
    }
    ASSERT_GE(radius, 0);
    std::uint64_t fp_at = 0;
    for (int r = 0; r <= radius; ++r)
        fp_at += neg_at[r];
    std::printf("near-duplicates: %d originals x %d alterations, %llu negative pairs; radius %d, FPR %.5f\n",
                kOriginals, kKinds, static_cast<unsigned long long>(negatives), radius,
                static_cast<double>(fp_at) / negatives);
    int found_all = 0;
    for (int k = 0; k < kKinds; ++k) {
        int found = 0;
        for (int r = 0; r <= radius; ++r)
            found += pos_at[k][r];
        found_all += found;
        std::printf("  %-14s recall %.3f (%d/%d)\n", kinds[k], static_cast<double>(found) / kOriginals, found,
                    kOriginals);
    }
    for (int r : {8, 10, 12}) {  // the CLI's default radius is 12
        std::uint64_t f = 0;
        int hit = 0;
        for (int d = 0; d <= r; ++d) {
            f += neg_at[d];
            for (int k = 0; k < kKinds; ++k)
                hit += pos_at[k][d];
        }
        std::printf("  radius %2d: recall %.3f, FPR %.5f\n", r, static_cast<double>(hit) / (kKinds * kOriginals),
                    static_cast<double>(f) / negatives);
    }
    const double recall = static_cast<double>(found_all) / (kKinds * kOriginals);
    std::printf("  overall        recall %.3f\n", recall);
    EXPECT_GE(recall, 0.9);

    // The index returns the same matches as the pairwise distances.
    ops::HashIndex index;
    for (int i = 0; i < kOriginals; ++i)
        index.add(orig[i].phash, static_cast<std::uint32_t>(i));
    for (int k = 0; k < kKinds; ++k)
        for (int i = 0; i < kOriginals; i += 7) {
            std::vector<std::uint32_t> got;
            for (auto h : {copies[k][i].phash, copies[k][i].phash_mirrored})
                for (const auto& m : index.query(h, radius))
                    got.push_back(m.id);
            std::sort(got.begin(), got.end());
            got.erase(std::unique(got.begin(), got.end()), got.end());
            std::vector<std::uint32_t> expect;
            for (int j = 0; j < kOriginals; ++j)
                if (dist(copies[k][i], orig[j]) <= radius) expect.push_back(static_cast<std::uint32_t>(j));
            EXPECT_EQ(got, expect);
        }
}

}  // namespace
}  // namespace atelier
