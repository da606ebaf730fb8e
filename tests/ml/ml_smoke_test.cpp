// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>
#include "atelier/base/paths.h"
#include "atelier/ml/runtime.h"
using namespace atelier;
TEST(Smoke, Slim) {
    auto reg = ml::ModelRegistry::scan(paths::model_dirs());
    auto rt = ml::Runtime::create();
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    for (auto id : {"esrgan-slim", "esrgan-thick", "nsfwjs-mobilenetv2"}) {
        auto mf = reg.find(id);
        ASSERT_TRUE(mf.ok()) << mf.error().message;
        auto m = (*rt)->load(**mf);
        ASSERT_TRUE(m.ok()) << m.error().message;
        const auto& info = (*m)->info();
        std::printf("%s scale %d bpp %.0f flops/px %.3g layers %zu\n", id, info.scale,
                    (*m)->bytes_per_pixel(ml::Precision::fp32), (*m)->flops_per_pixel(), info.layer_names.size());
        int h = info.fixed_height ? info.fixed_height : 16, w = info.fixed_width ? info.fixed_width : 16;
        ml::TensorF32 x({1, h, w, 3});
        for (std::size_t i = 0; i < x.data.size(); ++i)
            x.data[i] = info.input_range[1] * float((i * 7919) % 256) / 255.0f;
        auto out = (*m)->run(x);
        ASSERT_TRUE(out.ok()) << out.error().message;
        std::printf("  out %s first %f\n", (*out)[0].shape_string().c_str(), (*out)[0].data[0]);
    }
}
