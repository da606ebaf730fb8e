// SPDX-License-Identifier: MIT
// nsfwjs MobileNetV2 through the ml interpreter: preprocessing, batching,
// probabilities, embeddings, and the tagger in the pipeline. Uses the
// installed weights (./installer/setup.sh models).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <thread>
#include <variant>

#include "atelier/base/hash.h"
#include "atelier/base/paths.h"
#include "atelier/image/procedural.h"
#include "atelier/image/resize.h"
#include "atelier/ml/registry.h"
#include "atelier/ml/tfjs.h"
#include "atelier/ops/tag_moderation.h"
#include "atelier/ops/tag_style.h"
#include "eval_set.h"

namespace atelier {
namespace {

struct Env {
    std::shared_ptr<ml::Runtime> runtime;
    std::shared_ptr<ml::Model> model;
    std::string weights_hash;
};

const Env& env() {
    static const Env e = [] {
        Env x;
        auto reg = ml::ModelRegistry::scan(paths::model_dirs());
        auto mf = reg.resolve("nsfwjs-mobilenetv2");
        EXPECT_TRUE(mf.ok()) << (mf.ok() ? "" : mf.error().message) << " (install with ./installer/setup.sh models)";
        if (!mf) return x;
        ml::RuntimeOptions ro;
        ro.device = "cpu";
        auto rt = ml::Runtime::create(ro);
        EXPECT_TRUE(rt.ok());
        if (!rt) return x;
        x.runtime = *rt;
        auto m = x.runtime->load(**mf);
        EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
        if (m) x.model = *m;
        for (const auto& f : (*mf)->files)
            if (f.path.find("shard") != std::string::npos) x.weights_hash = to_hex(f.sha256);
        return x;
    }();
    return e;
}

TEST(Moderation, MinifiedNumbersInTheModelModuleParse) {
    // nsfwjs's model.min.js writes quantisation scales like 1.36 and mins
    // like -.5 and -0; "1.36" once came out as "10.36" (found by the peer test).
    auto j = ml::js_literal_to_json("{q:{min:-0,scale:1.3617684158624388},r:-.5,s:.25,t:[1,-0,2.5e-3]}");
    ASSERT_TRUE(j.ok());
    EXPECT_EQ(*j, R"({"q":{"min":-0,"scale":1.3617684158624388},"r":-0.5,"s":0.25,"t":[1,-0,2.5e-3]})");
}

TEST(Moderation, PreprocessingFollowsNsfwjs) {
    // 224×224 passes through as value/255; other sizes are resized with
    // align-corners bilinear: the corners are copied exactly.
    auto img = evalset::photo_like(224, 224, 1);
    auto t = ops::nsfwjs_input(img).value();
    ASSERT_EQ(t.shape, (std::vector<std::int64_t>{1, 224, 224, 3}));
    EXPECT_FLOAT_EQ(t.data[0], img.row_as<std::uint8_t>(0)[0] / 255.0f);
    auto big = evalset::photo_like(301, 173, 2);
    auto tb = ops::nsfwjs_input(big).value();
    EXPECT_FLOAT_EQ(tb.data[0], big.row_as<std::uint8_t>(0)[0] / 255.0f);
    const std::size_t last = (223 * 224 + 223) * 3 + 2;
    EXPECT_FLOAT_EQ(tb.data[last], big.row_as<std::uint8_t>(172)[300 * 3 + 2] / 255.0f);
    // 16-bit is rounded to 8 bits first, as a browser canvas would.
    auto deep = img.converted(PixelType::u16).value();
    EXPECT_EQ(ops::nsfwjs_input(deep)->data, t.data);
    EXPECT_FALSE(ops::nsfwjs_input(Image{}).ok());
}

TEST(Moderation, ProbabilitiesEmbeddingsAndBatching) {
    const auto& e = env();
    ASSERT_TRUE(e.model);
    const Image a = evalset::photo_like(320, 240, 3), b = evalset::illustration(256, 256, 4),
                c = evalset::line_art(200, 300, 5);
    const Image a_small = resize(a, 160, 120).value();
    auto batch = ops::moderate(*e.model, {&a, &b, &c, &a_small}).value();
    ASSERT_EQ(batch.size(), 4u);
    for (const auto& m : batch) {
        double s = 0;
        for (double p : m.probabilities) {
            EXPECT_GE(p, 0.0);
            s += p;
        }
        EXPECT_NEAR(s, 1.0, 1e-4);
        ASSERT_EQ(m.embedding.size(), 1280u);
        EXPECT_NEAR(ops::embedding_similarity(m.embedding, m.embedding), 1.0, 1e-4);
    }
    // The same picture at half size is nearer than other pictures.
    const double same = ops::embedding_similarity(batch[0].embedding, batch[3].embedding);
    EXPECT_GT(same, ops::embedding_similarity(batch[0].embedding, batch[1].embedding));
    EXPECT_GT(same, ops::embedding_similarity(batch[0].embedding, batch[2].embedding));
    EXPECT_GT(same, 0.9);
    // One at a time gives the same as the batch.
    auto single = ops::moderate(*e.model, {&b}).value();
    for (int k = 0; k < 5; ++k)
        EXPECT_NEAR(single[0].probabilities[k], batch[1].probabilities[k], 1e-5);
}

TEST(Moderation, TaggerJoinsThePipelineWithTheModelHash) {
    const auto& e = env();
    ASSERT_TRUE(e.model);
    auto pipeline = ops::TagPipeline::with_builtin_taggers();
    ASSERT_TRUE(pipeline.add(ops::make_moderation_tagger(e.model, e.weights_hash, "4.4.0")).ok());
    auto r = pipeline.run(procedural::seamless_waves(300, 300, 1).value()).value();
    EXPECT_TRUE(r.problems.empty());
    const ops::Tag* t = r.find("moderation.neutral");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->tagger, "moderation@1");
    EXPECT_EQ(t->model_hash.size(), 64u);
    EXPECT_EQ(t->model_hash, e.weights_hash);
    ASSERT_NE(r.find("moderation.rating"), nullptr);
    ASSERT_NE(r.find("style.drawn"), nullptr);
    EXPECT_EQ(ops::tag_value_string(r.find("embedding.dims")->value), "1280");
}

TEST(Moderation, BatchedPipelineMatchesSingleRuns) {
    const auto& e = env();
    ASSERT_TRUE(e.model);
    auto pipeline = ops::TagPipeline::with_builtin_taggers();
    ASSERT_TRUE(pipeline.add(ops::make_moderation_tagger(e.model, e.weights_hash, "4.4.0")).ok());
    const Image a = evalset::photo_like(320, 240, 11), c = evalset::linear_gradient(200, 200, 13, false);
    auto batch = pipeline.run_batch({&a, &c}).value();
    ASSERT_EQ(batch.size(), 2u);
    const Image* images[] = {&a, &c};
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(batch[i].ok());
        auto single = pipeline.run(*images[i]).value();
        for (const char* name : {"moderation.drawing", "moderation.neutral", "style.drawn", "style.photographic"})
            EXPECT_NEAR(std::get<double>(batch[i]->find(name)->value), std::get<double>(single.find(name)->value), 1e-5)
                << name;
        // The style tags are blended with the model's signal and say so.
        ASSERT_NE(batch[i]->find("style.statistical"), nullptr);
        EXPECT_EQ(batch[i]->find("style")->model_hash, e.weights_hash);
    }
}

