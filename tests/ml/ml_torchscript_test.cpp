// SPDX-License-Identifier: MIT
// TorchScript models with the input/output contract declared in the manifest.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "atelier/ml/runtime.h"
#include "ml_reference.h"

using namespace atelier;
using namespace atelier::ml;
namespace fs = std::filesystem;

namespace {

const char* kNearest2x = R"(
def forward(self, x):
    return x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3) * 0.5 + 0.25
)";

struct Dir {
    fs::path p = fs::temp_directory_path() / ("atelier-ts-" + std::to_string(::getpid()));
    Dir() { fs::create_directories(p / "ts-nearest" / "1.0.0"); }
    ~Dir() { fs::remove_all(p); }
};

}  // namespace

TEST(TorchScript, ContractFromTheManifest) {
    Dir d;
    const auto model_dir = d.p / "ts-nearest" / "1.0.0";
    auto compiled = Runtime::compile_torchscript(kNearest2x, model_dir / "model.pt");
    ASSERT_TRUE(compiled.ok()) << compiled.error().message;
    const auto digest = sha256_file(model_dir / "model.pt").value();
    auto write_manifest = [&](int scale) {
        nlohmann::json m{
            {"id", "ts-nearest"},
            {"version", "1.0.0"},
            {"task", "upscale"},
            {"format", "torchscript"},
            {"licence", "MIT"},
            {"files", {{{"path", "model.pt"}, {"sha256", to_hex(digest)}}}},
            {"contract", {{"scale", scale}, {"in_channels", 3}, {"input_range", {0, 1}}, {"output_range", {0, 1}}}}};
        std::ofstream(model_dir / "manifest.json") << m.dump(2);
    };
    write_manifest(2);
    auto rt = Runtime::create().value();
    {
        const auto reg = ModelRegistry::scan({d.p});
        auto mf = reg.resolve("ts-nearest");
        ASSERT_TRUE(mf.ok()) << mf.error().message;
        auto m = rt->load(**mf);
        ASSERT_TRUE(m.ok()) << m.error().message;
        EXPECT_EQ((*m)->info().scale, 2);
        EXPECT_EQ((*m)->info().format, "torchscript");
        const auto x = ref::random({1, 5, 4, 3}, 3, 0.0F, 1.0F);
        auto y = (*m)->run(x);
        ASSERT_TRUE(y.ok()) << y.error().message;
        ASSERT_EQ((*y)[0].shape, (std::vector<std::int64_t>{1, 10, 8, 3}));
        for (int h = 0; h < 10; ++h)
            for (int w = 0; w < 8; ++w)
                for (int c = 0; c < 3; ++c)
                    EXPECT_NEAR((*y)[0].data[static_cast<std::size_t>((h * 8 + w) * 3 + c)],
                                x.data[static_cast<std::size_t>(((h / 2) * 4 + w / 2) * 3 + c)] * 0.5F + 0.25F, 1e-6);
    }
    // A contract the module does not keep is refused when loading.
    write_manifest(4);
    const auto reg = ModelRegistry::scan({d.p});
    auto mf = reg.resolve("ts-nearest");
    ASSERT_TRUE(mf.ok());
    auto bad = rt->load(**mf);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("contract says scale 4"), std::string::npos) << bad.error().message;
    // A damaged file is refused with the file named.
    std::ofstream(model_dir / "broken.pt") << "not a zip archive";
    auto broken = rt->load_torchscript(model_dir / "broken.pt", {});
    ASSERT_FALSE(broken.ok());
    EXPECT_NE(broken.error().message.find("broken.pt"), std::string::npos);
    EXPECT_FALSE(
        Runtime::compile_torchscript("def forward(self, x):\n    return undefined_thing(x)\n", model_dir / "x.pt")
            .ok());
}
