// SPDX-License-Identifier: MIT
// The weights installed by `installer/setup.sh models` are all present and
// match the checked-in manifests, file by file.
#include <gtest/gtest.h>

#include <filesystem>

#include "atelier/base/paths.h"
#include "atelier/ml/registry.h"

using namespace atelier;
namespace fs = std::filesystem;

TEST(InstalledModels, EveryCheckedInManifestIsInstalledAndVerifies) {
    const fs::path manifests = fs::path(ATELIER_SOURCE_DIR) / "resources/models";
    auto reg = ml::ModelRegistry::scan(paths::model_dirs());
    int checked = 0;
    for (const auto& entry : fs::directory_iterator(manifests)) {
        auto shipped = ml::read_manifest(entry.path() / "manifest.json");
        ASSERT_TRUE(shipped) << shipped.error().message;
        auto installed = reg.resolve(shipped->ref());
        ASSERT_TRUE(installed) << shipped->ref() << ": " << installed.error().message
                               << " (run ./installer/setup.sh models)";
        EXPECT_EQ((*installed)->files.size(), shipped->files.size());
        EXPECT_EQ((*installed)->licence, shipped->licence);
        ++checked;
    }
    EXPECT_GE(checked, 4) << "esrgan-slim/medium/thick and nsfwjs-mobilenetv2 at least";
}
