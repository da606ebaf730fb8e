// SPDX-License-Identifier: MIT
// Seamless / repeat detection on the procedural evaluation set.

#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "atelier/image/procedural.h"
#include "atelier/ops/tag_seamless.h"
#include "eval_set.h"

namespace atelier {
namespace {

using ops::RepeatType;

TEST(Seamless, SeparatesTilesFromOrdinaryImagesOnTheEvalSet) {
    const auto& set = evalset::shared_eval_set();
    int correct = 0, repeat_correct = 0, repeat_total = 0;
    double worst_tile = 0, best_other = 1e9;  // seam ratios: the margin between the classes
    std::map<std::string, std::pair<int, int>> by_kind;
    for (const auto& s : set) {
        auto p = ops::make_preview(s.image);
        ASSERT_TRUE(p.ok());
        auto a = ops::analyse_seamless(*p);
        ASSERT_TRUE(a.ok()) << a.error().message;
        const bool ok = a->seamless == s.seamless;
        const double r = std::max(a->ratio_h, a->ratio_v);
        if (s.seamless)
            worst_tile = std::max(worst_tile, r);
        else
            best_other = std::min(best_other, r);
        correct += ok;
        const std::string kind = s.name.substr(0, s.name.find_first_of("/#"));
        by_kind[kind].first += ok;
        by_kind[kind].second += 1;
        if (!ok)
            std::printf("  miss %-28s truth %d got %d ratio h %.2f v %.2f\n", s.name.c_str(), s.seamless, a->seamless,
                        a->ratio_h, a->ratio_v);
        if (s.seamless) {
            ++repeat_total;
            const bool rok = a->repeat == s.repeat;
            repeat_correct += rok;
            if (!rok && a->seamless)
                std::printf("  repeat %-28s truth %s got %s\n", s.name.c_str(),
                            std::string(ops::repeat_type_name(s.repeat)).c_str(),
                            std::string(ops::repeat_type_name(a->repeat)).c_str());
        }
    }
    const double acc = static_cast<double>(correct) / set.size();
    const double racc = static_cast<double>(repeat_correct) / repeat_total;
    std::printf("seamless accuracy %.3f (%d/%zu); repeat type accuracy on tiles %.3f (%d/%d)\n", acc, correct,
                set.size(), racc, repeat_correct, repeat_total);
    std::printf("largest seam ratio of a tile %.2f, smallest of a non-repeat %.2f (threshold %.2f)\n", worst_tile,
                best_other, ops::kSeamRatioThreshold);
    for (const auto& [k, v] : by_kind)
        std::printf("  %-14s %d/%d\n", k.c_str(), v.first, v.second);
    EXPECT_GE(acc, 0.95);
    EXPECT_GE(racc, 0.90);
}

TEST(Seamless, ProceduralSamplesAndTheirCrops) {
    auto waves = procedural::seamless_waves(300, 200, 7).value();
    auto p = ops::make_preview(waves).value();
    auto a = ops::analyse_seamless(p).value();
    EXPECT_TRUE(a.seamless);
    EXPECT_EQ(a.repeat, RepeatType::full_drop);
    EXPECT_GT(a.score_h, 0.7);
    auto crop = evalset::crop_tiled(waves, RepeatType::full_drop, 211, 160, 40, 30);
    auto pc = ops::make_preview(crop).value();
    auto c = ops::analyse_seamless(pc).value();
    EXPECT_FALSE(c.seamless);
    EXPECT_EQ(c.repeat, RepeatType::none);
}

TEST(Seamless, HalfDropTileIsNotAStraightRepeat) {
    auto tile = evalset::periodic_shapes(240, 200, RepeatType::half_drop, 3);
    auto a = ops::analyse_seamless(ops::make_preview(tile).value()).value();
    EXPECT_TRUE(a.seamless);
    EXPECT_EQ(a.repeat, RepeatType::half_drop);
}

TEST(Seamless, TooSmallIsRefusedWithAReason) {
    auto img = Image::create(8, 8, 3, PixelType::u8).value();
    auto a = ops::analyse_seamless(ops::make_preview(img).value());
    ASSERT_FALSE(a.ok());
    EXPECT_NE(a.error().message.find("too small"), std::string::npos);
}

}  // namespace
}  // namespace atelier
