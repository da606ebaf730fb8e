// SPDX-License-Identifier: MIT
// Installed models through the registry (nsfwjs MobileNetV2 classification
// and embedding, UpscalerJS variants), bad model files, the device and
// precision policy, the fp32 retry.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "atelier/base/job_queue.h"
#include "atelier/base/paths.h"
#include "atelier/image/procedural.h"
#include "atelier/ml/runtime.h"
#include "ml_reference.h"

using namespace atelier;
using namespace atelier::ml;
namespace fs = std::filesystem;

namespace {

const ModelRegistry& registry() {
    static const ModelRegistry reg = ModelRegistry::scan(paths::model_dirs());
    return reg;
}

std::shared_ptr<Runtime> runtime() {
    static auto rt = Runtime::create().value();
    return rt;
}

/// A scratch copy of one installed model's files for corrupting.
struct ScratchModel {
    fs::path dir;
    explicit ScratchModel(const std::string& id) {
        auto mf = registry().find(id);
        EXPECT_TRUE(mf.ok());
        dir = fs::temp_directory_path() / ("atelier-ml-test-" + std::to_string(::getpid()) + "-" + id);
        fs::remove_all(dir);
        fs::create_directories(dir / id / (*mf)->version);
        fs::copy((*mf)->dir, dir / id / (*mf)->version, fs::copy_options::recursive);
    }
    ~ScratchModel() { fs::remove_all(dir); }
    fs::path file(const std::string& id, const std::string& rel) const { return dir / id / "1.0.0" / rel; }
};

void truncate_file(const fs::path& p, std::uintmax_t keep) {
    fs::resize_file(p, keep);
}

RunOptions with(Precision p) {
    RunOptions o;
    o.precision = p;
    return o;
}

TensorF32 image_tensor(int w, int h, float hi) {
    const Image img = procedural::noise_texture(w, h, 4).value();
    TensorF32 t({1, h, w, 3});
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c)
                t.data[static_cast<std::size_t>((y * w + x) * 3 + c)] = img.sample(x, y, c) * hi;
    return t;
}

}  // namespace

TEST(Runtime, CpuPolicyUsesAllCoresAndSaysWhy) {
    const auto d = Runtime::probe("auto");
    EXPECT_EQ(d.kind, DeviceKind::cpu);  // Debian's LibTorch is CPU-only
    EXPECT_FALSE(d.reason.empty());
    // Adaptive threads: the cores the load average leaves free, at least one.
    EXPECT_EQ(d.threads, adaptive_threads(static_cast<int>(std::thread::hardware_concurrency()), d.load_average));
    EXPECT_NE(d.threads_reason.find("load average"), std::string::npos) << d.threads_reason;
    EXPECT_EQ(adaptive_threads(2, 0.1), 2);
    EXPECT_EQ(adaptive_threads(2, 0.7), 1);
    EXPECT_EQ(adaptive_threads(2, 10.0), 1);
    EXPECT_EQ(adaptive_threads(8, 3.2), 5);
    EXPECT_EQ(adaptive_threads(4, -1.0), 4);
    auto pinned = Runtime::create({.device = "cpu", .threads = 1});
    ASSERT_TRUE(pinned.ok());
    EXPECT_EQ((*pinned)->device().threads, 1);
    EXPECT_NE((*pinned)->device().threads_reason.find("configured"), std::string::npos);
    EXPECT_GT(d.memory_budget, 0U);
    EXPECT_LE(d.memory_budget, 3ull << 30);
    auto bad = Runtime::create({.device = "tpu"});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, Errc::invalid_argument);
    auto fp16 = Runtime::create({.device = "cpu", .precision = Precision::fp16});
    ASSERT_FALSE(fp16.ok());
    EXPECT_EQ(fp16.error().code, Errc::unsupported);
    EXPECT_FALSE(parse_precision("fp8").ok());
    EXPECT_EQ(parse_precision("auto").value(), Precision::automatic);
}

