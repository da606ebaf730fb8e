// SPDX-License-Identifier: MIT
#pragma once

/// \file tag_style.h
/// Style descriptors from image statistics ("style" tagger): flat colour,
/// gradient, photographic, line art, textured/noisy — each with a confidence
/// (the five sum to 1) — and a 0..1 complexity score. The rules are
/// calibrated on the procedural evaluation set (docs/TAGGING.md has the
/// confusion matrix). When the moderation tagger ran too, the pipeline blends
/// its learned drawn-versus-photo signal into the photographic class
/// (`blend_style_with_drawn`).

#include <array>
#include <memory>
#include <optional>
#include <string_view>

#include "atelier/ops/tagger.h"

namespace atelier::ops {

enum class Style { flat, gradient, photographic, line_art, textured };
inline constexpr int kStyleCount = 5;
std::string_view style_name(Style s) noexcept;
/// The class of a name from `style_name` (flat for an unknown name).
Style style_from_name(std::string_view name) noexcept;

/// The statistics the style rules read (exposed for tests and calibration).
struct StyleFeatures {
    double flat_fraction = 0;    ///< pixels whose neighbourhood is constant (|grad| < 1/255·2)
    double smooth_fraction = 0;  ///< small non-zero gradients (gradient-like)
    double edge_fraction = 0;    ///< strong gradients
    double noise = 0;            ///< mean |Laplacian| of luma (fine detail energy)
    double colour_entropy = 0;   ///< bits, over a 4096-bin RGB histogram
    double dominant_share = 0;   ///< share of the most common quantised colour
    double dark_on_light = 0;    ///< share of strong edges that are dark thin strokes on a light background
    double saturation = 0;       ///< mean chroma (0..1)
    double detail = 0;           ///< mean |luma - its 3×3 box blur| (fine texture and noise)
    double detail_cv = 0;        ///< coefficient of variation of `detail` over an 8×8 grid of blocks
};

struct StyleAnalysis {
    StyleFeatures features;
    std::array<double, kStyleCount> confidence{};  ///< indexed by Style, sums to 1
    Style style = Style::flat;                     ///< the most confident
    double complexity = 0;                         ///< 0 (plain) .. 1 (busy)
};

/// Analyses a preview made by `make_preview`. Errors when it has no visible
/// pixels or is smaller than 4×4.
Result<StyleAnalysis> analyse_style(const Image& preview);

/// Tags: style (the best class name, with its confidence), style.<class>
/// (confidence of each class), complexity.
std::unique_ptr<Tagger> make_style_tagger();

/// Exponent of the drawn-versus-photo blend: photographic × (1 − drawn)^w.
/// Maximum likelihood on evaluation seed 1 gave w = 0.90; 1 (the plain
/// product of the two experts) is shipped (tests/tag_moderation/
/// fit_style_drawn.py, docs/TAGGING.md).
inline constexpr double kDrawnWeight = 1.0;

/// Blends nsfwjs's drawn probability (drawing + hentai) into statistical
/// style confidences: photographic is multiplied by (1 − drawn)^kDrawnWeight
/// and the five renormalised. One-sided: a confident "drawing" is strong
/// evidence against a photograph, a low one no evidence for it (the model
/// scores flat shapes and line art "neutral"). `drawn` is clamped to
/// 1e-4..1−1e-4 (NaN counts as 0).
std::array<double, kStyleCount> blend_drawn(const std::array<double, kStyleCount>& confidence, double drawn);

/// When `report` holds the style tagger's tags and a `style.drawn` tag (the
/// moderation tagger), rewrites style and style.<class> with `blend_drawn`
/// (their model_hash becomes the moderation model's) and adds
/// style.statistical (the class before blending). Otherwise does nothing.
/// `TagPipeline::run` and `run_batch` call it after all taggers.
void blend_style_with_drawn(TagReport& report);

}  // namespace atelier::ops
