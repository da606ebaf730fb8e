// SPDX-License-Identifier: MIT
#include "atelier/base/paths.h"

#include <cstdlib>
#include <string>
#include <system_error>

#include <pwd.h>
#include <unistd.h>

namespace atelier::paths {
namespace fs = std::filesystem;

namespace {

fs::path env_abs_path(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return {};
    fs::path p(v);
    return p.is_absolute() ? p : fs::path{};
}

fs::path xdg(const char* var, const char* fallback_under_home) {
    if (auto p = env_abs_path(var); !p.empty()) return p / "atelier";
    return home_dir() / fallback_under_home / "atelier";
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto end = s.find(sep, start);
        if (end == std::string::npos) end = s.size();
        if (end > start) out.push_back(s.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

}  // namespace

fs::path home_dir() {
    if (auto p = env_abs_path("HOME"); !p.empty()) return p;
    if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) return pw->pw_dir;
    return fs::temp_directory_path();
}

fs::path data_dir() {
    return xdg("XDG_DATA_HOME", ".local/share");
}
fs::path config_dir() {
    return xdg("XDG_CONFIG_HOME", ".config");
}
fs::path cache_dir() {
    return xdg("XDG_CACHE_HOME", ".cache");
}
fs::path state_dir() {
    return xdg("XDG_STATE_HOME", ".local/state");
}

std::vector<fs::path> model_dirs() {
    std::vector<fs::path> dirs;
    if (const char* v = std::getenv("ATELIER_MODELS_DIR"); v != nullptr)
        for (const auto& d : split(v, ':'))
            dirs.emplace_back(d);
    dirs.push_back(data_dir() / "models");
    const char* sys = std::getenv("XDG_DATA_DIRS");
    std::string sys_dirs = (sys != nullptr && *sys != '\0') ? sys : "/usr/local/share:/usr/share";
    for (const auto& d : split(sys_dirs, ':'))
        if (fs::path(d).is_absolute()) dirs.push_back(fs::path(d) / "atelier" / "models");
    return dirs;
}

Result<void> ensure_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        return fail(Errc::io_error, "cannot create directory '" + dir.string() + "': " + ec.message() +
                                        "; check that the parent exists and is writable");
    return ok();
}

}  // namespace atelier::paths
