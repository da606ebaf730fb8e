// SPDX-License-Identifier: MIT
#pragma once

/// \file tag_load.h
/// Reading a file for tagging: the one place that turns a path into what the
/// tag pipeline takes (the decoded first frame and the `FileFacts` of the
/// file). Used by `atelier tag` and the library's auto-tagger (core/autotag).
/// Built only with the image I/O module (not in ATELIER_CORE_ONLY builds).

#include <filesystem>

#include "atelier/base/result.h"
#include "atelier/image/image.h"
#include "atelier/imageio/imageio.h"
#include "atelier/ops/tagger.h"

namespace atelier::ops {

/// A decoded image and the facts about its file.
struct LoadedForTagging {
    Image image;
    FileFacts facts;
};

/// Probes `file` against `limits` (refusing oversized files before decoding),
/// then decodes its first subimage. Errors are imageio's (not_found,
/// io_error, corrupt_data, unsupported, limit_exceeded), each naming the
/// file. Thread-safe.
Result<LoadedForTagging> load_for_tagging(const std::filesystem::path& file, const imageio::ImageLimits& limits);

}  // namespace atelier::ops
