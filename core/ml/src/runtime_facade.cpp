// SPDX-License-Identifier: MIT
// The runtime facade: forwards to the LibTorch module, loaded on first use
// (see runtime_module_p.h for why).
#include <spdlog/spdlog.h>

#include "atelier/base/module_loader.h"
#include "runtime_module_p.h"

namespace atelier::ml {

namespace {

const detail::RuntimeModuleV1& table(const LoadedModule& m) {
    return *static_cast<const detail::RuntimeModuleV1*>(m.table);
}

const Result<LoadedModule>& runtime_module() {
    static constexpr ModuleSpec spec{
        .what = "inference runtime module",
        .file_name = "libatelier_ml_torch.so",
        .env_var = "ATELIER_ML_MODULE",
        .install_relpath = ATELIER_ML_MODULE_RELPATH,
        .build_path = ATELIER_ML_MODULE_BUILD_PATH,
        .entry_symbol = "atelier_ml_runtime_v1",
        .abi = detail::kRuntimeAbi,
        .dependency_hint = "its LibTorch dependency may be missing",
    };
    static const Result<LoadedModule> loaded = [] {
        auto m = load_module(spec);
        if (m) spdlog::debug("inference runtime: LibTorch {} from {}", table(*m).torch_version, m->path.string());
        return m;
    }();  // thread-safe, once
    return loaded;
}

}  // namespace

Result<std::shared_ptr<Runtime>> Runtime::create(const RuntimeOptions& options) {
    const auto& m = runtime_module();
    if (!m) return m.error();
    return table(*m).create(options);
}

DeviceInfo Runtime::probe(std::string_view device) {
    const auto& m = runtime_module();
    if (!m) {
        DeviceInfo d;
        d.name = "cpu";
        d.reason = "the inference runtime is unavailable: " + m.error().message;
        return d;
    }
    return table(*m).probe(device);
}

Result<void> Runtime::compile_torchscript(const std::string& source, const std::filesystem::path& path) {
    const auto& m = runtime_module();
    if (!m) return m.error();
    return table(*m).compile_torchscript(source, path);
}

}  // namespace atelier::ml
