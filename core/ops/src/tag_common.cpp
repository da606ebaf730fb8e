// SPDX-License-Identifier: MIT
// Shared tagger helpers: planes, area downscaling, CIELAB, CIEDE2000.

#include <algorithm>
#include <cmath>
#include <numbers>

#include "tag_common_p.h"

namespace atelier::ops::detail {

Plane plane_from_preview(const Image& preview) {
    Plane p(preview.width(), preview.height(), 4);
    for (int y = 0; y < preview.height(); ++y) {
        const float* r = preview.row_as<float>(y);
        float* o = p.at(0, y);
        for (int x = 0; x < preview.width(); ++x) {
            const float a = r[4 * x + 3];
            o[4 * x + 0] = r[4 * x + 0] * a;
            o[4 * x + 1] = r[4 * x + 1] * a;
            o[4 * x + 2] = r[4 * x + 2] * a;
            o[4 * x + 3] = a;
        }
    }
    return p;
}

Plane area_downscale(const Plane& src, int ow, int oh) {
    Plane out(ow, oh, src.c);
    auto splits = [](int n, int m) {
        struct S {
            int t0, t1;
            float w0, w1;
        };
        std::vector<S> s(static_cast<std::size_t>(n));
        const double scale = static_cast<double>(m) / n;
        for (int i = 0; i < n; ++i) {
            const double a = i * scale, b = (i + 1) * scale;
            const int t0 = std::min(m - 1, static_cast<int>(std::floor(a)));
            const double cut = t0 + 1.0;
            if (b <= cut + 1e-12 || t0 == m - 1)
                s[i] = {t0, t0, static_cast<float>(b - a), 0.0f};
            else
                s[i] = {t0, t0 + 1, static_cast<float>(cut - a), static_cast<float>(b - cut)};
        }
        return s;
    };
    const auto sx = splits(src.w, ow), sy = splits(src.h, oh);
    std::vector<float> hrow(static_cast<std::size_t>(ow) * src.c);
    const int c = src.c;
    for (int y = 0; y < src.h; ++y) {
        std::fill(hrow.begin(), hrow.end(), 0.0f);
        const float* r = src.at(0, y);
        for (int x = 0; x < src.w; ++x) {
            const auto& s = sx[x];
            for (int k = 0; k < c; ++k) {
                hrow[s.t0 * c + k] += s.w0 * r[x * c + k];
                hrow[s.t1 * c + k] += s.w1 * r[x * c + k];
            }
        }
        const auto& s = sy[y];
        float* o0 = out.at(0, s.t0);
        float* o1 = out.at(0, s.t1);
        for (int i = 0; i < ow * c; ++i) {
            o0[i] += s.w0 * hrow[i];
            o1[i] += s.w1 * hrow[i];
        }
    }
    return out;  // the split weights of each target pixel sum to 1
}

Plane luma(const Plane& src) {
    Plane out(src.w, src.h, 1);
    for (std::size_t i = 0, n = static_cast<std::size_t>(src.w) * src.h; i < n; ++i) {
        const float* p = &src.px[i * src.c];
        out.px[i] = src.c >= 3 ? 0.2126f * p[0] + 0.7152f * p[1] + 0.0722f * p[2] : p[0];
    }
    return out;
}

namespace {
double to_linear(double v) {
    return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}
double to_srgb(double v) {
    v = std::clamp(v, 0.0, 1.0);
    return v <= 0.0031308 ? v * 12.92 : 1.055 * std::pow(v, 1.0 / 2.4) - 0.055;
}
constexpr double kXn = 0.95047, kYn = 1.0, kZn = 1.08883;
double f_lab(double t) {
    constexpr double d = 6.0 / 29.0;
    return t > d * d * d ? std::cbrt(t) : t / (3 * d * d) + 4.0 / 29.0;
}
double f_inv(double t) {
    constexpr double d = 6.0 / 29.0;
    return t > d ? t * t * t : 3 * d * d * (t - 4.0 / 29.0);
}
}  // namespace

Lab srgb_to_lab(double r, double g, double b) noexcept {
    r = to_linear(r);
    g = to_linear(g);
    b = to_linear(b);
    const double x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
    const double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
    const double z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
    const double fx = f_lab(x / kXn), fy = f_lab(y / kYn), fz = f_lab(z / kZn);
    return {116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)};
}

std::array<double, 3> lab_to_srgb(const Lab& lab) noexcept {
    const double fy = (lab[0] + 16) / 116, fx = fy + lab[1] / 500, fz = fy - lab[2] / 200;
    const double x = kXn * f_inv(fx), y = kYn * f_inv(fy), z = kZn * f_inv(fz);
    const double r = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
    const double g = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z;
    const double b = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
    return {to_srgb(r), to_srgb(g), to_srgb(b)};
}

double ciede2000(const Lab& a, const Lab& b) noexcept {
    // Sharma, Wu, Dalal (2005), kL = kC = kH = 1.
    constexpr double pi = std::numbers::pi;
    auto deg = [](double r) { return r * 180.0 / pi; };
    auto rad = [](double d) { return d * pi / 180.0; };
    const double c1 = std::hypot(a[1], a[2]), c2 = std::hypot(b[1], b[2]);
    const double cm = (c1 + c2) / 2;
    const double cm7 = std::pow(cm, 7);
    const double g = 0.5 * (1 - std::sqrt(cm7 / (cm7 + std::pow(25.0, 7))));
    const double a1 = (1 + g) * a[1], a2 = (1 + g) * b[1];
    const double c1p = std::hypot(a1, a[2]), c2p = std::hypot(a2, b[2]);
    auto hue = [&](double bb, double aa) {
        if (bb == 0 && aa == 0) return 0.0;
        double h = deg(std::atan2(bb, aa));
        return h < 0 ? h + 360 : h;
    };
    const double h1 = hue(a[2], a1), h2 = hue(b[2], a2);
    const double dl = b[0] - a[0], dc = c2p - c1p;
    double dh = 0;
    if (c1p * c2p != 0) {
        dh = h2 - h1;
        if (dh > 180) dh -= 360;
        if (dh < -180) dh += 360;
    }
    const double dH = 2 * std::sqrt(c1p * c2p) * std::sin(rad(dh / 2));
    const double lm = (a[0] + b[0]) / 2, cpm = (c1p + c2p) / 2;
    double hm = h1 + h2;
    if (c1p * c2p != 0) {
        if (std::abs(h1 - h2) <= 180)
            hm = (h1 + h2) / 2;
        else
            hm = (h1 + h2 < 360) ? (h1 + h2 + 360) / 2 : (h1 + h2 - 360) / 2;
    }
    const double t = 1 - 0.17 * std::cos(rad(hm - 30)) + 0.24 * std::cos(rad(2 * hm)) +
                     0.32 * std::cos(rad(3 * hm + 6)) - 0.20 * std::cos(rad(4 * hm - 63));
    const double dtheta = 30 * std::exp(-std::pow((hm - 275) / 25, 2));
    const double cpm7 = std::pow(cpm, 7);
    const double rc = 2 * std::sqrt(cpm7 / (cpm7 + std::pow(25.0, 7)));
    const double sl = 1 + 0.015 * std::pow(lm - 50, 2) / std::sqrt(20 + std::pow(lm - 50, 2));
    const double sc = 1 + 0.045 * cpm, sh = 1 + 0.015 * cpm * t;
    const double rt = -std::sin(rad(2 * dtheta)) * rc;
    const double tl = dl / sl, tc = dc / sc, th = dH / sh;
    return std::sqrt(tl * tl + tc * tc + th * th + rt * tc * th);
}

}  // namespace atelier::ops::detail
