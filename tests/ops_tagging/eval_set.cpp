// SPDX-License-Identifier: MIT
#include "eval_set.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <random>

#include "atelier/image/procedural.h"

namespace atelier::evalset {

using ops::RepeatType;
using Rgb = std::array<float, 3>;
constexpr float kTwoPi = 2.0f * std::numbers::pi_v<float>;

namespace {

struct Canvas {
    int w, h;
    std::vector<Rgb> px;
    Canvas(int width, int height, Rgb fill) : w(width), h(height), px(static_cast<std::size_t>(width) * height, fill) {}
    Rgb& at(int x, int y) { return px[static_cast<std::size_t>(y) * w + x]; }
    void blend(int x, int y, const Rgb& c, float a) {
        if (x < 0 || y < 0 || x >= w || y >= h || a <= 0) return;
        auto& p = at(x, y);
        for (int k = 0; k < 3; ++k)
            p[k] += (c[k] - p[k]) * std::min(a, 1.0f);
    }
    Image image() const {
        auto img = Image::create(w, h, 3, PixelType::u8).value();
        for (int y = 0; y < h; ++y) {
            auto* r = img.row_as<std::uint8_t>(y);
            for (int x = 0; x < w; ++x)
                for (int k = 0; k < 3; ++k)
                    r[3 * x + k] = static_cast<std::uint8_t>(
                        std::lround(std::clamp(px[static_cast<std::size_t>(y) * w + x][k], 0.0f, 1.0f) * 255.0f));
        }
        return img;
    }
};

Rgb colour(std::mt19937& rng) {
    std::uniform_real_distribution<float> u(0.05f, 0.95f);
    return {u(rng), u(rng), u(rng)};
}
Rgb mix(const Rgb& a, const Rgb& b, float t) {
    return {a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t};
}
float urand(std::mt19937& rng, float a, float b) {
    return std::uniform_real_distribution<float>(a, b)(rng);
}
int irand(std::mt19937& rng, int a, int b) {
    return std::uniform_int_distribution<int>(a, b)(rng);
}

// Lattice translations of a tile in a layout (enough copies for shapes
// smaller than the tile).
std::vector<std::array<float, 2>> translates(RepeatType layout, int w, int h) {
    std::vector<std::array<float, 2>> t;
    for (int i = -2; i <= 2; ++i)
        for (int j = -2; j <= 2; ++j) {
            float dx = 0, dy = 0;
            switch (layout) {
                case RepeatType::half_drop:
                    dx = static_cast<float>(i * w);
                    dy = i * h * 0.5f + static_cast<float>(j * h);
                    break;
                case RepeatType::half_brick:
                    dx = j * w * 0.5f + static_cast<float>(i * w);
                    dy = static_cast<float>(j * h);
                    break;
                default:
                    dx = static_cast<float>(i * w);
                    dy = static_cast<float>(j * h);
            }
            t.push_back({dx, dy});
        }
    return t;
}

// A shape with signed distance (negative inside).
struct Shape {
    int kind;  // 0 disc, 1 rotated rectangle, 2 ring
    float cx, cy, r, r2, angle;
    Rgb col;
    float sdf(float x, float y) const {
        const float dx = x - cx, dy = y - cy;
        if (kind == 0) return std::hypot(dx, dy) - r;
        if (kind == 2) return std::abs(std::hypot(dx, dy) - r) - r2;
        const float c = std::cos(angle), s = std::sin(angle);
        const float u = std::abs(c * dx + s * dy) - r, v = std::abs(-s * dx + c * dy) - r2;
        return std::max(u, v);
    }
};

void draw_shape(Canvas& cv, const Shape& s, float ox, float oy, bool outline_only, float stroke) {
    Shape t = s;
    t.cx += ox;
    t.cy += oy;
    const float ext = std::max(s.r, s.r2) * 1.5f + s.r + stroke + 2;
    const int x0 = std::max(0, static_cast<int>(t.cx - ext)), x1 = std::min(cv.w - 1, static_cast<int>(t.cx + ext));
    const int y0 = std::max(0, static_cast<int>(t.cy - ext)), y1 = std::min(cv.h - 1, static_cast<int>(t.cy + ext));
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) {
            const float d = t.sdf(x + 0.5f, y + 0.5f);
            if (outline_only) {
                cv.blend(x, y, t.col, std::clamp(stroke * 0.5f + 0.5f - std::abs(d), 0.0f, 1.0f));
            } else {
                cv.blend(x, y, t.col, std::clamp(0.5f - d, 0.0f, 1.0f));
                if (stroke > 0)
                    cv.blend(x, y, Rgb{0.08f, 0.08f, 0.1f}, std::clamp(stroke * 0.5f + 0.5f - std::abs(d), 0.0f, 1.0f));
            }
        }
}

// Value-noise lattice that is periodic in a layout (n cells per tile side).
struct PeriodicLattice {
    int n;
    RepeatType layout;
    std::vector<float> g;
    PeriodicLattice(int cells, RepeatType l, std::mt19937& rng)
        : n(cells), layout(l), g(static_cast<std::size_t>(cells) * cells) {
        for (auto& v : g)
            v = urand(rng, -1, 1);
    }
    float at(int ix, int iy) const {
        auto fdiv = [](int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
        if (layout == RepeatType::half_drop) {
            const int k = fdiv(ix, n);
            ix -= k * n;
            iy -= k * (n / 2);
        } else if (layout == RepeatType::half_brick) {
            const int k = fdiv(iy, n);
            iy -= k * n;
            ix -= k * (n / 2);
        }
        ix = ((ix % n) + n) % n;
        iy = ((iy % n) + n) % n;
        return g[static_cast<std::size_t>(iy) * n + ix];
    }
    float sample(float u, float v) const {  // u, v in cells
        const int ix = static_cast<int>(std::floor(u)), iy = static_cast<int>(std::floor(v));
        float tx = u - ix, ty = v - iy;
        tx = tx * tx * (3 - 2 * tx);
        ty = ty * ty * (3 - 2 * ty);
        return (at(ix, iy) * (1 - tx) + at(ix + 1, iy) * tx) * (1 - ty) +
               (at(ix, iy + 1) * (1 - tx) + at(ix + 1, iy + 1) * tx) * ty;
    }
};

}  // namespace

Image periodic_waves(int w, int h, RepeatType layout, unsigned seed) {
    std::mt19937 rng(seed);
    struct Wave {
        float a, b, ph, amp;
    };
    std::vector<Wave> waves;
    bool odd = false;
    for (int i = 0; i < 4; ++i) {
        const int k = irand(rng, 1, 4), m = irand(rng, -4, 4);
        Wave wv{static_cast<float>(k), static_cast<float>(m), urand(rng, 0, kTwoPi), urand(rng, 0.3f, 1.0f)};
        if (layout == RepeatType::half_drop) {
            const int b = (i == 0) ? 2 * irand(rng, -2, 1) + 1 : m;  // odd for the first wave
            wv = {k - b * 0.5f, static_cast<float>(b), wv.ph, wv.amp};
            odd = odd || (b % 2 != 0);
        } else if (layout == RepeatType::half_brick) {
            const int a = (i == 0) ? 2 * irand(rng, 0, 1) + 1 : k;
            wv = {static_cast<float>(a), m - a * 0.5f, wv.ph, wv.amp};
            odd = odd || (a % 2 != 0);
        }
        waves.push_back(wv);
    }
    (void)odd;
    const Rgb c0 = colour(rng), c1 = colour(rng), c2 = colour(rng);
    Canvas cv(w, h, c0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float u = (x + 0.5f) / w, v = (y + 0.5f) / h;
            float s = 0, norm = 0;
            for (const auto& wv : waves) {
                s += wv.amp * std::sin(kTwoPi * (wv.a * u + wv.b * v) + wv.ph);
                norm += wv.amp;
            }
            const float t = 0.5f + 0.5f * s / norm;
            cv.at(x, y) = t < 0.5f ? mix(c0, c1, t * 2) : mix(c1, c2, (t - 0.5f) * 2);
        }
    return cv.image();
}

Image periodic_noise(int w, int h, RepeatType layout, unsigned seed) {
    std::mt19937 rng(seed);
    const int base = 2 * irand(rng, 3, 6);
    std::vector<PeriodicLattice> octaves;
    for (int o = 0; o < 5; ++o)
        octaves.emplace_back(base << o, layout, rng);
    const Rgb c0 = colour(rng), c1 = colour(rng);
    Canvas cv(w, h, c0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            float s = 0, amp = 0.5f;
            for (const auto& l : octaves) {
                s += amp * l.sample((x + 0.5f) / w * l.n, (y + 0.5f) / h * l.n);
                amp *= 0.72f;
            }
            cv.at(x, y) = mix(c0, c1, std::clamp(0.5f + s, 0.0f, 1.0f));
        }
    return cv.image();
}

Image periodic_shapes(int w, int h, RepeatType layout, unsigned seed, bool outline_only) {
    std::mt19937 rng(seed);
    const Rgb bg = outline_only ? Rgb{0.97f, 0.97f, 0.96f} : colour(rng);
    std::vector<Rgb> pal;
    for (int i = 0; i < 3; ++i)
        pal.push_back(outline_only ? Rgb{0.05f, 0.05f, 0.08f} : colour(rng));
    Canvas cv(w, h, bg);
    const int n = irand(rng, 5, 10);
    const auto tr = translates(layout, w, h);
    const float m = static_cast<float>(std::min(w, h));
    for (int i = 0; i < n; ++i) {
        Shape s{irand(rng, 0, 2),
                urand(rng, 0, static_cast<float>(w)),
                urand(rng, 0, static_cast<float>(h)),
                urand(rng, 0.05f, 0.16f) * m,
                urand(rng, 0.02f, 0.1f) * m,
                urand(rng, 0, 3.1f),
                pal[i % pal.size()]};
        if (s.kind == 2) s.r2 = std::min(s.r2, s.r * 0.3f);
        for (const auto& t : tr)
            draw_shape(cv, s, t[0], t[1], outline_only, outline_only ? urand(rng, 1.5f, 3.0f) : 0.0f);
    }
    return cv.image();
}

Image mirror_tile(int w, int h, unsigned seed) {
    std::mt19937 rng(seed);
    const int qw = w / 2, qh = h / 2;
    Image q = (seed % 2) ? illustration(qw, qh, seed) : photo_like(qw, qh, seed);
    auto img = Image::create(2 * qw, 2 * qh, 3, PixelType::u8).value();
    for (int y = 0; y < 2 * qh; ++y)
        for (int x = 0; x < 2 * qw; ++x) {
            const int sx = x < qw ? x : 2 * qw - 1 - x, sy = y < qh ? y : 2 * qh - 1 - y;
            for (int c = 0; c < 3; ++c)
                img.row_as<std::uint8_t>(y)[3 * x + c] = q.row_as<std::uint8_t>(sy)[3 * sx + c];
        }
    return img;
}

Image photo_like(int w, int h, unsigned seed) {
    std::mt19937 rng(seed);
    const Rgb sky0 = {urand(rng, 0.4f, 0.7f), urand(rng, 0.6f, 0.8f), urand(rng, 0.8f, 1.0f)};
    const Rgb sky1 = mix(sky0, Rgb{1, 1, 1}, 0.5f);
    const Rgb ground = {urand(rng, 0.2f, 0.5f), urand(rng, 0.25f, 0.5f), urand(rng, 0.1f, 0.3f)};
    const float horizon = urand(rng, 0.3f, 0.6f) * h, tilt = urand(rng, -0.2f, 0.2f);
    std::vector<PeriodicLattice> oct;  // lattice larger than the image: not periodic over it
    for (int o = 0; o < 4; ++o)
        oct.emplace_back(64, RepeatType::full_drop, rng);
    const float cells[4] = {5.3f, 13.7f, 37.1f, 89.3f};
    Canvas cv(w, h, sky0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            float s = 0, amp = 0.5f;
            for (int o = 0; o < 4; ++o) {
                s += amp * oct[o].sample(x * cells[o] / w + 3.1f, y * cells[o] / h + 7.7f);
                amp *= 0.55f;
            }
            const float hy = horizon + tilt * (x - w * 0.5f) + 10 * s;
            Rgb c;
            if (y < hy) {
                c = mix(sky1, sky0, 1 - y / std::max(hy, 1.0f));
            } else {
                const float depth = (y - hy) / std::max(1.0f, h - hy);
                c = mix(ground, Rgb{ground[0] * 0.5f, ground[1] * 0.6f, ground[2] * 0.5f}, 0.5f + s);
                c = mix(c, sky1, 0.3f * (1 - depth));
            }
            cv.at(x, y) = c;
        }
    // Soft objects with shading.
    const int n = irand(rng, 2, 5);
    for (int i = 0; i < n; ++i) {
        const float cx = urand(rng, 0, static_cast<float>(w)), cy = urand(rng, horizon, static_cast<float>(h));
        const float r = urand(rng, 0.08f, 0.25f) * std::min(w, h);
        const Rgb col = colour(rng);
        for (int y = std::max(0, int(cy - r - 3)); y < std::min(h, int(cy + r + 3)); ++y)
            for (int x = std::max(0, int(cx - r - 3)); x < std::min(w, int(cx + r + 3)); ++x) {
                const float d = std::hypot(x - cx, y - cy) / r;
                if (d > 1.05f) continue;
                const float shade =
                    0.6f +
                    0.4f * std::clamp(1 - std::hypot(x - cx + r * 0.4f, y - cy + r * 0.4f) / (1.6f * r), 0.0f, 1.0f);
                cv.blend(x, y, Rgb{col[0] * shade, col[1] * shade, col[2] * shade},
                         std::clamp((1.05f - d) * 8, 0.0f, 1.0f));
            }
    }
    // Vignette.
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float dx = (x - w * 0.5f) / w, dy = (y - h * 0.5f) / h;
            const float v = 1 - 0.5f * (dx * dx + dy * dy);
            for (auto& c : cv.at(x, y))
                c *= v;
        }
    Image img = cv.image();
    add_noise(img, urand(rng, 0.008f, 0.02f), seed + 17);
    return img;
}

