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

const detail::BackendV1& backend(const LoadedModule& m) {
    return *static_cast<const detail::BackendV1*>(m.table);
}

const Result<LoadedModule>& module() {
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
    static const Result<LoadedModule> loaded = [] {
        auto m = load_module(spec);
        if (m) spdlog::debug("image I/O: OpenImageIO {} from {}", backend(*m).codec_version, m->path.string());
        return m;
    }();  // thread-safe, once
    return loaded;
}

}  // namespace

Result<std::string> preload() {
    const auto& m = module();
    if (!m) return m.error();
    return "OpenImageIO " + std::string(backend(*m).codec_version) + " (" + m->path.string() + ")";
}

Result<ImageInfo> probe(const fs::path& path, const ImageLimits& limits) {
    const auto& m = module();
    if (!m) return m.error();
    return backend(*m).probe(path, limits);
}

Result<Image> load(const fs::path& path, const ImageLimits& limits) {
    const auto& m = module();
    if (!m) return m.error();
    return backend(*m).load(path, limits);
}

Result<void> save(const Image& image, const fs::path& path, const SaveOptions& options) {
    const auto& m = module();
    if (!m) return m.error();
    return backend(*m).save(image, path, options);
}

bool readable_extension(const fs::path& path) {
    const auto& m = module();
    if (!m) {
        static std::once_flag warned;
        std::call_once(warned, [&] { spdlog::error("{}", m.error().message); });
        return false;
    }
    return backend(*m).readable_extension(path);
}

}  // namespace atelier::imageio
