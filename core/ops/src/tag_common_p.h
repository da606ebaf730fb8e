// SPDX-License-Identifier: MIT
#pragma once

// Private helpers shared by the taggers: float planes, area downscaling,
// CIELAB and CIEDE2000. Not part of the public API.

#include <array>
#include <cstddef>
#include <vector>

#include "atelier/image/image.h"

namespace atelier::ops::detail {

/// A float image with `c` interleaved channels.
struct Plane {
    int w = 0, h = 0, c = 0;
    std::vector<float> px;
    Plane() = default;
    Plane(int width, int height, int channels)
        : w(width), h(height), c(channels), px(static_cast<std::size_t>(width) * height * channels, 0.0f) {}
    float* at(int x, int y) { return &px[(static_cast<std::size_t>(y) * w + x) * c]; }
    const float* at(int x, int y) const { return &px[(static_cast<std::size_t>(y) * w + x) * c]; }
};

/// The preview (f32 RGBA) as a plane: RGB premultiplied by alpha, alpha kept.
Plane plane_from_preview(const Image& preview);
/// Exact area-average downscale to ow × oh (each ≤ the source size).
Plane area_downscale(const Plane& src, int ow, int oh);
/// Rec. 709 luma of an RGB(A) plane, one channel.
Plane luma(const Plane& src);

using Lab = std::array<double, 3>;
/// sRGB-encoded (0..1) → CIELAB (D65).
Lab srgb_to_lab(double r, double g, double b) noexcept;
/// CIELAB → sRGB-encoded, clamped to 0..1.
std::array<double, 3> lab_to_srgb(const Lab& lab) noexcept;
/// CIEDE2000 colour difference.
double ciede2000(const Lab& a, const Lab& b) noexcept;

}  // namespace atelier::ops::detail
