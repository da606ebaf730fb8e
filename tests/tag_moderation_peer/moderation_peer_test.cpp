// SPDX-License-Identifier: MIT
// Peer test: our nsfwjs MobileNetV2 (ml interpreter, our preprocessing)
// against nsfwjs 4.4.0 itself on TensorFlow.js in Node, on the same
// generated images: every class probability within 1e-3, and the
// embedding's direction (cosine ≥ 0.9999). The npm packages are installed
// by this test into <build>/peer-node/moderation (pinned in package.json).

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "atelier/base/paths.h"
#include "atelier/image/procedural.h"
#include "atelier/ml/registry.h"
#include "atelier/ops/tag_moderation.h"
#include "eval_set.h"

namespace atelier {
namespace {

namespace fs = std::filesystem;
const fs::path kNodeDir = fs::path(ATELIER_BINARY_DIR) / "peer-node" / "moderation";
const fs::path kSource = fs::path(ATELIER_SOURCE_DIR) / "tests" / "tag_moderation_peer";

bool have_node() {
    return std::system("node --version > /dev/null 2>&1") == 0 && std::system("npm --version > /dev/null 2>&1") == 0;
}

::testing::AssertionResult install_reference() {
    if (fs::exists(kNodeDir / "node_modules" / "nsfwjs" / "package.json") &&
        fs::exists(kNodeDir / "node_modules" / "@tensorflow" / "tfjs" / "package.json"))
        return ::testing::AssertionSuccess();
    fs::create_directories(kNodeDir);
    fs::copy_file(kSource / "package.json", kNodeDir / "package.json", fs::copy_options::overwrite_existing);
    const std::string cmd =
        "cd '" + kNodeDir.string() + "' && npm install --no-audit --no-fund --loglevel=error > npm.log 2>&1";
    if (std::system(cmd.c_str()) != 0)
        return ::testing::AssertionFailure()
               << "npm install of nsfwjs and TensorFlow.js failed; see " << (kNodeDir / "npm.log");
    return ::testing::AssertionSuccess();
}

void write_rgb(const Image& img, const fs::path& p) {
    std::ofstream out(p, std::ios::binary);
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x)
            for (int c = 0; c < 3; ++c)
                out.put(static_cast<char>(std::lround(std::clamp(img.sample(x, y, c), 0.0f, 1.0f) * 255.0f)));
}

TEST(ModerationPeer, MatchesNsfwjsOnTensorFlowJs) {
    if (!have_node()) GTEST_SKIP() << "node/npm are not installed: the nsfwjs reference cannot run";
    ASSERT_TRUE(install_reference());
    auto reg = ml::ModelRegistry::scan(paths::model_dirs());
    auto mf = reg.resolve("nsfwjs-mobilenetv2");
    ASSERT_TRUE(mf.ok()) << mf.error().message << " (install with ./installer/setup.sh models)";
    ml::RuntimeOptions ro;
    ro.device = "cpu";
    auto rt = ml::Runtime::create(ro);
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    auto model = (*rt)->load(**mf);
    ASSERT_TRUE(model.ok()) << model.error().message;

    // Sizes exercise both paths of nsfwjs's preprocessing: exactly 224×224
    // (no resize) and others (align-corners bilinear up and down).
    std::vector<Image> images;
    images.push_back(evalset::photo_like(224, 224, 1));
    images.push_back(evalset::illustration(320, 240, 2));
    images.push_back(evalset::line_art(150, 200, 3));
    images.push_back(procedural::seamless_waves(257, 257, 4).value());
    images.push_back(procedural::noise_texture(500, 333, 5).value());
    images.push_back(evalset::periodic_shapes(96, 64, ops::RepeatType::half_drop, 6));
    const fs::path dir = kNodeDir / "run";
    fs::create_directories(dir);
    std::string args;
    for (std::size_t i = 0; i < images.size(); ++i) {
        const auto p = dir / ("in" + std::to_string(i) + ".rgb");
        write_rgb(images[i], p);
        args += " '" + p.string() + "' " + std::to_string(images[i].width()) + " " + std::to_string(images[i].height());
    }
    const std::string cmd = "NODE_PATH='" + (kNodeDir / "node_modules").string() + "' node '" +
                            (kSource / "nsfwjs_reference.js").string() + "'" + args + " > '" +
                            (dir / "out.json").string() + "' 2> '" + (dir / "log").string() + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "the nsfwjs reference failed; see " << (dir / "log");
    // console.info lines come first; the JSON is the last line.
    std::ifstream in(dir / "out.json");
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty() && line[0] == '{') last = line;
    const auto ref = nlohmann::json::parse(last);
    ASSERT_EQ(ref["results"].size(), images.size());

    std::vector<const Image*> ptrs;
    for (const auto& im : images)
        ptrs.push_back(&im);
    auto ours = ops::moderate(**model, ptrs).value();
    double worst = 0, worst_cos = 1;
    for (std::size_t i = 0; i < images.size(); ++i) {
        const auto& r = ref["results"][i];
        for (int k = 0; k < 5; ++k) {
            const double theirs = r["probabilities"][k].get<double>();
            const double diff = std::abs(ours[i].probabilities[k] - theirs);
            worst = std::max(worst, diff);
            EXPECT_LE(diff, 1e-3) << "image " << i << " class " << ops::kModerationClasses[k] << ": ours "
                                  << ours[i].probabilities[k] << ", nsfwjs " << theirs;
        }
        std::vector<float> e;
        double n = 0;
        for (const auto& v : r["embedding"]) {
            e.push_back(v.get<float>());
            n += static_cast<double>(e.back()) * e.back();
        }
        ASSERT_EQ(e.size(), ours[i].embedding.size());
        for (auto& v : e)
            v = static_cast<float>(v / std::sqrt(n));
        const double cos = ops::embedding_similarity(e, ours[i].embedding);
        worst_cos = std::min(worst_cos, cos);
        EXPECT_GE(cos, 0.9999) << "image " << i;
    }
    std::printf("nsfwjs peer (TensorFlow.js %s, %s): largest class difference %.2e, lowest embedding cosine %.6f\n",
                ref["tfjs"].get<std::string>().c_str(), ref["backend"].get<std::string>().c_str(), worst, worst_cos);
}

}  // namespace
}  // namespace atelier