Image illustration(int w, int h, unsigned seed) {
    std::mt19937 rng(seed);
    const Rgb sky = colour(rng), ground = colour(rng);
    Canvas cv(w, h, sky);
    const float y0 = urand(rng, 0.45f, 0.7f) * h, slope = urand(rng, 0.15f, 0.4f) * (rng() % 2 ? 1 : -1);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float d = y - (y0 + slope * (x - w * 0.5f));
            cv.blend(x, y, ground, std::clamp(d + 0.5f, 0.0f, 1.0f));
        }
    const int n = irand(rng, 3, 7);
    const float m = static_cast<float>(std::min(w, h));
    const bool outlines = rng() % 2;
    for (int i = 0; i < n; ++i) {
        Shape s{irand(rng, 0, 1),
                urand(rng, 0, static_cast<float>(w)),
                urand(rng, 0, static_cast<float>(h)),
                urand(rng, 0.06f, 0.2f) * m,
                urand(rng, 0.04f, 0.15f) * m,
                urand(rng, 0, 3.1f),
                colour(rng)};
        draw_shape(cv, s, 0, 0, false, outlines ? 2.0f : 0.0f);
    }
    return cv.image();
}

Image line_art(int w, int h, unsigned seed) {
    std::mt19937 rng(seed);
    Canvas cv(w, h, Rgb{0.98f, 0.98f, 0.97f});
    const Rgb ink{0.05f, 0.05f, 0.07f};
    const int n = irand(rng, 6, 12);
    const float m = static_cast<float>(std::min(w, h));
    for (int i = 0; i < n; ++i) {
        const float stroke = urand(rng, 1.2f, 2.8f);
        if (rng() % 2) {  // a long line across
            const float x0 = urand(rng, -0.2f, 1.2f) * w, y0 = urand(rng, -0.2f, 1.2f) * h;
            const float x1 = urand(rng, -0.2f, 1.2f) * w, y1 = urand(rng, -0.2f, 1.2f) * h;
            const float len = std::hypot(x1 - x0, y1 - y0);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    const float t = std::clamp(((x - x0) * (x1 - x0) + (y - y0) * (y1 - y0)) / (len * len), 0.0f, 1.0f);
                    const float d = std::hypot(x - (x0 + t * (x1 - x0)), y - (y0 + t * (y1 - y0)));
                    cv.blend(x, y, ink, std::clamp(stroke * 0.5f + 0.5f - d, 0.0f, 1.0f));
                }
        } else {
            Shape s{rng() % 2 ? 0 : 1,
                    urand(rng, 0, static_cast<float>(w)),
                    urand(rng, 0, static_cast<float>(h)),
                    urand(rng, 0.08f, 0.3f) * m,
                    urand(rng, 0.05f, 0.2f) * m,
                    urand(rng, 0, 3.1f),
                    ink};
            draw_shape(cv, s, 0, 0, true, stroke);
        }
    }
    return cv.image();
}

