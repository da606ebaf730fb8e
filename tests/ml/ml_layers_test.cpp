// SPDX-License-Identifier: MIT
// The Keras layers-model interpreter, layer by layer, against naive loops;
// and a refusal of unknown layers.

#include <gtest/gtest.h>

#include <algorithm>

#include "atelier/ml/runtime.h"
#include "ml_reference.h"

using namespace atelier;
using namespace atelier::ml;
using nlohmann::json;

namespace {

std::shared_ptr<Runtime> runtime() {
    static auto rt = Runtime::create().value();
    return rt;
}

/// input(C channels) -> each of `layers` in a chain (or as given by inbound) -> output = last layer.
Result<std::shared_ptr<Model>> build(const json& layers, int channels, std::map<std::string, TensorF32> weights,
                                     Runtime* rt = nullptr) {
    json all = json::array();
    all.push_back({{"class_name", "InputLayer"},
                   {"name", "in"},
                   {"config", {{"batch_input_shape", {nullptr, nullptr, nullptr, channels}}, {"name", "in"}}},
                   {"inbound_nodes", json::array()}});
    std::string prev = "in";
    for (auto l : layers) {
        if (!l.contains("inbound_nodes"))
            l["inbound_nodes"] = json::array({json::array({json::array({prev, 0, 0, json::object()})})});
        prev = l["name"].get<std::string>();
        all.push_back(l);
    }
    json mj = {{"modelTopology",
                {{"model_config",
                  {{"class_name", "Functional"},
                   {"config",
                    {{"name", "t"},
                     {"layers", all},
                     {"input_layers", {{"in", 0, 0}}},
                     {"output_layers", {{prev, 0, 0}}}}}}}}}};
    auto g = parse_layers_graph(mj);
    if (!g) return g.error();
    ModelInfo info;
    info.id = "test";
    return (rt ? rt : runtime().get())->load_layers(LayersModel{*g, std::move(weights)}, info);
}

json layer(const std::string& cls, const std::string& name, json cfg) {
    cfg["name"] = name;
    return {{"class_name", cls}, {"name", name}, {"config", cfg}};
}

TensorF32 run1(Model& m, const TensorF32& x) {
    auto r = m.run(x);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r ? (*r)[0] : TensorF32{};
}

}  // namespace

TEST(Layers, Conv2DSameValidStridesDilationActivation) {
    const auto x = ref::random({1, 9, 8, 3}, 1);
    const auto k = ref::random({3, 3, 3, 5}, 2), b = ref::random({5}, 3);
    struct Case {
        int stride, dil;
        bool same;
        const char* act;
    } cases[] = {{1, 1, true, "relu"}, {2, 1, true, "linear"}, {1, 2, false, "linear"}, {2, 1, false, "sigmoid"}};
    for (const auto& c : cases) {
        auto m = build(json::array({layer("Conv2D", "c",
                                          {{"filters", 5},
                                           {"kernel_size", {3, 3}},
                                           {"strides", {c.stride, c.stride}},
                                           {"dilation_rate", {c.dil, c.dil}},
                                           {"padding", c.same ? "same" : "valid"},
                                           {"activation", c.act},
                                           {"use_bias", true}})}),
                       3, {{"c/kernel", k}, {"c/bias", b}});
        ASSERT_TRUE(m.ok()) << m.error().message;
        auto want = ref::conv2d(x, k, &b, c.stride, c.dil, c.same);
        if (std::string(c.act) == "relu") want = ref::map(want, [](float v) { return std::max(v, 0.0F); });
        if (std::string(c.act) == "sigmoid")
            want = ref::map(want, [](float v) { return 1.0F / (1.0F + std::exp(-v)); });
        EXPECT_LT(ref::max_abs_diff(run1(**m, x), want), 1e-4) << c.stride << " " << c.dil << " " << c.same;
    }
}

TEST(Layers, DepthwiseConv2DWithMultiplier) {
    const auto x = ref::random({1, 7, 6, 4}, 4);
    const auto k = ref::random({3, 3, 4, 2}, 5), b = ref::random({8}, 6);
    auto m = build(json::array({layer("DepthwiseConv2D", "d",
                                      {{"kernel_size", {3, 3}},
                                       {"strides", {2, 2}},
                                       {"padding", "same"},
                                       {"depth_multiplier", 2},
                                       {"activation", "linear"},
                                       {"use_bias", true}})}),
                   4, {{"d/depthwise_kernel", k}, {"d/bias", b}});
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_LT(ref::max_abs_diff(run1(**m, x), ref::conv2d(x, k, &b, 2, 1, true, true)), 1e-4);
}