TEST(Runtime, AutomaticPrecisionHasHysteresis) {
    auto rt = Runtime::create(
        {.device = "cpu", .precision = Precision::automatic, .auto_queue_high = 4, .auto_queue_low = 1});
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    const Precision cheap = (*rt)->device().bf16 ? Precision::bf16 : Precision::fp32;
    EXPECT_EQ((*rt)->effective_precision(), Precision::fp32);
    (*rt)->set_queue_depth(4);  // not above the high mark: stays fp32
    EXPECT_EQ((*rt)->effective_precision(), Precision::fp32);
    EXPECT_FALSE((*rt)->auto_state().reduced);
    (*rt)->set_queue_depth(5);  // above it: drops
    EXPECT_EQ((*rt)->effective_precision(), cheap);
    EXPECT_TRUE((*rt)->auto_state().reduced);
    for (std::size_t d : {4U, 3U, 2U}) {  // between the marks: keeps the cheaper precision
        (*rt)->set_queue_depth(d);
        EXPECT_EQ((*rt)->effective_precision(), cheap) << "depth " << d;
    }
    (*rt)->set_queue_depth(1);  // drained to the low mark: back to fp32
    EXPECT_EQ((*rt)->effective_precision(), Precision::fp32);
    const auto st = (*rt)->auto_state();
    EXPECT_FALSE(st.reduced);
    EXPECT_EQ(st.queue_depth, 1U);
    EXPECT_EQ(st.switches, 2U);
    // A fixed precision ignores the queue.
    auto fixed = Runtime::create({.device = "cpu", .precision = Precision::fp32});
    ASSERT_TRUE(fixed.ok());
    (*fixed)->set_queue_depth(100);
    EXPECT_EQ((*fixed)->effective_precision(), Precision::fp32);
    EXPECT_EQ((*fixed)->auto_state().switches, 0U);
}

TEST(Runtime, AutomaticPrecisionFollowsARealJobQueue) {
    // Eight upscale jobs on a one-worker JobQueue, held behind a gate job so
    // that all are queued first: job k starts with 9-k jobs queued or running.
    // high 4 / low 1: jobs 1-4 (8..5 waiting) drop to the cheaper precision,
    // jobs 5-7 (4..2) keep it (hysteresis), job 8 (1 left) is back in fp32;
    // then a second burst drops again.
    auto rt = Runtime::create(
        {.device = "cpu", .precision = Precision::automatic, .auto_queue_high = 4, .auto_queue_low = 1});
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    const Precision cheap = (*rt)->device().bf16 ? Precision::bf16 : Precision::fp32;
    auto mf = registry().resolve("esrgan-slim");
    ASSERT_TRUE(mf.ok()) << mf.error().message;
    auto m = (*rt)->load(**mf, {2});
    ASSERT_TRUE(m.ok()) << m.error().message;
    JobQueue queue(JobQueue::Options{1, 64});
    follow_queue(**rt, queue);
    std::mutex mu;
    std::vector<Precision> used;
    auto burst = [&](int jobs) {
        std::promise<void> gate;
        auto opened = gate.get_future().share();
        std::vector<JobHandle> hs;
        hs.push_back(queue
                         .submit(JobSpec("gate", 0,
                                         [opened](JobContext&) -> Result<void> {
                                             opened.wait();
                                             return ok();
                                         }))
                         .value());
        for (int k = 0; k < jobs; ++k)
            hs.push_back(queue
                             .submit(JobSpec("upscale", 0,
                                             [&](JobContext&) -> Result<void> {
                                                 RunStats st;
                                                 auto r = (*m)->run(image_tensor(12, 12, 255.0F), {}, &st);
                                                 if (!r) return r.error();
                                                 std::lock_guard lk(mu);
                                                 used.push_back(st.precision);
                                                 return ok();
                                             }))
                             .value());
        gate.set_value();
        for (auto& h : hs)
            EXPECT_TRUE(h.wait().ok());
    };
    burst(8);
    const std::vector<Precision> want{cheap, cheap, cheap, cheap, cheap, cheap, cheap, Precision::fp32};
    EXPECT_EQ(used, want);
    EXPECT_EQ((*rt)->auto_state().switches, 2U);
    used.clear();
    burst(6);  // 6..1 waiting: drops at 6 and 5, keeps it down to 2, fp32 for the last
    EXPECT_EQ(used, (std::vector<Precision>{cheap, cheap, cheap, cheap, cheap, Precision::fp32}));
    (*rt)->set_queue_source({});
    EXPECT_EQ((*rt)->auto_state().queue_depth, 1U);
}

