// SPDX-License-Identifier: MIT
#pragma once

/// \file paths.h
/// XDG base directories (https://specifications.freedesktop.org/basedir-spec/)
/// resolved for Atelier: `$XDG_DATA_HOME/atelier`, `$XDG_CONFIG_HOME/atelier`,
/// `$XDG_CACHE_HOME/atelier`, falling back to `~/.local/share`, `~/.config`
/// and `~/.cache` when the variables are unset or not absolute (as the spec
/// says). Nothing here creates directories except `ensure_dir`.

#include <filesystem>
#include <vector>

#include "atelier/base/result.h"

namespace atelier::paths {

std::filesystem::path home_dir();
std::filesystem::path data_dir();    ///< library, blobs, keys, models
std::filesystem::path config_dir();  ///< atelier.conf
std::filesystem::path cache_dir();   ///< thumbnails, npm tarballs
std::filesystem::path state_dir();   ///< window layout, job queue

/// Directories searched for models, most specific first: `$ATELIER_MODELS_DIR`
/// (colon-separated), `data_dir()/models`, and each `$XDG_DATA_DIRS/atelier/models`.
std::vector<std::filesystem::path> model_dirs();

/// Creates `dir` (and parents) if missing; an error names the directory.
Result<void> ensure_dir(const std::filesystem::path& dir);

}  // namespace atelier::paths
