// SPDX-License-Identifier: MIT
#pragma once

// The tagging evaluation set, generated in code (deterministic): seamless
// tiles in every layout (full drop, half-drop, half-brick, mirror), the same
// tiles cropped off-grid, photograph-like scenes, flat illustrations, line
// art, gradients and noise textures — each with its ground truth. Shared by
// the tests and the benchmarks.

#include <string>
#include <vector>

#include "atelier/image/image.h"
#include "atelier/ops/tag_seamless.h"
#include "atelier/ops/tag_style.h"

namespace atelier::evalset {

struct Sample {
    std::string name;  ///< generator and seed, for failure messages
    Image image;
    bool seamless = false;
    ops::RepeatType repeat = ops::RepeatType::none;
    ops::Style style = ops::Style::flat;
};

/// `per_kind` images of each kind (about 14 kinds); sides between 160 and 320 px.
std::vector<Sample> make_eval_set(int per_kind, unsigned seed = 1);

/// The set the tests share (20 per kind, seed 2), generated once per process.
const std::vector<Sample>& shared_eval_set();

/// Individual generators (RGB u8). `layout` is one of full_drop, half_drop,
/// half_brick (seamless in that layout).
Image periodic_waves(int w, int h, ops::RepeatType layout, unsigned seed);
Image periodic_noise(int w, int h, ops::RepeatType layout, unsigned seed);
Image periodic_shapes(int w, int h, ops::RepeatType layout, unsigned seed, bool outline_only = false);
Image mirror_tile(int w, int h, unsigned seed);
Image photo_like(int w, int h, unsigned seed);
Image illustration(int w, int h, unsigned seed);
Image line_art(int w, int h, unsigned seed);
Image linear_gradient(int w, int h, unsigned seed, bool radial);
/// A window of `cw`×`ch` at (ox, oy) of the plane tiled with `tile` in `layout`.
Image crop_tiled(const Image& tile, ops::RepeatType layout, int cw, int ch, int ox, int oy);
/// Adds Gaussian noise of `sigma` (0..1 units), like a camera or JPEG would.
void add_noise(Image& img, float sigma, unsigned seed);

/// An image with exactly the given sRGB colours (0..1) in flat, anti-aliased
/// regions whose areas follow `shares`.
Image known_palette(int w, int h, const std::vector<std::array<double, 3>>& colours, const std::vector<double>& shares,
                    unsigned seed);

}  // namespace atelier::evalset
