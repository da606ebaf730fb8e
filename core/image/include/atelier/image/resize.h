// SPDX-License-Identifier: MIT
#pragma once

/// \file resize.h
/// Separable resampling with the usual quality filters. Downscaling widens
/// the filter by the scale factor (proper area averaging, no aliasing).
/// Alpha is handled premultiplied, so transparent pixels never bleed colour.
/// Work is done in float; the result has the input's sample type and metadata.

#include "atelier/image/image.h"

namespace atelier {

enum class ResizeFilter {
    nearest,
    box,
    bilinear,  ///< triangle
    bicubic,   ///< Catmull-Rom (B=0, C=0.5): sharp, the usual "bicubic"
    mitchell,  ///< Mitchell-Netravali (B=C=1/3)
    lanczos3,  ///< windowed sinc, radius 3: the default for photos and art
};

/// Parses "nearest", "box", "bilinear", "bicubic", "mitchell", "lanczos3".
Result<ResizeFilter> parse_resize_filter(std::string_view name);

struct ResizeOptions {
    ResizeFilter filter = ResizeFilter::lanczos3;
    /// Treat the image as a torus (seamless tile): samples off one edge wrap
    /// to the opposite edge, so a resized tile still tiles. Otherwise edges clamp.
    bool wrap = false;
};

/// Resizes to width × height. Errors for non-positive or oversized targets.
Result<Image> resize(const Image& src, int width, int height, const ResizeOptions& options = {});

}  // namespace atelier
