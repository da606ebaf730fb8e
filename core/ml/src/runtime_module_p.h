// SPDX-License-Identifier: MIT
#pragma once

/// @file
/// The boundary between the runtime facade (`atelier::ml`, no LibTorch) and
/// the LibTorch module `libatelier_ml_torch.so`, loaded on the first call that
/// needs it (Runtime::create, Runtime::probe, Runtime::compile_torchscript).
/// Debian's LibTorch maps ~150 MB and costs about 0.35 s before `main` even
/// when no model runs — every `atelier search` and market start paid that.
///
/// Both sides are built from the same tree by the same compiler; `abi` names
/// the build (version + digest of the headers whose types cross) and the
/// facade refuses a module whose string differs. Objects made by the module
/// (Runtime, Model) are used through their virtual interfaces; the module is
/// never unloaded, so their code stays mapped for the life of the process.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "atelier/ml/runtime.h"

namespace atelier::ml::detail {

inline constexpr const char* kRuntimeAbi = "atelier-ml-1/" ATELIER_ML_BUILD_ID "/" __VERSION__;

struct RuntimeModuleV1 {
    const char* abi;  ///< first member: checked by load_module()
    const char* torch_version;
    Result<std::shared_ptr<Runtime>> (*create)(const RuntimeOptions&);
    DeviceInfo (*probe)(std::string_view device);
    Result<void> (*compile_torchscript)(const std::string& source, const std::filesystem::path& path);
};

}  // namespace atelier::ml::detail

extern "C" const atelier::ml::detail::RuntimeModuleV1* atelier_ml_runtime_v1();
