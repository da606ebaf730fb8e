// SPDX-License-Identifier: MIT
#pragma once

/// \file tag_seamless.h
/// Seamless / repeat detection ("seamless" tagger).
///
/// Tileability per axis compares the discontinuity across the wrap (last
/// column against the first, last row against the first) with the
/// continuity of neighbouring column/row pairs next to the seam, at several
/// scales of the preview (so pixel noise does not hide a low-frequency jump).
/// A ratio near 1 means the wrap is as continuous as the inside of the image.
/// The repeat type is the layout whose wraps are continuous: full drop
/// (straight), half-drop (the next column drops by half the height),
/// half-brick (the next row shifts by half the width), or mirror (the image
/// is symmetric both ways, a mirrored repeat unit; autocorrelation with its
/// own reflection).

#include <memory>
#include <string_view>

#include "atelier/ops/tagger.h"

namespace atelier::ops {

enum class RepeatType { none, full_drop, half_drop, half_brick, mirror };
std::string_view repeat_type_name(RepeatType t) noexcept;

struct SeamlessAnalysis {
    double ratio_h = 0;  ///< seam discontinuity / local continuity, horizontal wrap (1 ≈ seamless)
    double ratio_v = 0;  ///< the same for the vertical wrap
    double score_h = 0;  ///< tileability 0..1 (≥ 0.5 = tiles), in the detected layout
    double score_v = 0;
    bool seamless = false;  ///< tiles both ways in the detected layout
    RepeatType repeat = RepeatType::none;
    double repeat_confidence = 0;  ///< 0..1
    double symmetry_h = 0;         ///< 0..1, 1 = the left half mirrors the right half
    double symmetry_v = 0;
};

/// Seam ratio above which an axis is not tileable (score 0.5 at this ratio).
inline constexpr double kSeamRatioThreshold = 2.0;
/// Smallest side (pixels) the detector accepts.
inline constexpr int kSeamlessMinSide = 16;

/// Analyses a preview made by `make_preview`. Errors (invalid_argument) for
/// images smaller than kSeamlessMinSide on a side or not f32 RGBA.
Result<SeamlessAnalysis> analyse_seamless(const Image& preview);

/// Tags: seamless (bool), seamless.horizontal / seamless.vertical (tileability
/// score 0..1), repeat.type (full_drop, half_drop, half_brick, mirror; only
/// when seamless).
std::unique_ptr<Tagger> make_seamless_tagger();

}  // namespace atelier::ops