TEST(Layers, BatchNormReluMaxValueZeroPadding) {
    const auto x = ref::random({1, 4, 5, 3}, 7, -4.0F, 9.0F);
    const auto g = ref::random({3}, 8, 0.5F, 2.0F), be = ref::random({3}, 9), mu = ref::random({3}, 10),
               var = ref::random({3}, 11, 0.5F, 2.0F);
    auto m = build(json::array({layer("BatchNormalization", "bn", {{"axis", -1}, {"epsilon", 0.001}}),
                                layer("ReLU", "r", {{"max_value", 6.0}, {"negative_slope", 0.0}, {"threshold", 0.0}}),
                                layer("ZeroPadding2D", "p", {{"padding", {{1, 2}, {0, 3}}}})}),
                   3, {{"bn/gamma", g}, {"bn/beta", be}, {"bn/moving_mean", mu}, {"bn/moving_variance", var}});
    ASSERT_TRUE(m.ok()) << m.error().message;
    const auto y = run1(**m, x);
    ASSERT_EQ(y.shape, (std::vector<std::int64_t>{1, 7, 8, 3}));
    for (int h = 0; h < 7; ++h)
        for (int w = 0; w < 8; ++w)
            for (int c = 0; c < 3; ++c) {
                float want = 0;
                if (h >= 1 && h < 5 && w < 5) {
                    const float v = x.data[static_cast<std::size_t>(((h - 1) * 5 + w) * 3 + c)];
                    want = (v - mu.data[c]) / std::sqrt(var.data[c] + 0.001F) * g.data[c] + be.data[c];
                    want = std::clamp(want, 0.0F, 6.0F);
                }
                EXPECT_NEAR(y.data[static_cast<std::size_t>((h * 8 + w) * 3 + c)], want, 1e-4);
            }
}

TEST(Layers, PoolingUpsamplingFlattenDenseSoftmax) {
    const auto x = ref::random({1, 5, 6, 2}, 12);
    // AveragePooling2D 'same' excludes the padding, like TensorFlow.
    auto avg = build(json::array({layer("AveragePooling2D", "a",
                                        {{"pool_size", {2, 2}}, {"strides", {2, 2}}, {"padding", "same"}})}),
                     2, {});
    ASSERT_TRUE(avg.ok()) << avg.error().message;
    const auto ya = run1(**avg, x);
    ASSERT_EQ(ya.shape, (std::vector<std::int64_t>{1, 3, 3, 2}));
    // bottom row of windows covers only row 4
    EXPECT_NEAR(ya.data[static_cast<std::size_t>((2 * 3 + 0) * 2 + 1)],
                (x.data[static_cast<std::size_t>((4 * 6 + 0) * 2 + 1)] +
                 x.data[static_cast<std::size_t>((4 * 6 + 1) * 2 + 1)]) /
                    2,
                1e-5);
    auto mx = build(json::array({layer("MaxPooling2D", "m", {{"pool_size", {2, 2}}, {"padding", "valid"}}),
                                 layer("UpSampling2D", "u", {{"size", {2, 3}}, {"interpolation", "nearest"}})}),
                    2, {});
    ASSERT_TRUE(mx.ok()) << mx.error().message;
    const auto ym = run1(**mx, x);
    ASSERT_EQ(ym.shape, (std::vector<std::int64_t>{1, 4, 9, 2}));
    float want = -1e9F;
    for (int h = 0; h < 2; ++h)
        for (int w = 2; w < 4; ++w)
            want = std::max(want, x.data[static_cast<std::size_t>((h * 6 + w) * 2)]);
    EXPECT_FLOAT_EQ(ym.data[static_cast<std::size_t>((1 * 9 + 5) * 2)], want);  // pooled (0,1) → rows 0-1, cols 3-5
    // Flatten follows Keras' NHWC order; Dense + softmax.
    const auto k = ref::random({60, 4}, 13), b = ref::random({4}, 14);
    auto fd = build(json::array({layer("Flatten", "f", json::object()), layer("Dropout", "dr", {{"rate", 0.5}}),
                                 layer("Dense", "d", {{"units", 4}, {"activation", "softmax"}, {"use_bias", true}})}),
                    2, {{"d/kernel", k}, {"d/bias", b}});
    ASSERT_TRUE(fd.ok()) << fd.error().message;
    const auto yd = run1(**fd, x);
    ASSERT_EQ(yd.shape, (std::vector<std::int64_t>{1, 4}));
    double logits[4], z = 0;
    for (int o = 0; o < 4; ++o) {
        logits[o] = b.data[o];
        for (int i = 0; i < 60; ++i)
            logits[o] += x.data[static_cast<std::size_t>(i)] * k.data[static_cast<std::size_t>(i * 4 + o)];
        z += std::exp(logits[o]);
    }
    for (int o = 0; o < 4; ++o)
        EXPECT_NEAR(yd.data[static_cast<std::size_t>(o)], std::exp(logits[o]) / z, 1e-5);
    auto gap = build(
        json::array({layer("GlobalAveragePooling2D", "g", json::object()), layer("Softmax", "s", {{"axis", -1}})}), 2,
        {});
    ASSERT_TRUE(gap.ok()) << gap.error().message;
    const auto yg = run1(**gap, x);
    double mean[2] = {0, 0};
    for (int i = 0; i < 30; ++i)
        for (int c = 0; c < 2; ++c)
            mean[c] += x.data[static_cast<std::size_t>(i * 2 + c)] / 30.0;
    EXPECT_NEAR(yg.data[0], std::exp(mean[0]) / (std::exp(mean[0]) + std::exp(mean[1])), 1e-5);
}

