// SPDX-License-Identifier: MIT
#pragma once

/// \file image.h
/// The in-memory image: interleaved pixels (1–4 channels of 8-bit, 16-bit
/// unsigned or 32-bit float samples) plus the metadata that matters to a
/// designer (DPI, ICC profile, source format). Plain C++ with no I/O, so that
/// `ml` and `ops` build without OpenImageIO. A value type: copies are deep,
/// moves are cheap. Not synchronised; share const references across threads.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "atelier/base/result.h"

namespace atelier {

enum class PixelType : std::uint8_t { u8, u16, f32 };

std::string_view pixel_type_name(PixelType t) noexcept;
constexpr std::size_t bytes_per_sample(PixelType t) noexcept {
    return t == PixelType::u8 ? 1 : t == PixelType::u16 ? 2 : 4;
}

struct ImageMetadata {
    std::optional<double> dpi_x;  ///< pixels per inch, when the file said so
    std::optional<double> dpi_y;
    std::string icc_profile_name;           ///< e.g. "sRGB IEC61966-2.1"; empty if none
    std::vector<std::uint8_t> icc_profile;  ///< the raw profile, when present
    std::string color_space = "sRGB";       ///< "sRGB", "linear", "Gray", ...
    std::string source_format;              ///< "png", "jpeg", ... of the file read
    int source_bits = 0;                    ///< bits per sample in the file
    /// Text metadata passed through (PNG text chunks, EXIF/IPTC strings, ...).
    std::map<std::string, std::string> attributes;
};

class Image {
public:
    /// Largest dimension accepted by `create` (guards size arithmetic).
    static constexpr int kMaxDimension = 1 << 20;

    Image() = default;

    /// Allocates a zeroed image. `has_alpha` defaults to true for 2 and 4
    /// channels. Errors on non-positive or oversized dimensions, channels
    /// outside 1..4, or an allocation that fails.
    static Result<Image> create(int width, int height, int channels, PixelType type,
                                std::optional<bool> has_alpha = std::nullopt);

    [[nodiscard]] bool empty() const noexcept { return m_width == 0; }
    [[nodiscard]] int width() const noexcept { return m_width; }
    [[nodiscard]] int height() const noexcept { return m_height; }
    [[nodiscard]] int channels() const noexcept { return m_channels; }
    [[nodiscard]] PixelType type() const noexcept { return m_type; }
    [[nodiscard]] bool has_alpha() const noexcept { return m_alpha; }
    /// Channels that carry colour (channels minus alpha).
    [[nodiscard]] int color_channels() const noexcept { return m_channels - (m_alpha ? 1 : 0); }
    [[nodiscard]] std::size_t pixel_bytes() const noexcept { return m_channels * bytes_per_sample(m_type); }
    [[nodiscard]] std::size_t row_bytes() const noexcept { return pixel_bytes() * static_cast<std::size_t>(m_width); }
    [[nodiscard]] std::size_t byte_size() const noexcept { return m_data.size(); }
    [[nodiscard]] std::uint64_t pixel_count() const noexcept {
        return static_cast<std::uint64_t>(m_width) * static_cast<std::uint64_t>(m_height);
    }

    std::uint8_t* data() noexcept { return m_data.data(); }
    const std::uint8_t* data() const noexcept { return m_data.data(); }
    std::uint8_t* row(int y) noexcept { return m_data.data() + row_bytes() * static_cast<std::size_t>(y); }
    const std::uint8_t* row(int y) const noexcept { return m_data.data() + row_bytes() * static_cast<std::size_t>(y); }
    template <class T>
    T* row_as(int y) noexcept {
        return reinterpret_cast<T*>(row(y));
    }
    template <class T>
    const T* row_as(int y) const noexcept {
        return reinterpret_cast<const T*>(row(y));
    }

    /// Sample at (x, y, c) normalised to 0..1 for integer types (float as is).
    [[nodiscard]] float sample(int x, int y, int c) const noexcept;
    /// Stores a normalised value (clamped and rounded for integer types).
    void set_sample(int x, int y, int c, float v) noexcept;

    ImageMetadata& metadata() noexcept { return m_meta; }
    const ImageMetadata& metadata() const noexcept { return m_meta; }

    /// A copy with another sample type; integer↔float maps 0..max ↔ 0..1,
    /// float→integer clamps and rounds.
    [[nodiscard]] Result<Image> converted(PixelType type) const;

    /// A copy with `channels` channels: gray→RGB replicates, RGB→gray uses
    /// Rec. 709 luma, alpha is kept, dropped or added (opaque) as needed.
    [[nodiscard]] Result<Image> with_channels(int channels) const;

    /// Whether any pixel has alpha below fully opaque.
    [[nodiscard]] bool alpha_used() const noexcept;

private:
    int m_width = 0;
    int m_height = 0;
    int m_channels = 0;
    PixelType m_type = PixelType::u8;
    bool m_alpha = false;
    std::vector<std::uint8_t> m_data;
    ImageMetadata m_meta;
};

}  // namespace atelier
