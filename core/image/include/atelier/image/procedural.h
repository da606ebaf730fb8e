// SPDX-License-Identifier: MIT
#pragma once

/// \file procedural.h
/// Procedural images: the demo's sample assets and the tests' fixtures.
/// Deterministic for a given seed. The `seamless_*` generators produce true
/// repeats (they wrap on a torus), the others do not.

#include <cstdint>

#include "atelier/image/image.h"

namespace atelier::procedural {

/// A seamless tile: a sum of sinusoids with integer frequencies across the
/// tile, mapped through a palette. Tiles perfectly both ways.
Result<Image> seamless_waves(int width, int height, std::uint32_t seed, PixelType type = PixelType::u8);
/// A seamless polka-dot repeat on a flat background (half-drop layout).
Result<Image> seamless_dots(int width, int height, std::uint32_t seed);
/// A smooth two-colour diagonal gradient (not seamless).
Result<Image> gradient(int width, int height, std::uint32_t seed);
/// Value noise with fine detail, like a photographed texture (not seamless).
Result<Image> noise_texture(int width, int height, std::uint32_t seed);

}  // namespace atelier::procedural
