// SPDX-License-Identifier: MIT
// Reading a file for tagging (probe, decode, file facts).

#include "atelier/ops/tag_load.h"

namespace atelier::ops {

Result<LoadedForTagging> load_for_tagging(const std::filesystem::path& file, const imageio::ImageLimits& limits) {
    auto info = imageio::probe(file, limits);
    if (!info) return info.error();
    auto img = imageio::load(file, limits);
    if (!img) return img.error();
    LoadedForTagging out;
    out.image = std::move(*img);
    out.facts.format = info->format;
    out.facts.file_bytes = info->file_bytes;
    out.facts.bits_per_sample = info->bits_per_sample;
    out.facts.frames = info->subimages;
    return out;
}

}  // namespace atelier::ops
