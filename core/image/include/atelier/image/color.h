// SPDX-License-Identifier: MIT
#pragma once

/// \file color.h
/// sRGB transfer functions (IEC 61966-2-1) and image-wide conversions.
/// Alpha channels are never transformed.

#include "atelier/image/image.h"

namespace atelier {

float srgb_to_linear(float v) noexcept;
float linear_to_srgb(float v) noexcept;

/// sRGB-encoded → linear light, as a float image (metadata color_space "linear").
Result<Image> to_linear(const Image& src);
/// Linear light → sRGB-encoded, stored as `type`.
Result<Image> to_srgb(const Image& src, PixelType type);

}  // namespace atelier