TEST(Models, NsfwjsMobileNetV2ClassifiesAndGivesTheEmbedding) {
    auto mf = registry().resolve("nsfwjs-mobilenetv2");
    ASSERT_TRUE(mf.ok()) << mf.error().message;
    auto m = runtime()->load(**mf);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ((*m)->info().fixed_width, 224);
    EXPECT_EQ((*m)->info().layer_names.back(), "dense_3");
    RunOptions ro;
    ro.extra_outputs = {"dense_2", "global_average_pooling2d_1_missing"};
    auto bad = (*m)->run(image_tensor(224, 224, 1.0F), ro);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("global_average_pooling2d_1_missing"), std::string::npos);
    ro.extra_outputs = {"dense_2", "flatten_1"};
    auto r = (*m)->run(image_tensor(224, 224, 1.0F), ro);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->size(), 3U);
    const auto& probs = (*r)[0];
    ASSERT_EQ(probs.shape, (std::vector<std::int64_t>{1, 5}));
    double sum = 0;
    for (float p : probs.data) {
        EXPECT_GE(p, 0.0F);
        sum += p;
    }
    EXPECT_NEAR(sum, 1.0, 1e-4);
    EXPECT_EQ((*r)[1].shape.size(), 2U);  // penultimate Dense embedding
    EXPECT_EQ((*r)[2].shape, (std::vector<std::int64_t>{1, 1280}));
    // wrong input size is refused with what it wants
    auto wrong = (*m)->run(image_tensor(100, 100, 1.0F));
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message.find("224x224"), std::string::npos);
}

TEST(Models, EveryUpscalerScaleLoads) {
    auto mf = registry().resolve("esrgan-slim");
    ASSERT_TRUE(mf.ok()) << mf.error().message;
    for (int s : {2, 3, 4, 8}) {
        auto m = runtime()->load(**mf, {s});
        ASSERT_TRUE(m.ok()) << m.error().message;
        EXPECT_EQ((*m)->info().scale, s);
        auto r = (*m)->run(image_tensor(12, 10, 255.0F));
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_EQ((*r)[0].shape, (std::vector<std::int64_t>{1, 10 * s, 12 * s, 3}));
    }
    auto none = runtime()->load(**mf, {5});
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().code, Errc::invalid_argument);
    EXPECT_NE(none.error().message.find("no x5"), std::string::npos) << none.error().message;
}

TEST(BadModels, TruncatedModelJson) {
    ScratchModel s("esrgan-slim");
    const auto p = s.file("esrgan-slim", "models/x4/model.json");
    truncate_file(p, fs::file_size(p) / 2);
    auto r = read_layers_model(p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::corrupt_data);
    EXPECT_NE(r.error().message.find("not valid JSON"), std::string::npos) << r.error().message;
}

TEST(BadModels, ShortAndMissingShards) {
    ScratchModel s("esrgan-slim");
    const auto json = s.file("esrgan-slim", "models/x2/model.json");
    const auto shard = s.file("esrgan-slim", "models/x2/group1-shard1of1.bin");
    truncate_file(shard, fs::file_size(shard) - 4);
    auto r = read_layers_model(json);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::corrupt_data);
    EXPECT_NE(r.error().message.find("bytes"), std::string::npos) << r.error().message;
    fs::remove(shard);
    auto m = read_layers_model(json);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, Errc::not_found);
    EXPECT_NE(m.error().message.find("group1-shard1of1.bin"), std::string::npos) << m.error().message;
}

TEST(BadModels, UnknownLayerInAFile) {
    ScratchModel s("esrgan-slim");
    const auto p = s.file("esrgan-slim", "models/x4/model.json");
    std::ifstream in(p);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    text.replace(text.find("\"UpSampling2D\""), 14, "\"SubPixelMagic\"");
    std::ofstream(p) << text;
    auto lm = read_layers_model(p);
    ASSERT_TRUE(lm.ok()) << lm.error().message;
    auto m = runtime()->load_layers(std::move(lm).value(), {});
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, Errc::unsupported);
    EXPECT_NE(m.error().message.find("UPsample"), std::string::npos) << m.error().message;
    EXPECT_NE(m.error().message.find("SubPixelMagic"), std::string::npos) << m.error().message;
}

TEST(BadModels, HashMismatchIsRefusedBeforeLoading) {
    ScratchModel s("esrgan-slim");
    const auto shard = s.file("esrgan-slim", "models/x4/group1-shard1of1.bin");
    {
        std::fstream f(shard, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(100);
        f.put('\x55');
    }
    const auto reg = ModelRegistry::scan({s.dir});
    auto r = reg.resolve("esrgan-slim");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::verification_failed);
    EXPECT_NE(r.error().message.find("SHA-256"), std::string::npos);
}

TEST(BadModels, NsfwjsModuleTruncated) {
    ScratchModel s("nsfwjs-mobilenetv2");
    const auto dir = s.dir / "nsfwjs-mobilenetv2" / "4.4.0" / "dist/models/mobilenet_v2";
    truncate_file(dir / "group1-shard1of1.min.js", 1000);
    auto r = read_nsfwjs_model(dir / "model.min.js", dir / "group1-shard1of1.min.js");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::corrupt_data);
    truncate_file(dir / "model.min.js", 5000);
    auto m = read_nsfwjs_model(dir / "model.min.js", dir / "group1-shard1of1.min.js");
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.error().message.find("truncated"), std::string::npos) << m.error().message;
}

