// SPDX-License-Identifier: MIT
// The image I/O facade: forwards to the OpenImageIO module, loaded on first
// use (see backend_p.h for why).
#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <system_error>

#include <spdlog/spdlog.h>

#include "backend_p.h"

namespace atelier::imageio {

namespace fs = std::filesystem;

namespace {

// Where the module is looked for, in order: $ATELIER_IMAGEIO_MODULE; next to
// the running program as installed (<bindir>/<ATELIER_IMAGEIO_MODULE_RELPATH>);
// the build tree this program was built in.
std::vector<fs::path> module_candidates() {
    std::vector<fs::path> c;
    if (const char* env = std::getenv("ATELIER_IMAGEIO_MODULE"); env != nullptr && *env != '\0') {
        c.emplace_back(env);
        return c;  // an explicit choice is not second-guessed
    }
    std::array<char, 4096> exe{};
    const ssize_t n = ::readlink("/proc/self/exe", exe.data(), exe.size() - 1);
    if (n > 0)
        c.push_back((fs::path(std::string(exe.data(), static_cast<std::size_t>(n))).parent_path() /
                     ATELIER_IMAGEIO_MODULE_RELPATH)
                        .lexically_normal());
    c.emplace_back(ATELIER_IMAGEIO_MODULE_BUILD_PATH);
    return c;
}

struct Loaded {
    const detail::BackendV1* backend = nullptr;
    fs::path path;
    Error error;
};

Loaded open_module() {
    Loaded l;
    std::string tried;
    for (const auto& p : module_candidates()) {
        std::error_code ec;
        if (!fs::exists(p, ec)) {
            tried += (tried.empty() ? "" : ", ") + p.string();
            continue;
        }
        // Never closed: codec libraries register global state.
        void* h = ::dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (h == nullptr) {
            const char* why = ::dlerror();
            l.error = Error{Errc::unsupported, "cannot load the image codec module '" + p.string() +
                                                   "': " + (why ? why : "unknown reason") +
                                                   "; reinstall Atelier (its OpenImageIO dependency may be missing)"};
            return l;
        }
        using Entry = const detail::BackendV1* (*)();
        auto entry = reinterpret_cast<Entry>(::dlsym(h, "atelier_imageio_backend_v1"));
        const detail::BackendV1* b = entry != nullptr ? entry() : nullptr;
        if (b == nullptr || b->abi == nullptr || std::strcmp(b->abi, detail::kBackendAbi) != 0) {
            l.error = Error{Errc::unsupported,
                            "the image codec module '" + p.string() + "' belongs to another Atelier build (" +
                                (b != nullptr && b->abi != nullptr ? b->abi : "no version") + ", this program is " +
                                detail::kBackendAbi + "); reinstall Atelier or unset ATELIER_IMAGEIO_MODULE"};
            return l;
        }
        l.backend = b;
        l.path = p;
        spdlog::debug("image I/O: OpenImageIO {} from {}", b->codec_version, p.string());
        return l;
    }
    l.error = Error{Errc::not_found, "the image codec module libatelier_imageio_oiio.so was not found (looked in " +
                                         tried + "); reinstall Atelier or set ATELIER_IMAGEIO_MODULE to its path"};
    return l;
}

const Loaded& module() {
    static const Loaded loaded = open_module();  // thread-safe, once
    return loaded;
}

}  // namespace

Result<std::string> preload() {
    const auto& m = module();
    if (m.backend == nullptr) return m.error;
    return "OpenImageIO " + std::string(m.backend->codec_version) + " (" + m.path.string() + ")";
}

Result<ImageInfo> probe(const fs::path& path, const ImageLimits& limits) {
    const auto& m = module();
    if (m.backend == nullptr) return m.error;
    return m.backend->probe(path, limits);
}

Result<Image> load(const fs::path& path, const ImageLimits& limits) {
    const auto& m = module();
    if (m.backend == nullptr) return m.error;
    return m.backend->load(path, limits);
}

Result<void> save(const Image& image, const fs::path& path, const SaveOptions& options) {
    const auto& m = module();
    if (m.backend == nullptr) return m.error;
    return m.backend->save(image, path, options);
}

bool readable_extension(const fs::path& path) {
    const auto& m = module();
    if (m.backend == nullptr) {
        static std::once_flag warned;
        std::call_once(warned, [&] { spdlog::error("{}", m.error.message); });
        return false;
    }
    return m.backend->readable_extension(path);
}

}  // namespace atelier::imageio