TEST(Layers, BilinearUpsamplingFollowsTfjs) {
    // tfjs-layers' UpSampling2D calls tf.image.resizeBilinear without half-pixel
    // centres. These are TF.js 4.11's outputs for a 2x3 input and size 2x2.
    TensorF32 x({1, 2, 3, 1});
    x.data = {1, 2, 3, 4, 5, 6};
    auto m = build(json::array({layer("UpSampling2D", "u", {{"size", {2, 2}}, {"interpolation", "bilinear"}})}), 1, {});
    ASSERT_TRUE(m.ok()) << m.error().message;
    const auto y = run1(**m, x);
    ASSERT_EQ(y.shape, (std::vector<std::int64_t>{1, 4, 6, 1}));
    const std::vector<float> tfjs{1, 1.5, 2, 2.5, 3, 3, 2.5, 3,   3.5, 4,   4.5, 4.5,
                                  4, 4.5, 5, 5.5, 6, 6, 4,   4.5, 5,   5.5, 6,   6};
    for (std::size_t i = 0; i < tfjs.size(); ++i)
        EXPECT_NEAR(y.data[i], tfjs[i], 1e-6) << i;
    // Integer scale 3 on random data against the formula src = dst / s, clamped.
    const auto r = ref::random({1, 4, 5, 2}, 77);
    auto m3 =
        build(json::array({layer("UpSampling2D", "u", {{"size", {3, 3}}, {"interpolation", "bilinear"}})}), 2, {});
    ASSERT_TRUE(m3.ok());
    const auto y3 = run1(**m3, r);
    ASSERT_EQ(y3.shape, (std::vector<std::int64_t>{1, 12, 15, 2}));
    auto at = [&](std::int64_t h, std::int64_t w, std::int64_t c) {
        return r.data[static_cast<std::size_t>((h * 5 + w) * 2 + c)];
    };
    for (std::int64_t oy = 0; oy < 12; ++oy)
        for (std::int64_t ox = 0; ox < 15; ++ox)
            for (std::int64_t c = 0; c < 2; ++c) {
                const std::int64_t y0 = oy / 3, x0 = ox / 3, y1 = std::min<std::int64_t>(y0 + 1, 3),
                                   x1 = std::min<std::int64_t>(x0 + 1, 4);
                const float fy = static_cast<float>(oy % 3) / 3.0F, fx = static_cast<float>(ox % 3) / 3.0F;
                const float want = (1 - fy) * ((1 - fx) * at(y0, x0, c) + fx * at(y0, x1, c)) +
                                   fy * ((1 - fx) * at(y1, x0, c) + fx * at(y1, x1, c));
                EXPECT_NEAR(y3.data[static_cast<std::size_t>((oy * 15 + ox) * 2 + c)], want, 1e-5);
            }
}

