// SPDX-License-Identifier: MIT
#pragma once

/// \file tag_plugins.h
/// Loads tagger plugins: shared libraries implementing the C ABI in
/// `tagger_plugin_abi.h`, wrapped as `ops::Tagger`s that join a
/// `TagPipeline` like the built-in ones.
///
/// Ownership: each returned tagger keeps its library loaded (shared); the
/// library is unloaded when the last tagger made from it is destroyed.
/// Thread safety: the loaders are reentrant; the taggers follow `Tagger`'s
/// rules (the plugin's `tag` must be thread-safe).

#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "atelier/ops/tagger.h"

namespace atelier::ops {

/// Loads one plugin library. Errors (what to do included) when the file
/// cannot be loaded, lacks the entry points, was built for another
/// ATELIER_TAGGER_ABI_VERSION (checked before anything else in it runs), or
/// describes itself incompletely.
Result<std::unique_ptr<Tagger>> load_tagger_plugin(const std::filesystem::path& library);

struct TaggerPlugins {
    std::vector<std::unique_ptr<Tagger>> taggers;
    /// Libraries refused, each with the reason (also logged as warnings).
    std::vector<std::pair<std::filesystem::path, Error>> rejected;
};

/// Loads every `*.so` in `dir` (not recursive, in name order). A missing
/// directory yields nothing; a plugin that fails is listed in `rejected`
/// and the others still load.
TaggerPlugins load_tagger_plugins(const std::filesystem::path& dir);

}  // namespace atelier::ops
