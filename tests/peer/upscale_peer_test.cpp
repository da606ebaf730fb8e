// SPDX-License-Identifier: MIT
// Peer test: our upscaling against UpscalerJS's own runtime (the
// @upscalerjs/esrgan-* packages with their custom layers on TensorFlow.js,
// WebAssembly backend, in Node) on the same generated images. The npm
// packages are installed by this test into <build>/peer-node/upscale.
// Criterion: 8-bit output within 1 level per channel on >= 99.9% of pixels.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "atelier/base/paths.h"
#include "atelier/image/procedural.h"
#include "atelier/ml/runtime.h"
#include "atelier/ops/upscale.h"

using namespace atelier;
namespace fs = std::filesystem;

namespace {

const fs::path kNodeDir = fs::path(ATELIER_BINARY_DIR) / "peer-node" / "upscale";
const fs::path kScript = fs::path(ATELIER_SOURCE_DIR) / "tests" / "peer" / "upscalerjs_reference.js";

bool have_node() {
    return std::system("node --version > /dev/null 2>&1") == 0;
}

/// Installs the reference packages once (npm, pinned versions in package.json).
::testing::AssertionResult install_reference() {
    if (fs::exists(kNodeDir / "node_modules" / "@upscalerjs" / "esrgan-thick" / "package.json") &&
        fs::exists(kNodeDir / "node_modules" / "@tensorflow" / "tfjs-backend-wasm"))
        return ::testing::AssertionSuccess();
    fs::create_directories(kNodeDir);
    fs::copy_file(fs::path(ATELIER_SOURCE_DIR) / "tests" / "peer" / "package.json", kNodeDir / "package.json",
                  fs::copy_options::overwrite_existing);
    const std::string cmd =
        "cd '" + kNodeDir.string() + "' && npm install --no-audit --no-fund --loglevel=error > npm.log 2>&1";
    if (std::system(cmd.c_str()) != 0)
        return ::testing::AssertionFailure()
               << "npm install of the reference runtime failed; see " << (kNodeDir / "npm.log");
    return ::testing::AssertionSuccess();
}

struct Compare {
    double within1 = 0;  // fraction of pixels whose every channel is within 1 level
    int max_diff = 0;
};

void compare_model(const char* id, const Image& img) {
    auto reg = ml::ModelRegistry::scan(paths::model_dirs());
    auto mf = reg.resolve(id);
    ASSERT_TRUE(mf.ok()) << mf.error().message;
    auto rt = ml::Runtime::create();
    ASSERT_TRUE(rt.ok());
    auto model = (*rt)->load(**mf, {4});
    ASSERT_TRUE(model.ok()) << model.error().message;
    auto ours = ops::upscale(**model, img);
    ASSERT_TRUE(ours.ok()) << ours.error().message;

    const fs::path dir = fs::temp_directory_path() / ("atelier-peer-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const auto in = dir / "in.rgb", out = dir / "out.rgb";
    {
        std::ofstream f(in, std::ios::binary);
        for (int y = 0; y < img.height(); ++y)
            f.write(reinterpret_cast<const char*>(img.row(y)), static_cast<std::streamsize>(img.row_bytes()));
    }
    const std::string cmd = "NODE_PATH='" + (kNodeDir / "node_modules").string() + "' node '" + kScript.string() +
                            "' " + id + " 4 '" + in.string() + "' " + std::to_string(img.width()) + " " +
                            std::to_string(img.height()) + " '" + out.string() + "' > '" + (dir / "log").string() +
                            "' 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "the reference runtime failed; see " << (dir / "log");
    std::ifstream f(out, std::ios::binary);
    std::vector<unsigned char> ref((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const Image& o = ours->image;
    ASSERT_EQ(ref.size(), o.byte_size());
    std::size_t good = 0;
    int worst = 0;
    for (std::size_t p = 0; p < o.pixel_count(); ++p) {
        int d = 0;
        for (int c = 0; c < 3; ++c)
            d = std::max(d, std::abs(int(o.data()[p * 3 + c]) - int(ref[p * 3 + c])));
        worst = std::max(worst, d);
        good += d <= 1 ? 1 : 0;
    }
    const double frac = static_cast<double>(good) / static_cast<double>(o.pixel_count());
    std::printf("%s x4 %dx%d: %.4f%% of pixels within 1 level, max difference %d\n", id, img.width(), img.height(),
                100.0 * frac, worst);
    EXPECT_GE(frac, 0.999) << id;
    fs::remove_all(dir);
}

class UpscalePeer : public ::testing::Test {
protected:
    void SetUp() override {
        if (!have_node()) GTEST_SKIP() << "node is not installed: the UpscalerJS reference cannot run";
        ASSERT_TRUE(install_reference());
    }
};

}  // namespace

TEST_F(UpscalePeer, SlimX4MatchesUpscalerJS) {
    compare_model("esrgan-slim", procedural::noise_texture(48, 40, 21).value());
}

TEST_F(UpscalePeer, MediumX4MatchesUpscalerJS) {
    compare_model("esrgan-medium", procedural::seamless_waves(40, 32, 5).value());
}

TEST_F(UpscalePeer, ThickX4MatchesUpscalerJS) {
    compare_model("esrgan-thick", procedural::noise_texture(32, 32, 8).value());
}
