// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cstdlib>

#include "atelier/base/paths.h"

using namespace atelier;

namespace {
struct EnvGuard {
    std::string name;
    std::optional<std::string> old;
    EnvGuard(const char* n, const char* v) : name(n) {
        if (const char* o = std::getenv(n)) old = o;
        if (v)
            setenv(n, v, 1);
        else
            unsetenv(n);
    }
    ~EnvGuard() {
        if (old)
            setenv(name.c_str(), old->c_str(), 1);
        else
            unsetenv(name.c_str());
    }
};
}  // namespace

TEST(Paths, XdgVariablesWin) {
    EnvGuard d("XDG_DATA_HOME", "/tmp/xdg-data");
    EnvGuard c("XDG_CONFIG_HOME", "/tmp/xdg-config");
    EXPECT_EQ(paths::data_dir(), "/tmp/xdg-data/atelier");
    EXPECT_EQ(paths::config_dir(), "/tmp/xdg-config/atelier");
}

TEST(Paths, RelativeOrEmptyXdgFallsBackToHome) {
    EnvGuard h("HOME", "/tmp/home-x");
    EnvGuard d("XDG_DATA_HOME", "relative/path");
    EnvGuard c("XDG_CACHE_HOME", "");
    EXPECT_EQ(paths::data_dir(), "/tmp/home-x/.local/share/atelier");
    EXPECT_EQ(paths::cache_dir(), "/tmp/home-x/.cache/atelier");
}

TEST(Paths, ModelDirsOrder) {
    EnvGuard m("ATELIER_MODELS_DIR", "/a/models:/b/models");
    EnvGuard d("XDG_DATA_HOME", "/tmp/xdg-data");
    EnvGuard s("XDG_DATA_DIRS", "/usr/share");
    auto dirs = paths::model_dirs();
    ASSERT_EQ(dirs.size(), 4u);
    EXPECT_EQ(dirs[0], "/a/models");
    EXPECT_EQ(dirs[1], "/b/models");
    EXPECT_EQ(dirs[2], "/tmp/xdg-data/atelier/models");
    EXPECT_EQ(dirs[3], "/usr/share/atelier/models");
}

TEST(Paths, EnsureDirCreatesAndReportsFailure) {
    const auto dir = std::filesystem::temp_directory_path() / "atelier-paths-test" / "a" / "b";
    std::filesystem::remove_all(dir.parent_path().parent_path());
    ASSERT_TRUE(paths::ensure_dir(dir));
    EXPECT_TRUE(std::filesystem::is_directory(dir));
    auto r = paths::ensure_dir("/proc/version/sub");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::io_error);
    EXPECT_NE(r.error().message.find("/proc/version/sub"), std::string::npos);
    std::filesystem::remove_all(dir.parent_path().parent_path());
}