Image linear_gradient(int w, int h, unsigned seed, bool radial) {
    std::mt19937 rng(seed);
    const Rgb a = colour(rng), b = colour(rng), c = colour(rng);
    const float ang = urand(rng, 0, kTwoPi), cx = urand(rng, 0.2f, 0.8f) * w, cy = urand(rng, 0.2f, 0.8f) * h;
    const bool three = rng() % 2;
    Canvas cv(w, h, a);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            float t;
            if (radial)
                t = std::hypot(x - cx, y - cy) / std::hypot(static_cast<float>(w), static_cast<float>(h)) * 1.4f;
            else
                t = ((x - w * 0.5f) * std::cos(ang) + (y - h * 0.5f) * std::sin(ang)) /
                        std::hypot(static_cast<float>(w), static_cast<float>(h)) +
                    0.5f;
            t = std::clamp(t, 0.0f, 1.0f);
            cv.at(x, y) = three ? (t < 0.5f ? mix(a, b, 2 * t) : mix(b, c, 2 * t - 1)) : mix(a, b, t);
        }
    return cv.image();
}

Image crop_tiled(const Image& tile, RepeatType layout, int cw, int ch, int ox, int oy) {
    const int w = tile.width(), h = tile.height(), nc = tile.channels();
    auto img = Image::create(cw, ch, nc, PixelType::u8).value();
    auto fdiv = [](int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
    for (int y = 0; y < ch; ++y)
        for (int x = 0; x < cw; ++x) {
            int X = x + ox, Y = y + oy;
            if (layout == RepeatType::half_drop) {
                const int k = fdiv(X, w);
                X -= k * w;
                Y -= k * (h / 2);
            } else if (layout == RepeatType::half_brick) {
                const int k = fdiv(Y, h);
                Y -= k * h;
                X -= k * (w / 2);
            }
            X = ((X % w) + w) % w;
            Y = ((Y % h) + h) % h;
            for (int c = 0; c < nc; ++c)
                img.row_as<std::uint8_t>(y)[nc * x + c] = tile.row_as<std::uint8_t>(Y)[nc * X + c];
        }
    return img;
}

void add_noise(Image& img, float sigma, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.0f, sigma * 255.0f);
    for (int y = 0; y < img.height(); ++y) {
        auto* r = img.row_as<std::uint8_t>(y);
        for (int i = 0; i < img.width() * img.channels(); ++i)
            r[i] = static_cast<std::uint8_t>(std::clamp(std::lround(r[i] + n(rng)), 0L, 255L));
    }
}

