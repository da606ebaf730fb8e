// SPDX-License-Identifier: MIT
// The tagger pipeline: built-in taggers, provenance of tags, extensibility,
// odd pixel formats.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "atelier/image/procedural.h"
#include "atelier/ops/tag_specs.h"
#include "atelier/ops/tagger.h"
#include "eval_set.h"

namespace atelier {
namespace {

using ops::Tag;

double num(const ops::TagReport& r, std::string_view name) {
    const Tag* t = r.find(name);
    if (!t) return std::numeric_limits<double>::quiet_NaN();
    if (auto* d = std::get_if<double>(&t->value)) return *d;
    if (auto* i = std::get_if<std::int64_t>(&t->value)) return static_cast<double>(*i);
    return std::numeric_limits<double>::quiet_NaN();
}
std::string str(const ops::TagReport& r, std::string_view name) {
    const Tag* t = r.find(name);
    return t ? ops::tag_value_string(t->value) : "";
}

TEST(Pipeline, BuiltinTaggersTagASeamlessSample) {
    const auto pipeline = ops::TagPipeline::with_builtin_taggers();
    ASSERT_EQ(pipeline.taggers().size(), 5u);
    auto img = procedural::seamless_waves(600, 450, 3).value();
    img.metadata().source_format = "png";
    ops::FileFacts facts{"png", 123456, 8, 1, std::nullopt};
    auto r = pipeline.run(img, &facts);
    ASSERT_TRUE(r.ok()) << r.error().message;
    for (const auto& p : r->problems)
        ADD_FAILURE() << p.tagger << ": " << p.error.message;
    EXPECT_EQ(num(*r, "width"), 600);
    EXPECT_EQ(num(*r, "height"), 450);
    EXPECT_EQ(num(*r, "dpi.x"), 300);
    EXPECT_DOUBLE_EQ(num(*r, "print.300dpi.width_in"), 2.0);
    EXPECT_DOUBLE_EQ(num(*r, "print.150dpi.height_in"), 3.0);
    EXPECT_EQ(num(*r, "file_bytes"), 123456);
    EXPECT_EQ(str(*r, "format"), "png");
    EXPECT_EQ(str(*r, "alpha_used"), "false");
    EXPECT_EQ(str(*r, "seamless"), "true");
    EXPECT_EQ(str(*r, "repeat.type"), "full_drop");
    EXPECT_GE(num(*r, "palette.count"), 3);
    EXPECT_EQ(str(*r, "palette.1.hex").size(), 7u);
    EXPECT_FALSE(str(*r, "style").empty());
    EXPECT_EQ(str(*r, "hash.phash").size(), 16u);
    // Every tag names its tagger and version; names are unique.
    std::set<std::string> names;
    for (const auto& t : r->tags) {
        EXPECT_NE(t.tagger.find('@'), std::string::npos) << t.name;
        EXPECT_GE(t.confidence, 0.0);
        EXPECT_LE(t.confidence, 1.0);
        EXPECT_TRUE(names.insert(t.name).second) << "duplicate tag " << t.name;
    }
    EXPECT_EQ(r->find("width")->tagger, "specs@1");
    EXPECT_EQ(r->timings_ms.size(), 6u);
}

// A tagger written the way a plugin would: only the public interface.
class AspectTagger final : public ops::Tagger {
public:
    const ops::TaggerInfo& info() const noexcept override { return m_info; }
    Result<std::vector<Tag>> tag(const ops::TagInput& in) const override {
        if (in.image.width() == in.image.height()) return fail(Errc::unsupported, "square images have no orientation");
        return std::vector<Tag>{
            make_tag("orientation", std::string(in.image.width() > in.image.height() ? "landscape" : "portrait"))};
    }

private:
    ops::TaggerInfo m_info{"orientation", 2, "landscape or portrait", "abc123"};
};

TEST(Pipeline, PluginTaggersJoinAndTheirFailuresAreReported) {
    auto pipeline = ops::TagPipeline::with_builtin_taggers();
    ASSERT_TRUE(pipeline.add(std::make_unique<AspectTagger>()).ok());
    auto dup = pipeline.add(std::make_unique<AspectTagger>());
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().code, Errc::conflict);
    auto r = pipeline.run(evalset::photo_like(200, 100, 1)).value();
    const Tag* t = r.find("orientation");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(ops::tag_value_string(t->value), "landscape");
    EXPECT_EQ(t->tagger, "orientation@2");
    EXPECT_EQ(t->model_hash, "abc123");
    auto sq = pipeline.run(evalset::photo_like(100, 100, 1)).value();
    ASSERT_EQ(sq.problems.size(), 1u);
    EXPECT_EQ(sq.problems[0].tagger, "orientation@2");
    EXPECT_NE(sq.find("width"), nullptr);  // the others still ran
}

TEST(Pipeline, RunBatchGivesWhatRunGives) {
    auto pipeline = ops::TagPipeline::with_builtin_taggers();
    const Image photo = evalset::photo_like(200, 150, 3), waves = procedural::seamless_waves(128, 128, 2).value();
    auto one = Image::create(1, 1, 3, PixelType::u8).value();
    auto clear = Image::create(16, 16, 2, PixelType::u8).value();  // fully transparent
    const ops::FileFacts facts{"png", 1000, 8, 1, std::nullopt};
    const std::vector<const Image*> images{&photo, &waves, &one, &clear, nullptr};
    auto batch = pipeline.run_batch(images, {&facts, nullptr, nullptr, nullptr, nullptr});
    ASSERT_TRUE(batch.ok()) << batch.error().message;
    ASSERT_EQ(batch->size(), images.size());
    for (std::size_t i = 0; i + 1 < images.size(); ++i) {
        auto single = pipeline.run(*images[i], i == 0 ? &facts : nullptr).value();
        const auto& b = (*batch)[i];
        ASSERT_TRUE(b.ok()) << b.error().message;
        ASSERT_EQ(b->tags.size(), single.tags.size()) << "image " << i;
        for (std::size_t k = 0; k < single.tags.size(); ++k) {
            EXPECT_EQ(b->tags[k].name, single.tags[k].name);
            EXPECT_EQ(ops::tag_value_string(b->tags[k].value), ops::tag_value_string(single.tags[k].value));
        }
        EXPECT_EQ(b->problems.size(), single.problems.size()) << "image " << i;
        EXPECT_EQ(b->timings_ms.size(), single.timings_ms.size());
    }
    EXPECT_EQ(num(*(*batch)[0], "file_bytes"), 1000);
    ASSERT_FALSE((*batch)[4].ok());  // the null entry, and only it, fails
    EXPECT_EQ((*batch)[4].error().code, Errc::invalid_argument);
    auto mismatched = pipeline.run_batch(images, {&facts});
    ASSERT_FALSE(mismatched.ok());
    EXPECT_TRUE(pipeline.run_batch({}).value().empty());
}

TEST(Pipeline, ExtremeAspectRatiosAreTaggedOrExplained) {
    const auto pipeline = ops::TagPipeline::with_builtin_taggers();
    for (auto [w, h] : {std::pair{4096, 1}, std::pair{1, 4096}, std::pair{3000, 2}}) {
        auto img = Image::create(w, h, 3, PixelType::u8).value();
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                img.set_sample(x, y, 0, static_cast<float>(x % 7) / 7.0f);
        auto r = pipeline.run(img);
        ASSERT_TRUE(r.ok()) << w << "x" << h << ": " << r.error().message;
        EXPECT_EQ(num(*r, "width"), w);
        EXPECT_NE(r->find("palette.1.hex"), nullptr) << w << "x" << h;
        EXPECT_NE(r->find("hash.phash"), nullptr) << w << "x" << h;
        for (const auto& p : r->problems)  // what cannot be done says why
            EXPECT_NE(p.error.message.find("small"), std::string::npos) << p.tagger << ": " << p.error.message;
    }
}

TEST(Pipeline, CancelledRunStops) {
    CancelSource src;
    src.cancel();
    auto r = ops::TagPipeline::with_builtin_taggers().run(evalset::photo_like(64, 64, 1), nullptr, src.token());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::cancelled);
}