TEST(Layers, NearestUpsamplingFoldedIntoTheNextConvGivesTheSameResult) {
    // UpSampling2D(nearest) + Conv2D(same) is run as one low-res conv + depth-to-space.
    for (int s : {2, 3, 4}) {
        for (int k : {1, 3, 5}) {
            const auto x = ref::random({1, 7, 6, 5}, 30 + s), w = ref::random({k, k, 5, 3}, 40 + k),
                       b = ref::random({3}, 50);
            auto m = build(json::array({layer("UpSampling2D", "u", {{"size", {s, s}}, {"interpolation", "nearest"}}),
                                        layer("Conv2D", "c",
                                              {{"filters", 3},
                                               {"kernel_size", {k, k}},
                                               {"padding", "same"},
                                               {"activation", "relu"},
                                               {"use_bias", true}})}),
                           5, {{"c/kernel", w}, {"c/bias", b}});
            ASSERT_TRUE(m.ok()) << m.error().message;
            RunOptions ro;
            ro.extra_outputs = {"u"};
            auto r = (*m)->run(x, ro);
            ASSERT_TRUE(r.ok()) << r.error().message;
            const auto up = ref::nchw_to_nhwc(ref::up_nearest_nchw(ref::nhwc_to_nchw(x), s));
            const auto want = ref::map(ref::conv2d(up, w, &b, 1, 1, true), [](float v) { return std::max(v, 0.0F); });
            ASSERT_EQ((*r)[0].shape, want.shape) << "s=" << s << " k=" << k;
            EXPECT_LT(ref::max_abs_diff((*r)[0], want), 1e-4) << "s=" << s << " k=" << k;
            // the upsampled layer itself is still available as an extra output
            ASSERT_EQ((*r)[1].shape, up.shape);
            EXPECT_LT(ref::max_abs_diff((*r)[1], up), 1e-6);
        }
    }
}

TEST(Layers, MergeLayersMultiplyBetaPixelShuffle) {
    const auto x = ref::random({1, 3, 4, 12}, 15);
    json l = json::array({layer("MultiplyBeta", "mb", {{"beta", 0.2}}), layer("Add", "add", json::object()),
                          layer("Multiply", "mul", json::object()), layer("Concatenate", "cat", {{"axis", -1}}),
                          layer("PixelShuffle2x", "ps", {{"scale", 2}})});
    l[1]["inbound_nodes"] = json::array(
        {json::array({json::array({"in", 0, 0, json::object()}), json::array({"mb", 0, 0, json::object()})})});
    l[2]["inbound_nodes"] = json::array(
        {json::array({json::array({"add", 0, 0, json::object()}), json::array({"in", 0, 0, json::object()})})});
    l[3]["inbound_nodes"] = json::array(
        {json::array({json::array({"mul", 0, 0, json::object()}), json::array({"mb", 0, 0, json::object()})})});
    auto m = build(l, 12, {});
    ASSERT_TRUE(m.ok()) << m.error().message;
    const auto y = run1(**m, x);
    ASSERT_EQ(y.shape, (std::vector<std::int64_t>{1, 6, 8, 6}));  // 24 channels → 6 at 2x
    // depth_to_space (NHWC): out[h*2+i, w*2+j, c] = cat[h, w, (i*2+j)*6 + c]
    for (int h = 0; h < 3; ++h)
        for (int w = 0; w < 4; ++w)
            for (int i = 0; i < 2; ++i)
                for (int j = 0; j < 2; ++j)
                    for (int c = 0; c < 6; ++c) {
                        const int cc = (i * 2 + j) * 6 + c;
                        const float v = x.data[static_cast<std::size_t>((h * 4 + w) * 12 + cc % 12)];
                        const float want = cc < 12 ? (v + 0.2F * v) * v : 0.2F * v;
                        EXPECT_NEAR(y.data[static_cast<std::size_t>(((h * 2 + i) * 8 + w * 2 + j) * 6 + c)], want,
                                    1e-5);
                    }
}

