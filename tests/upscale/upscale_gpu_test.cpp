// SPDX-License-Identifier: MIT
// On a CUDA machine: CPU vs CUDA per model in fp32 (NMSE ≤ 1e-5) and fp16 vs
// fp32 on CUDA (PSNR ≥ 40 dB). Skipped, with the reason, where LibTorch has
// no usable CUDA device (Debian's LibTorch is CPU-only).

#include <gtest/gtest.h>

#include "atelier/base/paths.h"
#include "atelier/image/procedural.h"
#include "atelier/ml/runtime.h"
#include "atelier/ops/upscale.h"

using namespace atelier;

namespace {

const char* kModels[] = {"esrgan-slim", "esrgan-medium", "esrgan-thick"};

}  // namespace

class Gpu : public ::testing::Test {
protected:
    void SetUp() override {
        const auto d = ml::Runtime::probe("cuda");
        if (d.kind != ml::DeviceKind::cuda) GTEST_SKIP() << "no CUDA device: " << d.reason;
    }
    ml::ModelRegistry reg = ml::ModelRegistry::scan(paths::model_dirs());
};

TEST_F(Gpu, CpuAndCudaAgreeInFp32) {
    const auto x = [] {
        const Image img = procedural::noise_texture(40, 32, 3).value();
        ml::TensorF32 t({1, 32, 40, 3});
        for (int y = 0; y < 32; ++y)
            for (int xx = 0; xx < 40; ++xx)
                for (int c = 0; c < 3; ++c)
                    t.data[static_cast<std::size_t>((y * 40 + xx) * 3 + c)] = img.sample(xx, y, c);
        return t;
    }();
    for (const char* id : kModels) {
        auto mf = reg.resolve(id);
        ASSERT_TRUE(mf.ok()) << mf.error().message;
        double num = 0, den = 0;
        std::vector<float> outs[2];
        int k = 0;
        for (const char* dev : {"cpu", "cuda"}) {
            auto rt = ml::Runtime::create({.device = dev});
            ASSERT_TRUE(rt.ok()) << rt.error().message;
            auto m = (*rt)->load(**mf, {4});
            ASSERT_TRUE(m.ok()) << m.error().message;
            ml::TensorF32 in = x;
            for (auto& v : in.data)
                v = v * ((*m)->info().input_range[1] - (*m)->info().input_range[0]) + (*m)->info().input_range[0];
            ml::RunOptions o;
            o.precision = ml::Precision::fp32;
            auto r = (*m)->run(in, o);
            ASSERT_TRUE(r.ok()) << r.error().message;
            outs[k++] = (*r)[0].data;
        }
        for (std::size_t i = 0; i < outs[0].size(); ++i) {
            num += (outs[0][i] - outs[1][i]) * (outs[0][i] - outs[1][i]);
            den += outs[0][i] * outs[0][i];
        }
        std::printf("%s x4: CPU vs CUDA NMSE %.3g\n", id, num / den);
        EXPECT_LE(num / den, 1e-5) << id;
    }
}

TEST_F(Gpu, Fp16IsWithin40dBOfFp32) {
    const Image img = procedural::noise_texture(64, 48, 5).value();
    auto rt = ml::Runtime::create({.device = "cuda"});
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    for (const char* id : kModels) {
        auto mf = reg.resolve(id);
        ASSERT_TRUE(mf.ok());
        auto m = (*rt)->load(**mf, {4});
        ASSERT_TRUE(m.ok()) << m.error().message;
        ops::UpscaleOptions a, b;
        a.precision = ml::Precision::fp32;
        b.precision = ml::Precision::fp16;
        auto ra = ops::upscale(**m, img, a);
        auto rb = ops::upscale(**m, img, b);
        ASSERT_TRUE(ra.ok() && rb.ok());
        const double p = ops::psnr(ra->image, rb->image).value();
        std::printf("%s x4: fp16 vs fp32 on CUDA %.1f dB%s\n", id, p,
                    rb->stats.retried_fp32 ? " (retried in fp32)" : "");
        EXPECT_GE(p, 40.0) << id;
    }
}