TEST(JsLiterals, MinifiedObjectLiteralsBecomeJson) {
    auto j = js_literal_to_json(R"({a:!0,b:!1,c:.5,d:-.25,e:"x\"y",f:'q',g:[1e-3,null],h:{i:2}})");
    ASSERT_TRUE(j.ok()) << j.error().message;
    auto v = nlohmann::json::parse(*j);
    EXPECT_EQ(v["a"], true);
    EXPECT_EQ(v["b"], false);
    EXPECT_DOUBLE_EQ(v["c"].get<double>(), 0.5);
    EXPECT_DOUBLE_EQ(v["d"].get<double>(), -0.25);
    EXPECT_EQ(v["e"], "x\"y");
    EXPECT_EQ(v["f"], "q");
    EXPECT_DOUBLE_EQ(v["g"][0].get<double>(), 1e-3);
    EXPECT_EQ(v["h"]["i"], 2);
    EXPECT_FALSE(js_literal_to_json("{a:window.x}").ok());
    auto b = base64_decode("aGVsbG8=");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(std::string(b->begin(), b->end()), "hello");
    EXPECT_FALSE(base64_decode("a*b").ok());
}

TEST(Precision, Bf16IsCloseToFp32AndBlackOutputIsRetriedInFp32) {
    if (!runtime()->device().bf16) GTEST_SKIP() << "this CPU has no bf16 support (AVX-512)";
    auto mf = registry().resolve("esrgan-slim");
    ASSERT_TRUE(mf.ok());
    auto m = runtime()->load(**mf, {2});
    ASSERT_TRUE(m.ok());
    const auto x = image_tensor(24, 24, 255.0F);
    auto a = (*m)->run(x, with(Precision::fp32));
    RunStats st;
    auto b = (*m)->run(x, with(Precision::bf16), &st);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(st.precision, Precision::bf16);
    double se = 0;
    for (std::size_t i = 0; i < (*a)[0].data.size(); ++i) {
        const double d =
            (std::clamp((*a)[0].data[i], 0.0F, 255.0F) - std::clamp((*b)[0].data[i], 0.0F, 255.0F)) / 255.0;
        se += d * d;
    }
    const double psnr = 10 * std::log10(1.0 / (se / static_cast<double>((*a)[0].data.size())));
    std::printf("esrgan-slim x2 bf16 vs fp32: %.1f dB\n", psnr);
    EXPECT_GT(psnr, 30.0);

    // (x + 256) - 256 is exact in fp32 but 0 in bf16 (its step at 256 is 2): a black output.
    nlohmann::json mj = nlohmann::json::parse(R"({"modelTopology":{"model_config":{"class_name":"Functional","config":{
      "name":"offset","input_layers":[["in",0,0]],"output_layers":[["minus",0,0]],"layers":[
      {"class_name":"InputLayer","name":"in","config":{"batch_input_shape":[null,null,null,3]},"inbound_nodes":[]},
      {"class_name":"Conv2D","name":"plus","config":{"filters":3,"kernel_size":[1,1],"padding":"same"},"inbound_nodes":[[["in",0,0,{}]]]},
      {"class_name":"Conv2D","name":"minus","config":{"filters":3,"kernel_size":[1,1],"padding":"same"},"inbound_nodes":[[["plus",0,0,{}]]]}]}}}})");
    TensorF32 eye({1, 1, 3, 3});
    for (int i = 0; i < 3; ++i)
        eye.data[static_cast<std::size_t>(i * 4)] = 1.0F;
    TensorF32 plus({3}), minus({3});
    std::fill(plus.data.begin(), plus.data.end(), 256.0F);
    std::fill(minus.data.begin(), minus.data.end(), -256.0F);
    LayersModel lm{parse_layers_graph(mj).value(),
                   {{"plus/kernel", eye}, {"plus/bias", plus}, {"minus/kernel", eye}, {"minus/bias", minus}}};
    ModelInfo info;
    info.id = "offset";
    auto om = runtime()->load_layers(std::move(lm), info);
    ASSERT_TRUE(om.ok()) << om.error().message;
    const auto xi = image_tensor(8, 8, 1.0F);
    RunStats rs;
    auto out = (*om)->run(xi, with(Precision::bf16), &rs);
    ASSERT_TRUE(out.ok());
    EXPECT_TRUE(rs.retried_fp32);
    EXPECT_EQ(rs.precision, Precision::fp32);
    EXPECT_LT(ref::max_abs_diff((*out)[0], xi), 1e-4);
}
