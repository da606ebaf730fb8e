// SPDX-License-Identifier: MIT
// Browse previews (downscaled, visibly watermarked). Perceptual hashes for
// near-duplicate detection come from core/ops (checks.cpp).
#include <algorithm>
#include <cmath>

#include "atelier/image/resize.h"
#include "context.h"

namespace atelier::market_server {

namespace {
// The image as 8-bit RGB over white (alpha composited), for previews and hashes.
Result<Image> to_rgb8(const Image& src) {
    auto u8 = src.converted(PixelType::u8);
    if (!u8) return u8;
    auto img = std::move(*u8);
    if (img.has_alpha()) {
        auto rgba = img.with_channels(4);
        if (!rgba) return rgba;
        auto out = Image::create(img.width(), img.height(), 3, PixelType::u8, false);
        if (!out) return out;
        for (int y = 0; y < img.height(); ++y) {
            const auto* s = rgba->row(y);
            auto* d = out->row(y);
            for (int x = 0; x < img.width(); ++x) {
                int a = s[4 * x + 3];
                for (int c = 0; c < 3; ++c)
                    d[3 * x + c] = static_cast<std::uint8_t>((s[4 * x + c] * a + 255 * (255 - a)) / 255);
            }
        }
        return out;
    }
    return img.with_channels(3);
}
}  // namespace

Result<Image> make_preview(const Image& src, int long_side) {
    auto rgb = to_rgb8(src);
    if (!rgb) return rgb;
    int w = rgb->width(), h = rgb->height();
    double scale = std::min(1.0, static_cast<double>(long_side) / std::max(w, h));
    int tw = std::max(1, static_cast<int>(std::lround(w * scale)));
    int th = std::max(1, static_cast<int>(std::lround(h * scale)));
    Image img;
    if (tw != w || th != h) {
        auto r = resize(*rgb, tw, th);
        if (!r) return r;
        img = std::move(*r);
    } else {
        img = std::move(*rgb);
    }
    // Visible watermark: diagonal bands lightened 45 % plus a darker border
    // line on each band, so the preview is useless as the asset itself.
    const int period = std::max(24, std::max(tw, th) / 8);
    for (int y = 0; y < th; ++y) {
        auto* p = img.row(y);
        for (int x = 0; x < tw; ++x) {
            int phase = (x + y) % period;
            if (phase < period / 3) {
                for (int c = 0; c < 3; ++c)
                    p[3 * x + c] = static_cast<std::uint8_t>(p[3 * x + c] + (255 - p[3 * x + c]) * 45 / 100);
            } else if (phase < period / 3 + 2) {
                for (int c = 0; c < 3; ++c)
                    p[3 * x + c] = static_cast<std::uint8_t>(p[3 * x + c] * 55 / 100);
            }
        }
    }
    img.metadata().attributes.clear();
    img.metadata().attributes["Atelier:Preview"] = "watermarked preview; licence the asset for the full resolution";
    return img;
}

}  // namespace atelier::market_server
