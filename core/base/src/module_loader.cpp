// SPDX-License-Identifier: MIT
#include "atelier/base/module_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <vector>

namespace atelier {

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> candidates(const ModuleSpec& s) {
    std::vector<fs::path> c;
    if (const char* env = std::getenv(s.env_var); env != nullptr && *env != '\0') {
        c.emplace_back(env);
        return c;  // an explicit choice is not second-guessed
    }
    std::array<char, 4096> exe{};
    const ssize_t n = ::readlink("/proc/self/exe", exe.data(), exe.size() - 1);
    if (n > 0)
        c.push_back((fs::path(std::string(exe.data(), static_cast<std::size_t>(n))).parent_path() / s.install_relpath)
                        .lexically_normal());
    c.emplace_back(s.build_path);
    return c;
}

}  // namespace

Result<LoadedModule> load_module(const ModuleSpec& s) {
    std::string tried;
    for (const auto& p : candidates(s)) {
        std::error_code ec;
        if (!fs::exists(p, ec)) {
            tried += (tried.empty() ? "" : ", ") + p.string();
            continue;
        }
        void* h = ::dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (h == nullptr) {
            const char* why = ::dlerror();
            return fail(Errc::unsupported, std::string("cannot load the ") + s.what + " '" + p.string() +
                                               "': " + (why ? why : "unknown reason") + "; reinstall Atelier (" +
                                               s.dependency_hint + ")");
        }
        using Entry = const void* (*)();
        auto entry = reinterpret_cast<Entry>(::dlsym(h, s.entry_symbol));
        const void* table = entry != nullptr ? entry() : nullptr;
        const char* abi = table != nullptr ? *static_cast<const char* const*>(table) : nullptr;
        if (abi == nullptr || std::strcmp(abi, s.abi) != 0)
            return fail(Errc::unsupported, std::string("the ") + s.what + " '" + p.string() +
                                               "' belongs to another Atelier build (" +
                                               (abi != nullptr ? abi : "no version") + ", this program is " + s.abi +
                                               "); reinstall Atelier or unset " + s.env_var);
        return LoadedModule{table, p};
    }
    return fail(Errc::not_found, std::string("the ") + s.what + " " + s.file_name + " was not found (looked in " +
                                     tried + "); reinstall Atelier or set " + s.env_var + " to its path");
}

}  // namespace atelier
