// SPDX-License-Identifier: MIT
#pragma once

/// \file tag_palette.h
/// Palette extraction ("palette" tagger): up to 8 dominant colours (at least
/// 5 when the image has that many distinct colours) found by k-means in
/// CIELAB (k-means++ seeding with a fixed seed, so results are
/// deterministic), merged when closer than a just-noticeable CIEDE2000
/// distance; each with its share of the visible pixels, hex value and the
/// nearest human colour name from resources/colors/named-colors.csv (compiled
/// in). Also the background colour (when one colour holds most of the
/// border, or "transparent") and the palette harmony.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "atelier/ops/tagger.h"

namespace atelier::ops {

struct PaletteColour {
    double lab[3] = {0, 0, 0};  ///< CIELAB (D65)
    double rgb[3] = {0, 0, 0};  ///< sRGB-encoded 0..1
    double share = 0;           ///< of visible pixels
    std::string hex;            ///< "#rrggbb"
    std::string name;           ///< nearest named colour ("navy", "tomato")
};

enum class Harmony { monochrome, analogous, complementary, triadic, varied };
std::string_view harmony_name(Harmony h) noexcept;

struct Palette {
    std::vector<PaletteColour> colours;     ///< by share, largest first
    std::optional<std::string> background;  ///< hex, "transparent", or none
    Harmony harmony = Harmony::varied;
    double harmony_confidence = 0;
};

/// Extracts the palette of a preview made by `make_preview`. Pixels with
/// alpha < 0.5 are ignored. Errors (invalid_argument) when no pixel is
/// visible. Thread-safe.
Result<Palette> extract_palette(const Image& preview, int max_colours = 8);

/// A colour name from the table nearest to an sRGB colour (0..1), by CIEDE2000.
std::string nearest_colour_name(double r, double g, double b);
/// CIEDE2000 between two sRGB colours (0..1), for tests and callers.
double delta_e2000_srgb(const double a[3], const double b[3]);
/// CIEDE2000 between two CIELAB colours.
double delta_e2000_lab(const double a[3], const double b[3]);

/// Tags: palette.count, palette.<i>.hex / .name / .share (i from 1),
/// palette.background, palette.harmony, colour.<name> (bool, one per
/// distinct colour name, confidence = share) for search.
std::unique_ptr<Tagger> make_palette_tagger();

}  // namespace atelier::ops