TEST(Layers, PixelShuffle3x4x8xLeakyReluGlobalMax) {
    // PixelShuffle{3,4,8}x = TF depth_to_space (DCR) at that scale.
    for (int s : {3, 4, 8}) {
        const auto x = ref::random({1, 2, 3, 2 * s * s}, 60 + s);
        auto m =
            build(json::array({layer("PixelShuffle" + std::to_string(s) + "x", "ps", {{"scale", s}})}), 2 * s * s, {});
        ASSERT_TRUE(m.ok()) << m.error().message;
        const auto y = run1(**m, x);
        ASSERT_EQ(y.shape, (std::vector<std::int64_t>{1, 2 * s, 3 * s, 2}));
        for (int h = 0; h < 2; ++h)
            for (int w = 0; w < 3; ++w)
                for (int i = 0; i < s; ++i)
                    for (int j = 0; j < s; ++j)
                        for (int c = 0; c < 2; ++c)
                            ASSERT_EQ(y.data[static_cast<std::size_t>(((h * s + i) * 3 * s + w * s + j) * 2 + c)],
                                      x.data[static_cast<std::size_t>((h * 3 + w) * 2 * s * s + (i * s + j) * 2 + c)])
                                << "s=" << s;
    }
    auto bad = build(json::array({layer("PixelShuffle4x", "ps", {{"scale", 2}})}), 16, {});
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("ps"), std::string::npos) << bad.error().message;
    // LeakyReLU(alpha) then GlobalMaxPooling2D.
    const auto x = ref::random({1, 4, 5, 3}, 70);
    auto m = build(
        json::array({layer("LeakyReLU", "lr", {{"alpha", 0.1}}), layer("GlobalMaxPooling2D", "gm", json::object())}), 3,
        {});
    ASSERT_TRUE(m.ok()) << m.error().message;
    const auto y = run1(**m, x);
    ASSERT_EQ(y.shape, (std::vector<std::int64_t>{1, 3}));
    for (int c = 0; c < 3; ++c) {
        float want = -1e9F;
        for (int i = 0; i < 20; ++i) {
            const float v = x.data[static_cast<std::size_t>(i * 3 + c)];
            want = std::max(want, v > 0 ? v : 0.1F * v);
        }
        EXPECT_NEAR(y.data[static_cast<std::size_t>(c)], want, 1e-6);
    }
}

namespace {

/// A MobileNetV2-style block: ZeroPadding2D + strided depthwise + BN + ReLU6,
/// 1×1 conv + BN, then Activation(relu) — what the load-time folding fuses.
Result<std::shared_ptr<Model>> mobilenet_block(Runtime* rt = nullptr) {
    auto bn = [](const std::string& n, std::uint32_t seed, std::map<std::string, TensorF32>& w) {
        w[n + "/gamma"] = ref::random({8}, seed, 0.5F, 2.0F);
        w[n + "/beta"] = ref::random({8}, seed + 1);
        w[n + "/moving_mean"] = ref::random({8}, seed + 2);
        w[n + "/moving_variance"] = ref::random({8}, seed + 3, 0.1F, 2.0F);
        return layer("BatchNormalization", n, {{"axis", -1}, {"epsilon", 0.001}});
    };
    std::map<std::string, TensorF32> w;
    w["d/depthwise_kernel"] = ref::random({3, 3, 4, 2}, 60);
    w["c/kernel"] = ref::random({1, 1, 8, 8}, 61);
    json layers = json::array(
        {layer("ZeroPadding2D", "p", {{"padding", {{0, 1}, {0, 1}}}}),
         layer("DepthwiseConv2D", "d",
               {{"kernel_size", {3, 3}},
                {"strides", {2, 2}},
                {"padding", "valid"},
                {"depth_multiplier", 2},
                {"use_bias", false}}),
         bn("bn1", 70, w), layer("ReLU", "r1", {{"max_value", 6.0}}),
         layer("Conv2D", "c", {{"filters", 8}, {"kernel_size", {1, 1}}, {"padding", "same"}, {"use_bias", false}}),
         bn("bn2", 80, w), layer("Activation", "a", {{"activation", "relu"}})});
    return build(layers, 4, std::move(w), rt);
}

}  // namespace

TEST(Layers, FoldedBatchNormReluAndPaddingMatchTheLayerByLayerResult) {
    auto m = mobilenet_block();
    ASSERT_TRUE(m.ok()) << m.error().message;
    const auto x = ref::random({3, 11, 10, 4}, 90, -3.0F, 3.0F);
    // Asking for "bn1" (a value the folded program does not compute) runs
    // the graph layer by layer; "r1" is computed by the folded program.
    RunOptions unfused, fused;
    unfused.extra_outputs = {"bn1", "r1"};
    fused.extra_outputs = {"r1"};
    auto a = (*m)->run(x, unfused);
    auto b = (*m)->run(x, fused);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ((*a)[0].shape, (std::vector<std::int64_t>{3, 5, 5, 8}));
    EXPECT_LT(ref::max_abs_diff((*a)[0], (*b)[0]), 1e-4);
    EXPECT_LT(ref::max_abs_diff((*a)[2], (*b)[1]), 1e-4);
    // the BN output really is before the ReLU6 (negative values present)
    EXPECT_LT(*std::min_element((*a)[1].data.begin(), (*a)[1].data.end()), 0.0F);
    EXPECT_GE(*std::min_element((*b)[1].data.begin(), (*b)[1].data.end()), 0.0F);
    EXPECT_LE(*std::max_element((*b)[1].data.begin(), (*b)[1].data.end()), 6.0F);
}