Image known_palette(int w, int h, const std::vector<std::array<double, 3>>& colours, const std::vector<double>& shares,
                    unsigned seed) {
    std::mt19937 rng(seed);
    // Vertical bands with wavy, anti-aliased boundaries; band widths follow the shares.
    std::vector<float> edges{0.0f};
    double total = 0;
    for (double s : shares)
        total += s;
    double acc = 0;
    for (double s : shares) {
        acc += s / total;
        edges.push_back(static_cast<float>(acc));
    }
    const float amp = urand(rng, 2.0f, 6.0f), freq = urand(rng, 1.0f, 3.0f);
    Canvas cv(w, h, Rgb{0, 0, 0});
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float xs = x + 0.5f + amp * std::sin(kTwoPi * freq * y / h);
            Rgb c{0, 0, 0};
            for (std::size_t i = 0; i < colours.size(); ++i) {
                // Overlap of the pixel [xs-0.5, xs+0.5] with band i (outer bands unbounded).
                const float lo = (i == 0) ? -1e9f : edges[i] * w;
                const float hi = (i + 1 == colours.size()) ? 1e9f : edges[i + 1] * w;
                const float cov = std::clamp(std::min(xs + 0.5f, hi) - std::max(xs - 0.5f, lo), 0.0f, 1.0f);
                for (int k = 0; k < 3; ++k)
                    c[k] += static_cast<float>(colours[i][k]) * cov;
            }
            cv.at(x, y) = c;
        }
    return cv.image();
}