TEST(Moderation, AwkwardImagesGetFiniteProbabilities) {
    // 1×1, fully transparent gray+alpha, 16-bit, float with NaN/Inf/HDR,
    // 1×4096: all go through the model (nsfwjs ignores alpha and resizes).
    const auto& e = env();
    ASSERT_TRUE(e.model);
    auto one = Image::create(1, 1, 3, PixelType::u8).value();
    auto clear = Image::create(32, 32, 2, PixelType::u8).value();
    auto deep = procedural::seamless_waves(64, 48, 3, PixelType::u16).value();
    auto fl = evalset::photo_like(64, 64, 2).converted(PixelType::f32).value();
    fl.row_as<float>(0)[0] = std::numeric_limits<float>::quiet_NaN();
    fl.row_as<float>(1)[1] = std::numeric_limits<float>::infinity();
    fl.row_as<float>(2)[2] = 1e9f;
    auto thin = Image::create(1, 4096, 1, PixelType::u8).value();
    auto m = ops::moderate(*e.model, {&one, &clear, &deep, &fl, &thin});
    ASSERT_TRUE(m.ok()) << m.error().message;
    for (const auto& r : *m) {
        double sum = 0;
        for (double p : r.probabilities) {
            EXPECT_TRUE(std::isfinite(p));
            sum += p;
        }
        EXPECT_NEAR(sum, 1.0, 1e-4);
    }
    Image empty;
    auto none = ops::moderate(*e.model, {&empty});
    ASSERT_FALSE(none.ok());
    EXPECT_FALSE(none.error().message.empty());
}

