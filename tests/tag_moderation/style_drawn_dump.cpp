// SPDX-License-Identifier: MIT
// Calibration data for blending nsfwjs's drawn-versus-photo signal into the
// style tagger: for every image of the evaluation set (seed given), one CSV
// line with the true style, the statistical style confidences and the
// model's drawn probability (drawing + hentai). Read by
// fit_style_drawn.py. Not a test; run by hand:
//   style_drawn_dump SEED > seedN.csv

#include <cstdio>
#include <cstdlib>
#include <string>

#include "atelier/base/paths.h"
#include "atelier/ml/registry.h"
#include "atelier/ml/runtime.h"
#include "atelier/ops/tag_moderation.h"
#include "atelier/ops/tag_style.h"
#include "eval_set.h"

using namespace atelier;

int main(int argc, char** argv) {
    const unsigned seed = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 1u;
    auto reg = ml::ModelRegistry::scan(paths::model_dirs());
    auto mf = reg.resolve("nsfwjs-mobilenetv2");
    if (!mf) {
        std::fprintf(stderr, "%s\n", mf.error().message.c_str());
        return 1;
    }
    ml::RuntimeOptions ro;
    ro.device = "cpu";
    ro.threads = 1;  // OpenMP barriers cost more than they give on a shared machine
    auto rt = ml::Runtime::create(ro);
    if (!rt) return 1;
    auto model = (*rt)->load(**mf);
    if (!model) {
        std::fprintf(stderr, "%s\n", model.error().message.c_str());
        return 1;
    }
    const auto set = evalset::make_eval_set(20, seed);
    std::printf("seed,truth,name,flat,gradient,photographic,line_art,textured,drawn\n");
    constexpr std::size_t kBatch = 16;
    for (std::size_t i = 0; i < set.size(); i += kBatch) {
        std::vector<const Image*> batch;
        for (std::size_t j = i; j < std::min(set.size(), i + kBatch); ++j)
            batch.push_back(&set[j].image);
        auto m = ops::moderate(**model, batch, false);
        if (!m) {
            std::fprintf(stderr, "%s\n", m.error().message.c_str());
            return 1;
        }
        for (std::size_t j = 0; j < batch.size(); ++j) {
            const auto& s = set[i + j];
            auto a = ops::analyse_style(ops::make_preview(s.image).value()).value();
            std::printf("%u,%s,%s", seed, std::string(ops::style_name(s.style)).c_str(), s.name.c_str());
            for (double c : a.confidence)
                std::printf(",%.6f", c);
            std::printf(",%.6f\n", (*m)[j].probabilities[0] + (*m)[j].probabilities[1]);
        }
        std::fflush(stdout);
    }
    return 0;
}