std::vector<Sample> make_eval_set(int per_kind, unsigned seed) {
    std::vector<Sample> out;
    std::mt19937 rng(seed);
    auto size = [&] { return 2 * irand(rng, 80, 160); };
    const RepeatType layouts[3] = {RepeatType::full_drop, RepeatType::half_drop, RepeatType::half_brick};
    for (int i = 0; i < per_kind; ++i) {
        const unsigned s = seed * 1000 + static_cast<unsigned>(i) * 7 + 1;
        const RepeatType lay = layouts[i % 3];
        const std::string tag = std::string(ops::repeat_type_name(lay)) + "#" + std::to_string(s);
        int w = size(), h = size();
        // Seamless tiles.
        out.push_back({"waves/" + tag, periodic_waves(w, h, lay, s), true, lay, ops::Style::gradient});
        out.push_back({"noise/" + tag, periodic_noise(size(), size(), lay, s), true, lay, ops::Style::textured});
        out.push_back({"shapes/" + tag, periodic_shapes(size(), size(), lay, s), true, lay, ops::Style::flat});
        out.push_back({"lines/" + tag, periodic_shapes(size(), size(), lay, s, true), true, lay, ops::Style::line_art});
        {
            Image t = periodic_noise(size(), size(), lay, s + 3);
            add_noise(t, 0.01f, s);
            out.push_back({"noisy-noise/" + tag, std::move(t), true, lay, ops::Style::textured});
        }
        out.push_back({"mirror#" + std::to_string(s), mirror_tile(size(), size(), s), true, RepeatType::mirror,
                       (s % 2) ? ops::Style::flat : ops::Style::photographic});
        out.push_back({"dots#" + std::to_string(s), procedural::seamless_dots(size(), size(), s).value(), true,
                       RepeatType::full_drop, ops::Style::flat});
        // The same kinds of tiles cropped off-grid (not seamless).
        {
            Image t = (i % 2) ? periodic_shapes(w, h, lay, s + 5) : periodic_noise(w, h, lay, s + 5);
            const int cw = static_cast<int>(w * urand(rng, 0.55f, 0.85f)),
                      ch = static_cast<int>(h * urand(rng, 0.55f, 0.85f));
            out.push_back({"crop/" + tag, crop_tiled(t, lay, cw, ch, irand(rng, 0, w), irand(rng, 0, h)), false,
                           RepeatType::none, (i % 2) ? ops::Style::flat : ops::Style::textured});
            Image t2 = periodic_waves(w, h, lay, s + 9);
            const int cw2 = static_cast<int>(w * urand(rng, 0.55f, 0.85f)),
                      ch2 = static_cast<int>(h * urand(rng, 0.55f, 0.85f));
            out.push_back({"crop-waves/" + tag, crop_tiled(t2, lay, cw2, ch2, irand(rng, 0, w), irand(rng, 0, h)),
                           false, RepeatType::none, ops::Style::gradient});
        }
        // Ordinary images.
        out.push_back({"photo#" + std::to_string(s), photo_like(size(), size(), s), false, RepeatType::none,
                       ops::Style::photographic});
        out.push_back({"illustration#" + std::to_string(s), illustration(size(), size(), s), false, RepeatType::none,
                       ops::Style::flat});
        out.push_back({"lineart#" + std::to_string(s), line_art(size(), size(), s), false, RepeatType::none,
                       ops::Style::line_art});
        out.push_back({"gradient#" + std::to_string(s), linear_gradient(size(), size(), s, i % 2), false,
                       RepeatType::none, ops::Style::gradient});
        out.push_back({"texture#" + std::to_string(s), procedural::noise_texture(size(), size(), s).value(), false,
                       RepeatType::none, ops::Style::textured});
    }
    return out;
}

}  // namespace atelier::evalset

namespace atelier::evalset {
const std::vector<Sample>& shared_eval_set() {
    static const std::vector<Sample> set = make_eval_set(20, 2);
    return set;
}
}  // namespace atelier::evalset
