// SPDX-License-Identifier: MIT
#include "atelier/image/procedural.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

namespace atelier::procedural {

namespace {
using Rgb = std::array<float, 3>;

Rgb random_colour(std::mt19937& rng) {
    std::uniform_real_distribution<float> u(0.05f, 0.95f);
    return {u(rng), u(rng), u(rng)};
}

Rgb mix(const Rgb& a, const Rgb& b, float t) {
    return {a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t};
}
}  // namespace

Result<Image> seamless_waves(int width, int height, std::uint32_t seed, PixelType type) {
    auto img = Image::create(width, height, 3, type);
    if (!img) return img;
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> freq(1, 5);
    std::uniform_real_distribution<float> phase(0.0f, 2.0f * std::numbers::pi_v<float>);
    struct Wave {
        int fx, fy;
        float ph, amp;
    };
    std::array<Wave, 4> waves{};
    for (auto& w : waves)
        w = {freq(rng), freq(rng) - 3, phase(rng), std::uniform_real_distribution<float>(0.3f, 1.0f)(rng)};
    const Rgb a = random_colour(rng), b = random_colour(rng), c = random_colour(rng);
    const float two_pi = 2.0f * std::numbers::pi_v<float>;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const float u = static_cast<float>(x) / width;
            const float v = static_cast<float>(y) / height;
            float s = 0.0f, norm = 0.0f;
            for (const auto& w : waves) {
                s += w.amp * std::sin(two_pi * (w.fx * u + w.fy * v) + w.ph);
                norm += w.amp;
            }
            const float t = 0.5f + 0.5f * s / norm;  // 0..1
            const Rgb col = t < 0.5f ? mix(a, b, t * 2.0f) : mix(b, c, (t - 0.5f) * 2.0f);
            for (int ch = 0; ch < 3; ++ch)
                img->set_sample(x, y, ch, col[ch]);
        }
    img->metadata().dpi_x = img->metadata().dpi_y = 300.0;
    return img;
}

Result<Image> seamless_dots(int width, int height, std::uint32_t seed) {
    auto img = Image::create(width, height, 3, PixelType::u8);
    if (!img) return img;
    std::mt19937 rng(seed);
    const Rgb bg = random_colour(rng), fg = random_colour(rng);
    const int cols = 4, rows = 4;
    const float cw = static_cast<float>(width) / cols, chh = static_cast<float>(height) / rows;
    const float r = 0.28f * std::min(cw, chh);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            // Half-drop: odd columns shift by half a cell; distances wrap.
            float best = 1e9f;
            for (int j = 0; j < cols; ++j)
                for (int i = 0; i < rows; ++i) {
                    float cx = (j + 0.5f) * cw;
                    float cy = (i + 0.5f + (j % 2 ? 0.5f : 0.0f)) * chh;
                    float dx = std::abs(x + 0.5f - cx),
                          dy = std::abs(y + 0.5f - std::fmod(cy, static_cast<float>(height)));
                    dx = std::min(dx, width - dx);
                    dy = std::min(dy, height - dy);
                    best = std::min(best, std::sqrt(dx * dx + dy * dy));
                }
            const float t = std::clamp(r + 0.5f - best, 0.0f, 1.0f);  // anti-aliased edge
            const Rgb col = mix(bg, fg, t);
            for (int ch = 0; ch < 3; ++ch)
                img->set_sample(x, y, ch, col[ch]);
        }
    img->metadata().dpi_x = img->metadata().dpi_y = 300.0;
    return img;
}

Result<Image> gradient(int width, int height, std::uint32_t seed) {
    auto img = Image::create(width, height, 3, PixelType::u8);
    if (!img) return img;
    std::mt19937 rng(seed);
    const Rgb a = random_colour(rng), b = random_colour(rng);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const float t = (static_cast<float>(x) / width + static_cast<float>(y) / height) * 0.5f;
            const Rgb col = mix(a, b, t);
            for (int ch = 0; ch < 3; ++ch)
                img->set_sample(x, y, ch, col[ch]);
        }
    img->metadata().dpi_x = img->metadata().dpi_y = 72.0;
    return img;
}

Result<Image> noise_texture(int width, int height, std::uint32_t seed) {
    auto img = Image::create(width, height, 3, PixelType::u8);
    if (!img) return img;
    std::mt19937 rng(seed);
    const Rgb base = random_colour(rng);
    // Value noise at three octaves on lattices that do not divide the size.
    auto lattice = [&](int n) {
        std::vector<float> g(static_cast<std::size_t>(n + 2) * (n + 2));
        std::uniform_real_distribution<float> u(-1.0f, 1.0f);
        for (auto& v : g)
            v = u(rng);
        return g;
    };
    const int octaves[3] = {7, 23, 61};
    std::vector<std::vector<float>> grids;
    for (int n : octaves)
        grids.push_back(lattice(n));
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            float s = 0.0f, amp = 0.5f;
            for (int o = 0; o < 3; ++o) {
                const int n = octaves[o];
                const float fx = static_cast<float>(x) / width * n, fy = static_cast<float>(y) / height * n;
                const int ix = static_cast<int>(fx), iy = static_cast<int>(fy);
                const float tx = fx - ix, ty = fy - iy;
                const auto& g = grids[o];
                auto at = [&](int gx, int gy) { return g[static_cast<std::size_t>(gy) * (n + 2) + gx]; };
                const float v = (at(ix, iy) * (1 - tx) + at(ix + 1, iy) * tx) * (1 - ty) +
                                (at(ix, iy + 1) * (1 - tx) + at(ix + 1, iy + 1) * tx) * ty;
                s += amp * v;
                amp *= 0.5f;
            }
            for (int ch = 0; ch < 3; ++ch)
                img->set_sample(x, y, ch, std::clamp(base[ch] + 0.45f * s, 0.0f, 1.0f));
        }
    img->metadata().dpi_x = img->metadata().dpi_y = 72.0;
    return img;
}

}  // namespace atelier::procedural
