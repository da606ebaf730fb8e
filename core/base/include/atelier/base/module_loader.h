// SPDX-License-Identifier: MIT
#pragma once

/// @file
/// Loading one of Atelier's own plug-in modules (a shared object built with the
/// program, such as the OpenImageIO codecs or the LibTorch runtime) on first
/// use, so that start-up does not pay for their dependencies.
///
/// A module exports one `extern "C"` entry point returning a pointer to a
/// static table whose first member is a `const char*` ABI string; the loader
/// refuses a module whose string differs from the caller's (another build).
/// Modules are never unloaded: their libraries register global state.

#include <filesystem>
#include <string>

#include "atelier/base/result.h"

namespace atelier {

/// Where and what to load. Every pointer must outlive the call (literals).
struct ModuleSpec {
    const char* what;             ///< for messages: "image codec module"
    const char* file_name;        ///< "libatelier_imageio_oiio.so"
    const char* env_var;          ///< an explicit path, taken without fallback when set
    const char* install_relpath;  ///< relative to the running program's folder (installed layout)
    const char* build_path;       ///< absolute path in the build tree this program came from
    const char* entry_symbol;     ///< the exported entry point
    const char* abi;              ///< must equal the table's first member
    const char* dependency_hint;  ///< added to a dlopen failure: "its OpenImageIO dependency may be missing"
};

struct LoadedModule {
    const void* table = nullptr;  ///< what the entry point returned; its first member is the ABI string
    std::filesystem::path path;   ///< the file that was loaded
};

/// Looks for the module at `$env_var` (only there when set), next to the
/// program (`<dir of /proc/self/exe>/<install_relpath>`), then at
/// `build_path`; loads the first that exists and checks its ABI string.
/// Thread-safe, but callers cache the result (each call dlopens again, which
/// the dynamic loader answers from its own table).
/// Errors: not_found (no candidate exists), unsupported (dlopen failed, no
/// entry point, or another build), each saying what to do.
Result<LoadedModule> load_module(const ModuleSpec& spec);

}  // namespace atelier