TEST(Pipeline, OnePixelImageIsTaggedWithReasonsForWhatCannotBe) {
    auto img = Image::create(1, 1, 3, PixelType::u8).value();
    img.set_sample(0, 0, 0, 1.0f);
    auto r = ops::TagPipeline::with_builtin_taggers().run(img).value();
    EXPECT_EQ(num(r, "width"), 1);
    EXPECT_EQ(str(r, "palette.1.name"), "red");
    ASSERT_FALSE(r.problems.empty());
    bool seamless_reason = false;
    for (const auto& p : r.problems)
        seamless_reason =
            seamless_reason || (p.tagger == "seamless@1" && p.error.message.find("too small") != std::string::npos);
    EXPECT_TRUE(seamless_reason);
}

TEST(Pipeline, SixteenBitFloatAndGrayImagesMatchTheirEightBitSelves) {
    auto base = procedural::seamless_waves(256, 256, 11, PixelType::u16).value();
    auto f32 = base.converted(PixelType::f32).value();
    auto u8 = base.converted(PixelType::u8).value();
    const auto pipeline = ops::TagPipeline::with_builtin_taggers();
    auto r16 = pipeline.run(base).value(), rf = pipeline.run(f32).value(), r8 = pipeline.run(u8).value();
    EXPECT_EQ(num(r16, "bit_depth"), 16);
    EXPECT_EQ(num(rf, "bit_depth"), 32);
    EXPECT_EQ(str(r16, "seamless"), "true");
    EXPECT_EQ(str(rf, "seamless"), "true");
    EXPECT_EQ(num(r16, "palette.count"), num(r8, "palette.count"));
    EXPECT_EQ(str(r16, "palette.1.name"), str(r8, "palette.1.name"));
    // HDR and NaN samples are clamped, not propagated.
    f32.row_as<float>(3)[5] = std::numeric_limits<float>::quiet_NaN();
    f32.row_as<float>(4)[5] = 40.0f;
    auto rh = pipeline.run(f32);
    ASSERT_TRUE(rh.ok());
    EXPECT_EQ(str(*rh, "palette.1.hex").size(), 7u);
    // Gray with alpha.
    auto gray = u8.with_channels(2).value();
    auto rg = pipeline.run(gray).value();
    EXPECT_EQ(num(rg, "channels"), 2);
    EXPECT_EQ(str(rg, "alpha"), "true");
    EXPECT_EQ(str(rg, "alpha_used"), "false");
    EXPECT_EQ(str(rg, "palette.harmony"), "monochrome");
}

TEST(Pipeline, AlphaOnlyImageIsTaggedAndExplained) {
    // Gray + alpha where every pixel is transparent: specs and hashes work,
    // palette and style say there is nothing visible.
    auto img = Image::create(64, 64, 2, PixelType::u8).value();
    auto r = ops::TagPipeline::with_builtin_taggers().run(img).value();
    EXPECT_EQ(str(r, "alpha_used"), "true");
    bool palette_reason = false;
    for (const auto& p : r.problems)
        palette_reason =
            palette_reason || (p.tagger == "palette@1" && p.error.message.find("no visible") != std::string::npos);
    EXPECT_TRUE(palette_reason);
}

TEST(Pipeline, PreviewKeepsATileSeamlessAndIsBounded) {
    auto big = procedural::seamless_dots(1000, 700, 4).value();
    auto p = ops::make_preview(big).value();
    EXPECT_EQ(std::max(p.width(), p.height()), ops::TagInput::kPreviewSide);
    EXPECT_EQ(p.channels(), 4);
    EXPECT_EQ(p.type(), PixelType::f32);
    EXPECT_FALSE(ops::make_preview(Image{}).ok());
}

}  // namespace
}  // namespace atelier