TEST(Layers, ResidualScalingFoldedIntoTheAddition) {
    // Conv2D → MultiplyBeta → Add(input, ·): the add computes input + β·conv in one pass.
    const auto x = ref::random({1, 5, 6, 4}, 92), k = ref::random({3, 3, 4, 4}, 93), b = ref::random({4}, 94);
    json l = json::array(
        {layer("Conv2D", "c", {{"filters", 4}, {"kernel_size", {3, 3}}, {"padding", "same"}, {"use_bias", true}}),
         layer("MultiplyBeta", "mb", {{"beta", 0.2}}), layer("Add", "add", json::object())});
    l[2]["inbound_nodes"] = json::array(
        {json::array({json::array({"in", 0, 0, json::object()}), json::array({"mb", 0, 0, json::object()})})});
    auto m = build(l, 4, {{"c/kernel", k}, {"c/bias", b}});
    ASSERT_TRUE(m.ok()) << m.error().message;
    const auto want = ref::axpy(ref::conv2d(x, k, &b, 1, 1, true), 0.2F, x);
    EXPECT_LT(ref::max_abs_diff(run1(**m, x), want), 1e-5);
    RunOptions ro;  // the scaled value itself, asked for, comes from the layer-by-layer path
    ro.extra_outputs = {"mb"};
    auto r = (*m)->run(x, ro);
    ASSERT_TRUE(r.ok());
    EXPECT_LT(ref::max_abs_diff((*r)[1], ref::map(ref::conv2d(x, k, &b, 1, 1, true), [](float v) { return 0.2F * v; })),
              1e-5);
}

TEST(Layers, BatchSplitAcrossThreadsGivesThePerImageResults) {
    // A batch on several CPU threads is shared out in chunks to workers.
    for (int threads : {1, 2}) {
        RuntimeOptions o;
        o.threads = threads;
        auto rt = Runtime::create(o);
        ASSERT_TRUE(rt.ok());
        auto m = mobilenet_block(rt->get());
        ASSERT_TRUE(m.ok()) << m.error().message;
        const std::int64_t n = 9;
        const auto x = ref::random({n, 11, 10, 4}, 91, -3.0F, 3.0F);
        auto all = (*m)->run(x, RunOptions{});
        ASSERT_TRUE(all.ok()) << all.error().message;
        ASSERT_EQ((*all)[0].dim(0), n);
        const std::size_t in_per = x.data.size() / n, out_per = (*all)[0].data.size() / n;
        for (std::int64_t i = 0; i < n; ++i) {
            TensorF32 one({1, 11, 10, 4});
            std::copy_n(x.data.begin() + static_cast<std::ptrdiff_t>(i * in_per), in_per, one.data.begin());
            auto r = (*m)->run(one, RunOptions{});
            ASSERT_TRUE(r.ok());
            for (std::size_t k = 0; k < out_per; ++k)
                ASSERT_NEAR((*r)[0].data[k], (*all)[0].data[i * out_per + k], 1e-5)
                    << "threads " << threads << " image " << i;
        }
    }
}

TEST(Layers, UnknownLayerIsRefusedWithNameAndClass) {
    auto m = build(json::array({layer("FancyWarp2D", "warp_1", {{"strength", 3}})}), 3, {});
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, Errc::unsupported);
    EXPECT_NE(m.error().message.find("warp_1"), std::string::npos) << m.error().message;
    EXPECT_NE(m.error().message.find("FancyWarp2D"), std::string::npos) << m.error().message;
    auto a = build(json::array({layer("Activation", "act", {{"activation", "mish"}})}), 3, {});
    ASSERT_FALSE(a.ok());
    EXPECT_NE(a.error().message.find("mish"), std::string::npos);
}

TEST(Layers, MissingWeightIsNamed) {
    auto m = build(json::array({layer("Conv2D", "c", {{"filters", 2}, {"kernel_size", {3, 3}}, {"padding", "same"}})}),
                   3, {});
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.error().message.find("c/kernel"), std::string::npos) << m.error().message;
}
