// SPDX-License-Identifier: MIT
// Style descriptors on the procedural evaluation set: confusion matrix.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <variant>

#include "atelier/image/procedural.h"
#include "atelier/ops/tag_style.h"
#include "atelier/ops/tagger.h"
#include "eval_set.h"

namespace atelier {
namespace {

using ops::Style;

TEST(Style, ConfusionMatrixOnTheEvalSet) {
    // Calibrated on seed 1 (tests/ops_tagging/fit_style.py), evaluated on seed 2.
    const char* seed_env = std::getenv("ATELIER_STYLE_SEED");
    const auto set =
        seed_env ? evalset::make_eval_set(20, static_cast<unsigned>(std::atoi(seed_env))) : evalset::shared_eval_set();
    int m[ops::kStyleCount][ops::kStyleCount] = {};
    int correct = 0;
    const bool dump = std::getenv("ATELIER_STYLE_DUMP") != nullptr;
    for (const auto& s : set) {
        auto a = ops::analyse_style(ops::make_preview(s.image).value());
        ASSERT_TRUE(a.ok()) << a.error().message;
        const double sum = [&] {
            double t = 0;
            for (double c : a->confidence)
                t += c;
            return t;
        }();
        EXPECT_NEAR(sum, 1.0, 1e-9);
        EXPECT_GE(a->complexity, 0.0);
        EXPECT_LE(a->complexity, 1.0);
        ++m[static_cast<int>(s.style)][static_cast<int>(a->style)];
        correct += a->style == s.style;
        const auto& f = a->features;
        if (dump)
            std::printf(
                "%-14s %-28s got %-12s flat %.3f smooth %.3f edge %.3f noise %.4f ent %.2f dom %.3f dol %.3f sat %.3f "
                "det %.4f dcv %.3f cx %.2f\n",
                std::string(ops::style_name(s.style)).c_str(), s.name.c_str(),
                std::string(ops::style_name(a->style)).c_str(), f.flat_fraction, f.smooth_fraction, f.edge_fraction,
                f.noise, f.colour_entropy, f.dominant_share, f.dark_on_light, f.saturation, f.detail, f.detail_cv,
                a->complexity);
    }
    std::printf("style confusion matrix (rows: truth, columns: predicted)\n%-14s", "");
    for (int j = 0; j < ops::kStyleCount; ++j)
        std::printf("%13s", std::string(ops::style_name(static_cast<Style>(j))).c_str());
    std::printf("\n");
    for (int i = 0; i < ops::kStyleCount; ++i) {
        std::printf("%-14s", std::string(ops::style_name(static_cast<Style>(i))).c_str());
        for (int j = 0; j < ops::kStyleCount; ++j)
            std::printf("%13d", m[i][j]);
        std::printf("\n");
    }
    const double acc = static_cast<double>(correct) / set.size();
    std::printf("style accuracy %.3f (%d/%zu)\n", acc, correct, set.size());
    EXPECT_GE(acc, 0.85);
}

TEST(Style, PlainCasesAreObvious) {
    auto flat = Image::create(64, 64, 3, PixelType::u8).value();
    auto a = ops::analyse_style(ops::make_preview(flat).value()).value();
    EXPECT_EQ(a.style, Style::flat);
    EXPECT_LT(a.complexity, 0.2);
    auto grad = evalset::linear_gradient(256, 256, 4, false);
    EXPECT_EQ(ops::analyse_style(ops::make_preview(grad).value())->style, Style::gradient);
}

TEST(Style, DrawnSignalLowersPhotographicOnly) {
    const std::array<double, ops::kStyleCount> stat{0.1, 0.1, 0.6, 0.1, 0.1};
    const auto drawn = ops::blend_drawn(stat, 0.9);  // the model is sure it is a drawing
    EXPECT_NEAR(drawn[2], 0.06 / 0.46, 1e-9);
    EXPECT_NEAR(drawn[0], 0.1 / 0.46, 1e-9);
    const auto photo = ops::blend_drawn(stat, 0.0);  // no evidence either way
    for (int s = 0; s < ops::kStyleCount; ++s)
        EXPECT_NEAR(photo[s], stat[s], 1e-4);
    const auto nan = ops::blend_drawn(stat, std::numeric_limits<double>::quiet_NaN());
    EXPECT_NEAR(nan[2], stat[2], 1e-4);
    double sum = 0;
    for (double c : drawn)
        sum += c;
    EXPECT_NEAR(sum, 1.0, 1e-12);
}

// Stands in for the moderation tagger's drawn signal (the real one runs in
// tests/tag_moderation): says every image is a drawing.
class SureItIsDrawn final : public ops::Tagger {
public:
    const ops::TaggerInfo& info() const noexcept override { return m_info; }
    Result<std::vector<ops::Tag>> tag(const ops::TagInput&) const override {
        return std::vector<ops::Tag>{make_tag("style.drawn", 0.999)};
    }

private:
    ops::TaggerInfo m_info{"drawn-test", 1, "always drawn", "feedface"};
};

TEST(Style, PipelineBlendsTheDrawnSignalAndKeepsTheStatisticalClass) {
    const Image photo = evalset::photo_like(256, 192, 7);
    auto plain = ops::TagPipeline::with_builtin_taggers();
    auto r0 = plain.run(photo).value();
    ASSERT_EQ(std::get<std::string>(r0.find("style")->value), "photographic");
    EXPECT_EQ(r0.find("style.statistical"), nullptr);  // nothing to blend
    EXPECT_EQ(r0.find("style")->tagger, "style@2");
    auto with = ops::TagPipeline::with_builtin_taggers();
    ASSERT_TRUE(with.add(std::make_unique<SureItIsDrawn>()).ok());
    auto r1 = with.run(photo).value();
    EXPECT_EQ(std::get<std::string>(r1.find("style.statistical")->value), "photographic");
    EXPECT_LT(std::get<double>(r1.find("style.photographic")->value),
              std::get<double>(r0.find("style.photographic")->value));
    EXPECT_EQ(r1.find("style.photographic")->model_hash, "feedface");
    EXPECT_EQ(r1.find("style")->model_hash, "feedface");
    double sum = 0;
    for (int s = 0; s < ops::kStyleCount; ++s)
        sum += std::get<double>(r1.find("style." + std::string(ops::style_name(static_cast<Style>(s))))->value);
    EXPECT_NEAR(sum, 1.0, 1e-9);
}

}  // namespace
}  // namespace atelier

namespace atelier {
namespace {
TEST(Style, ProceduralDotsAreFlat) {
    auto img = procedural::seamless_dots(512, 512, 2).value();
    auto a = ops::analyse_style(ops::make_preview(img).value()).value();
    const auto& f = a.features;
    EXPECT_EQ(a.style, Style::flat) << "flat " << f.flat_fraction << " smooth " << f.smooth_fraction << " edge "
                                    << f.edge_fraction << " noise " << f.noise << " ent " << f.colour_entropy << " dom "
                                    << f.dominant_share << " dol " << f.dark_on_light << " sat " << f.saturation
                                    << " det " << f.detail << " dcv " << f.detail_cv;
}
}  // namespace
}  // namespace atelier