TEST(Moderation, BlendedStyleOnTheEvalSet) {
    // The shipped blend (tag_style.h, kDrawnWeight) on an eighth of the
    // held-out set (seed 2): it must not lose accuracy against the
    // statistical classes alone. The full matrix is in docs/TAGGING.md
    // (tests/tag_moderation/fit_style_drawn.py).
    const auto& e = env();
    ASSERT_TRUE(e.model);
    const auto& set = evalset::shared_eval_set();
    std::vector<const Image*> images;
    std::vector<ops::Style> truth;
    for (std::size_t i = 0; i < set.size(); i += 8) {
        images.push_back(&set[i].image);
        truth.push_back(set[i].style);
    }
    auto m = ops::moderate(*e.model, images, false).value();
    int stat_ok = 0, blend_ok = 0, flips = 0;
    for (std::size_t i = 0; i < images.size(); ++i) {
        auto a = ops::analyse_style(ops::make_preview(*images[i]).value()).value();
        const auto blended = ops::blend_drawn(a.confidence, m[i].probabilities[0] + m[i].probabilities[1]);
        const auto best = static_cast<ops::Style>(std::max_element(blended.begin(), blended.end()) - blended.begin());
        stat_ok += a.style == truth[i];
        blend_ok += best == truth[i];
        flips += best != a.style;
    }
    std::printf("blended style on %zu held-out images: %d correct (statistical alone %d), %d changed\n", images.size(),
                blend_ok, stat_ok, flips);
    EXPECT_GE(blend_ok, stat_ok);
    EXPECT_GE(blend_ok, static_cast<int>(images.size() * 95 / 100));
}

TEST(Moderation, ModelPoolPlanIsOneSingleThreadedInstancePerCoreOnTheCpu) {
    auto p = ops::tagging_model_pool_plan(2, 0, false);
    EXPECT_EQ(p.instances, 2);
    EXPECT_EQ(p.threads_per_instance, 1);
    p = ops::tagging_model_pool_plan(8, 4, false);  // ml.threads = 4
    EXPECT_EQ(p.instances, 2);
    EXPECT_EQ(p.threads_per_instance, 4);
    p = ops::tagging_model_pool_plan(2, 16, false);  // never more threads than cores
    EXPECT_EQ(p.instances, 1);
    EXPECT_EQ(p.threads_per_instance, 2);
    p = ops::tagging_model_pool_plan(16, 0, true);  // one instance on a GPU
    EXPECT_EQ(p.instances, 1);
}

TEST(Moderation, PooledTaggerRunsConcurrentlyAndMatchesOneModelWithItsEmbedding) {
    const auto& e = env();
    ASSERT_TRUE(e.model);
    auto setup = ops::load_moderation(paths::model_dirs(), "cpu", 0, 2);
    ASSERT_TRUE(setup.ok()) << setup.error().message;
    ASSERT_EQ(setup->models.size(), 2u);
    EXPECT_NE(setup->models[0], setup->models[1]);
    EXPECT_EQ(setup->weights_hash, e.weights_hash);
    ASSERT_TRUE(setup->tagger);
    EXPECT_EQ(setup->tagger->info().model_hash, e.weights_hash);
    // Four images tagged from two threads at once through the pool, against
    // the single model of env().
    std::vector<Image> images;
    for (unsigned i = 0; i < 4; ++i)
        images.push_back(i % 2 ? evalset::photo_like(300, 200, 40 + i) : evalset::illustration(256, 256, 40 + i));
    std::vector<Result<std::vector<ops::Tag>>> pooled(images.size(), fail(Errc::internal, "not run"));
    std::vector<Image> previews;
    for (const auto& im : images)
        previews.push_back(ops::make_preview(im).value());
    auto work = [&](std::size_t first) {
        for (std::size_t i = first; i < images.size(); i += 2)
            pooled[i] = setup->tagger->tag(ops::TagInput{images[i], previews[i], nullptr, {}});
    };
    std::thread t0(work, 0), t1(work, 1);
    t0.join();
    t1.join();
    for (std::size_t i = 0; i < images.size(); ++i) {
        ASSERT_TRUE(pooled[i].ok()) << pooled[i].error().message;
        auto ref = ops::moderate(*e.model, {&images[i]}).value();
        const std::vector<float>* emb = nullptr;
        for (const auto& t : *pooled[i]) {
            if (t.name == "moderation.neutral") {
                EXPECT_NEAR(std::get<double>(t.value), ref[0].probabilities[2], 1e-5);
            }
            if (t.name == "embedding") emb = std::get_if<std::vector<float>>(&t.value);
        }
        ASSERT_NE(emb, nullptr) << "the embedding rides in the tagger's report";
        ASSERT_EQ(emb->size(), 1280u);
        EXPECT_NEAR(ops::embedding_similarity(*emb, ref[0].embedding), 1.0, 1e-4);
    }
    EXPECT_EQ(ops::tag_value_string(ops::TagValue{std::vector<float>(3, 0.5f)}), "[3 values]");
}

}  // namespace
}  // namespace atelier
