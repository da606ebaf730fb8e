// SPDX-License-Identifier: MIT
// The image I/O facade: forwards to the OpenImageIO module, loaded on first
// use (see backend_p.h for why).
#include <mutex>

#include <spdlog/spdlog.h>

#include "atelier/base/module_loader.h"
#include "backend_p.h"

namespace atelier::imageio {

namespace fs = std::filesystem;

namespace {

struct Loaded {
    const detail::BackendV1* backend = nullptr;
    fs::path path;
    Error error;
};

Loaded open_module() {
    // Looked for at $ATELIER_IMAGEIO_MODULE, next to the running program as
    // installed, then in the build tree this program was built in.
    static constexpr ModuleSpec spec{
        .what = "image codec module",
        .file_name = "libatelier_imageio_oiio.so",
        .env_var = "ATELIER_IMAGEIO_MODULE",
        .install_relpath = ATELIER_IMAGEIO_MODULE_RELPATH,
        .build_path = ATELIER_IMAGEIO_MODULE_BUILD_PATH,
        .entry_symbol = "atelier_imageio_backend_v1",
        .abi = detail::kBackendAbi,
        .dependency_hint = "its OpenImageIO dependency may be missing",
    };
    Loaded l;
    auto m = load_module(spec);
    if (!m) {
        l.error = m.error();
        return l;
    }
    l.backend = static_cast<const detail::BackendV1*>(m->table);
    l.path = m->path;
    spdlog::debug("image I/O: OpenImageIO {} from {}", l.backend->codec_version, l.path.string());
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
