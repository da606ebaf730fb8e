// SPDX-License-Identifier: MIT
// Perceptual hashes and the multi-index hashing index.

#include <gtest/gtest.h>

#include <random>

#include "atelier/image/resize.h"
#include "atelier/ops/tag_hash.h"
#include "eval_set.h"

namespace atelier {
namespace {

Image mirrored(const Image& src) {
    Image out = src;
    const int nc = src.channels();
    for (int y = 0; y < src.height(); ++y)
        for (int x = 0; x < src.width(); ++x)
            for (int c = 0; c < nc; ++c)
                out.row_as<std::uint8_t>(y)[nc * x + c] = src.row_as<std::uint8_t>(y)[nc * (src.width() - 1 - x) + c];
    return out;
}

TEST(Hash, HexRoundTripAndErrors) {
    EXPECT_EQ(ops::hash_hex(0x0123456789abcdefull), "0123456789abcdef");
    EXPECT_EQ(ops::parse_hash_hex("0123456789ABCDEF").value(), 0x0123456789abcdefull);
    EXPECT_FALSE(ops::parse_hash_hex("xyz").ok());
    EXPECT_FALSE(ops::parse_hash_hex("0123456789abcdeg").ok());
}

TEST(Hash, StableUnderResizeAndDistinctAcrossImages) {
    auto a = evalset::photo_like(320, 240, 5);
    auto b = evalset::illustration(320, 240, 6);
    auto small = resize(a, 160, 120).value();
    const auto ha = ops::phash(a).value(), hs = ops::phash(small).value(), hb = ops::phash(b).value();
    EXPECT_LE(ops::hamming(ha, hs), 4);
    EXPECT_GE(ops::hamming(ha, hb), 16);
    EXPECT_LE(ops::hamming(ops::dhash(a).value(), ops::dhash(small).value()), 6);
    // The mirrored hash of an image is (close to) the hash of its mirror image.
    EXPECT_LE(ops::hamming(ops::phash_mirrored(a).value(), ops::phash(mirrored(a)).value()), 2);
}

TEST(Hash, IndexIsExactAgainstALinearScan) {
    // Random hashes with near-duplicates and exact duplicates (same hash under
    // several ids), queried at every radius class: 0, small, the pigeonhole
    // boundaries, large (linear fallback) and 64 (everything). Part of the
    // data is added after the last table build (the linearly scanned tail).
    for (int substrings : {4, 5, 9}) {
        std::mt19937_64 rng(7);
        ops::HashIndex index(substrings);
        EXPECT_EQ(index.substrings(), substrings);
        std::vector<std::uint64_t> all;
        for (std::uint32_t i = 0; i < 30000; ++i) {
            std::uint64_t h = rng();
            if (i % 10 == 1) h = all[i - 1] ^ (1ull << (rng() % 64)) ^ (1ull << (rng() % 64));  // near
            if (i % 50 == 7) h = all[rng() % i];                                                // exact
            all.push_back(h);
            index.add(h, i);
        }
        EXPECT_EQ(index.size(), all.size());
        for (int q = 0; q < 60; ++q) {
            const std::uint64_t query = (q % 2) ? all[rng() % all.size()] ^ (rng() & rng() & rng()) : rng();
            for (int radius : {0, 1, 3, 4, 8, 9, 12, 17, 33, 64}) {
                std::vector<std::uint32_t> expect;
                for (std::uint32_t i = 0; i < all.size(); ++i)
                    if (ops::hamming(all[i], query) <= radius) expect.push_back(i);
                std::vector<std::uint32_t> got;
                int last = -1;
                for (const auto& m : index.query(query, radius)) {
                    EXPECT_EQ(m.distance, ops::hamming(all[m.id], query));
                    EXPECT_GE(m.distance, last);  // nearest first
                    last = m.distance;
                    got.push_back(m.id);
                }
                std::sort(got.begin(), got.end());
                ASSERT_EQ(got, expect) << "m " << substrings << " radius " << radius << " query " << q;
            }
        }
        if (substrings == 4) {  // everything indexed: same answers
            index.compact();
            const std::uint64_t query = all[123];
            std::size_t expect = 0;
            for (auto h : all)
                expect += ops::hamming(h, query) <= 8;
            EXPECT_EQ(index.query(query, 8).size(), expect);
            EXPECT_GE(expect, 1u);
        }
    }
}

TEST(Hash, IndexEdgeCases) {
    ops::HashIndex empty;
    EXPECT_TRUE(empty.query(0, 64).empty());
    ops::HashIndex index;
    for (std::uint32_t i = 0; i < 5; ++i)
        index.add(0xffffffffffffffffull, i);  // five identical hashes
    index.add(0, 99);
    index.compact();
    EXPECT_EQ(index.query(~0ull, 0).size(), 5u);
    EXPECT_EQ(index.query(0, 63).size(), 1u);
    EXPECT_EQ(index.query(0, 64).size(), 6u);
    EXPECT_EQ(index.query(0, 1000).size(), 6u);  // clamped to 64
    EXPECT_EQ(index.query(0, -3).size(), 1u);    // clamped to 0
    EXPECT_EQ(index.query(0, 64).back().distance, 64);
}

}  // namespace
}  // namespace atelier
