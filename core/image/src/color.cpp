// SPDX-License-Identifier: MIT
#include "atelier/image/color.h"

#include <cmath>

namespace atelier {

float srgb_to_linear(float v) noexcept {
    return v <= 0.04045f ? v / 12.92f : std::pow((v + 0.055f) / 1.055f, 2.4f);
}

float linear_to_srgb(float v) noexcept {
    if (v <= 0.0f) return 0.0f;
    return v <= 0.0031308f ? v * 12.92f : 1.055f * std::pow(v, 1.0f / 2.4f) - 0.055f;
}

namespace {
template <class Fn>
Result<Image> map_color(const Image& src, PixelType type, std::string space, Fn fn) {
    if (src.empty()) return fail(Errc::invalid_argument, "cannot convert the colours of an empty image");
    auto out = Image::create(src.width(), src.height(), src.channels(), type, src.has_alpha());
    if (!out) return out;
    out->metadata() = src.metadata();
    out->metadata().color_space = std::move(space);
    const int cc = src.color_channels();
    // 8-bit input: a 256-entry table instead of pow per sample.
    float lut[256];
    const bool use_lut = src.type() == PixelType::u8;
    if (use_lut)
        for (int i = 0; i < 256; ++i)
            lut[i] = fn(i / 255.0f);
    for (int y = 0; y < src.height(); ++y)
        for (int x = 0; x < src.width(); ++x)
            for (int c = 0; c < src.channels(); ++c) {
                float v;
                if (c >= cc)
                    v = src.sample(x, y, c);
                else if (use_lut)
                    v = lut[src.row(y)[static_cast<std::size_t>(x) * src.channels() + c]];
                else
                    v = fn(src.sample(x, y, c));
                out->set_sample(x, y, c, v);
            }
    return out;
}
}  // namespace

Result<Image> to_linear(const Image& src) {
    return map_color(src, PixelType::f32, "linear", srgb_to_linear);
}

Result<Image> to_srgb(const Image& src, PixelType type) {
    return map_color(src, type, "sRGB", linear_to_srgb);
}

}  // namespace atelier
