// SPDX-License-Identifier: MIT
#pragma once

/// \file tag_specs.h
/// The technical-specs tagger ("specs"): facts a print buyer filters by —
/// size, DPI, print size at 150 and 300 DPI, bit depth, channels, whether
/// alpha is actually used, colour space / ICC profile, format, file size,
/// pixel aspect. Every tag has confidence 1 (they are read, not guessed).

#include <memory>

#include "atelier/ops/tagger.h"

namespace atelier::ops {

/// Tags: width, height, megapixels, dpi.x, dpi.y (when stated), print.150dpi.width_in,
/// print.150dpi.height_in, print.300dpi.width_in, print.300dpi.height_in,
/// print.native.width_in/height_in (at the stated DPI), bit_depth, sample_type,
/// channels, alpha, alpha_used, color_space, icc_profile (when present),
/// format, file_bytes, frames (file facts), pixel_aspect.
std::unique_ptr<Tagger> make_specs_tagger();

}  // namespace atelier::ops
