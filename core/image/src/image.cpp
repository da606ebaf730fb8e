// SPDX-License-Identifier: MIT
#include "atelier/image/image.h"

#include <algorithm>
#include <cmath>
#include <new>

namespace atelier {

std::string_view pixel_type_name(PixelType t) noexcept {
    switch (t) {
        case PixelType::u8:
            return "uint8";
        case PixelType::u16:
            return "uint16";
        case PixelType::f32:
            return "float32";
    }
    return "unknown";
}

Result<Image> Image::create(int width, int height, int channels, PixelType type, std::optional<bool> has_alpha) {
    if (width <= 0 || height <= 0)
        return fail(Errc::invalid_argument,
                    "image size must be positive, got " + std::to_string(width) + "x" + std::to_string(height));
    if (width > kMaxDimension || height > kMaxDimension)
        return fail(Errc::limit_exceeded, "image size " + std::to_string(width) + "x" + std::to_string(height) +
                                              " exceeds the largest supported dimension " +
                                              std::to_string(kMaxDimension));
    if (channels < 1 || channels > 4)
        return fail(Errc::unsupported, "images have 1 to 4 channels, got " + std::to_string(channels));
    Image img;
    img.m_width = width;
    img.m_height = height;
    img.m_channels = channels;
    img.m_type = type;
    img.m_alpha = has_alpha.value_or(channels == 2 || channels == 4);
    if (img.m_alpha && channels != 2 && channels != 4)
        return fail(Errc::invalid_argument, "alpha needs 2 or 4 channels, got " + std::to_string(channels));
    try {
        img.m_data.assign(img.row_bytes() * static_cast<std::size_t>(height), 0);
    } catch (const std::bad_alloc&) {
        return fail(Errc::limit_exceeded, "not enough memory for a " + std::to_string(width) + "x" +
                                              std::to_string(height) +
                                              " image; close other work or use a smaller image");
    }
    return img;
}

float Image::sample(int x, int y, int c) const noexcept {
    const std::size_t i = static_cast<std::size_t>(x) * m_channels + c;
    switch (m_type) {
        case PixelType::u8:
            return row(y)[i] * (1.0f / 255.0f);
        case PixelType::u16:
            return row_as<std::uint16_t>(y)[i] * (1.0f / 65535.0f);
        case PixelType::f32:
            return row_as<float>(y)[i];
    }
    return 0.0f;
}

void Image::set_sample(int x, int y, int c, float v) noexcept {
    const std::size_t i = static_cast<std::size_t>(x) * m_channels + c;
    switch (m_type) {
        case PixelType::u8:
            row(y)[i] = static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
            break;
        case PixelType::u16:
            row_as<std::uint16_t>(y)[i] = static_cast<std::uint16_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 65535.0f));
            break;
        case PixelType::f32:
            row_as<float>(y)[i] = v;
            break;
    }
}

Result<Image> Image::converted(PixelType type) const {
    if (empty()) return fail(Errc::invalid_argument, "cannot convert an empty image");
    auto out = Image::create(m_width, m_height, m_channels, type, m_alpha);
    if (!out) return out;
    out->m_meta = m_meta;
    if (type == m_type) {
        out->m_data = m_data;
        return out;
    }
    if (m_type == PixelType::u8 && type == PixelType::u16) {  // exact: v * 257
        for (int y = 0; y < m_height; ++y) {
            const auto* s = row(y);
            auto* d = out->row_as<std::uint16_t>(y);
            for (std::size_t i = 0; i < static_cast<std::size_t>(m_width) * m_channels; ++i)
                d[i] = static_cast<std::uint16_t>(s[i] * 257);
        }
        return out;
    }
    for (int y = 0; y < m_height; ++y)
        for (int x = 0; x < m_width; ++x)
            for (int c = 0; c < m_channels; ++c)
                out->set_sample(x, y, c, sample(x, y, c));
    return out;
}

Result<Image> Image::with_channels(int channels) const {
    if (empty()) return fail(Errc::invalid_argument, "cannot change channels of an empty image");
    if (channels == m_channels) return *this;
    auto out = Image::create(m_width, m_height, channels, m_type);
    if (!out) return out;
    out->m_meta = m_meta;
    const int src_color = color_channels();
    const int dst_color = out->color_channels();
    for (int y = 0; y < m_height; ++y) {
        for (int x = 0; x < m_width; ++x) {
            float rgb[3];
            if (src_color >= 3) {
                for (int c = 0; c < 3; ++c)
                    rgb[c] = sample(x, y, c);
            } else {
                rgb[0] = rgb[1] = rgb[2] = sample(x, y, 0);
            }
            if (dst_color >= 3) {
                for (int c = 0; c < 3; ++c)
                    out->set_sample(x, y, c, rgb[c]);
            } else {
                out->set_sample(x, y, 0, 0.2126f * rgb[0] + 0.7152f * rgb[1] + 0.0722f * rgb[2]);
            }
            if (out->m_alpha) out->set_sample(x, y, channels - 1, m_alpha ? sample(x, y, m_channels - 1) : 1.0f);
        }
    }
    return out;
}

bool Image::alpha_used() const noexcept {
    if (!m_alpha) return false;
    const int a = m_channels - 1;
    for (int y = 0; y < m_height; ++y)
        for (int x = 0; x < m_width; ++x)
            if (sample(x, y, a) < 1.0f) return true;
    return false;
}

}  // namespace atelier
