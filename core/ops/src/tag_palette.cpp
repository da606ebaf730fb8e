// SPDX-License-Identifier: MIT
// Palette extraction: k-means in CIELAB, merge, trimmed refinement, names,
// background and harmony.

#include "atelier/ops/tag_palette.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include "tag_common_p.h"

namespace atelier::ops {

using detail::ciede2000;
using detail::Lab;

namespace {

struct NamedColour {
    const char* name;
    std::uint32_t rgb;
};
#define ATELIER_COLOUR(name, rgb) {#name, rgb},
constexpr NamedColour kNamed[] = {
#include "../../../resources/colors/css-named-colors.inc"
};
#undef ATELIER_COLOUR

struct NamedLab {
    const char* name;
    Lab lab;
};
const std::vector<NamedLab>& named_lab() {
    static const std::vector<NamedLab> table = [] {
        std::vector<NamedLab> t;
        for (const auto& c : kNamed)
            t.push_back({c.name, detail::srgb_to_lab(((c.rgb >> 16) & 255) / 255.0, ((c.rgb >> 8) & 255) / 255.0,
                                                     (c.rgb & 255) / 255.0)});
        return t;
    }();
    return table;
}

std::string name_for(const Lab& lab) {
    const NamedLab* best = nullptr;
    double bd = std::numeric_limits<double>::max();
    for (const auto& n : named_lab()) {
        const double d = ciede2000(lab, n.lab);
        if (d < bd) {
            bd = d;
            best = &n;
        }
    }
    return best ? best->name : "";
}

std::string hex_of(const std::array<double, 3>& rgb) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(std::lround(rgb[0] * 255)),
                  static_cast<int>(std::lround(rgb[1] * 255)), static_cast<int>(std::lround(rgb[2] * 255)));
    return buf;
}

double d76_squared(const Lab& a, const Lab& b) {
    return (a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]);
}

// sRGB → Lab through tables (the preview is float): a 4096-step transfer
// table and the CIELAB f(t) (cube root) interpolated on 4096 steps over
// 0..1 (error < 1e-5 in f, i.e. < 0.002 in L*: far below what a palette
// reports). cbrt was the palette's largest single cost.
struct LabConverter {
    static constexpr int kSteps = 4096;
    std::array<float, kSteps + 1> lin{};
    std::array<float, kSteps + 2> fcube{};
    LabConverter() {
        for (int i = 0; i <= kSteps; ++i) {
            const double v = static_cast<double>(i) / kSteps;
            lin[i] = static_cast<float>(v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4));
        }
        for (int i = 0; i <= kSteps + 1; ++i)
            fcube[i] = static_cast<float>(f_exact(static_cast<double>(i) / kSteps));
    }
    static double f_exact(double t) { return t > 0.008856451679 ? std::cbrt(t) : t / 0.1284185493 + 4.0 / 29.0; }
    double f(double t) const {
        if (!(t >= 0.0) || t >= 1.0) return f_exact(t);
        const double x = t * kSteps;
        const int i = static_cast<int>(x);
        const double w = x - i;
        return fcube[i] + (fcube[i + 1] - fcube[i]) * w;
    }
    Lab operator()(float r, float g, float b) const {
        auto L = [&](float v) {
            return static_cast<double>(lin[static_cast<int>(std::clamp(v, 0.0f, 1.0f) * 4096.0f + 0.5f)]);
        };
        const double lr = L(r), lg = L(g), lb = L(b);
        const double x = (0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) / 0.95047;
        const double y = 0.2126729 * lr + 0.7151522 * lg + 0.0721750 * lb;
        const double z = (0.0193339 * lr + 0.1191920 * lg + 0.9503041 * lb) / 1.08883;
        const double fx = f(x), fy = f(y), fz = f(z);
        return {116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)};
    }
};
const LabConverter& lab_converter() {
    static const LabConverter c;
    return c;
}

struct Cluster {
    Lab lab;
    double weight;
};

Harmony classify_harmony(const std::vector<PaletteColour>& cs, double& confidence) {
    // Hues of the clearly chromatic colours holding at least 5% of the image.
    std::vector<std::pair<double, double>> hues;  // degrees, share
    for (const auto& c : cs) {
        const double chroma = std::hypot(c.lab[1], c.lab[2]);
        if (chroma < 15 || c.share < 0.05) continue;
        // Hue on the HSV colour wheel (the wheel designers use for harmonies).
        const double r = c.rgb[0], g = c.rgb[1], b = c.rgb[2];
        const double mx = std::max({r, g, b}), mn = std::min({r, g, b}), d = mx - mn;
        if (d <= 1e-6) continue;
        double h = mx == r ? std::fmod((g - b) / d, 6.0) : mx == g ? (b - r) / d + 2 : (r - g) / d + 4;
        h *= 60;
        hues.emplace_back(h < 0 ? h + 360 : h, c.share);
    }
    confidence = 0.8;
    if (hues.size() <= 1) return Harmony::monochrome;
    std::sort(hues.begin(), hues.end());
    // Group hues closer than 30° (circularly).
    std::vector<std::pair<double, double>> groups;  // mean hue, weight
    for (const auto& [h, w] : hues) {
        if (!groups.empty() && h - groups.back().first < 30) {
            auto& g = groups.back();
            g.first = (g.first * g.second + h * w) / (g.second + w);
            g.second += w;
        } else {
            groups.emplace_back(h, w);
        }
    }
    if (groups.size() > 1 && groups.front().first + 360 - groups.back().first < 30) {
        auto b = groups.back();
        groups.pop_back();
        auto& f = groups.front();
        const double bh = b.first - 360;
        f.first = (f.first * f.second + bh * b.second) / (f.second + b.second);
        if (f.first < 0) f.first += 360;
        f.second += b.second;
    }
    auto dist = [](double a, double b) {
        const double d = std::fmod(std::abs(a - b), 360.0);
        return d > 180 ? 360 - d : d;
    };
    // Largest gap between neighbouring hues: span = 360 - gap.
    double max_gap = 0;
    for (std::size_t i = 0; i < hues.size(); ++i) {
        const double next = (i + 1 < hues.size()) ? hues[i + 1].first : hues[0].first + 360;
        max_gap = std::max(max_gap, next - hues[i].first);
    }
    const double span = 360 - max_gap;
    if (span <= 25) {
        confidence = 1 - span / 50;
        return Harmony::monochrome;
    }
    if (span <= 75) {
        confidence = 1 - (span - 25) / 100;
        return Harmony::analogous;
    }
    if (groups.size() == 2) {
        const double dev = std::abs(dist(groups[0].first, groups[1].first) - 180);
        if (dev <= 40) {
            confidence = 1 - dev / 80;
            return Harmony::complementary;
        }
    }
    if (groups.size() == 3) {
        const double dev = std::max({std::abs(dist(groups[0].first, groups[1].first) - 120),
                                     std::abs(dist(groups[1].first, groups[2].first) - 120),
                                     std::abs(dist(groups[2].first, groups[0].first) - 120)});
        if (dev <= 30) {
            confidence = 1 - dev / 60;
            return Harmony::triadic;
        }
    }
    confidence = 0.6;
    return Harmony::varied;
}

}  // namespace

std::string_view harmony_name(Harmony h) noexcept {
    switch (h) {
        case Harmony::monochrome:
            return "monochrome";
        case Harmony::analogous:
            return "analogous";
        case Harmony::complementary:
            return "complementary";
        case Harmony::triadic:
            return "triadic";
        case Harmony::varied:
            return "varied";
    }
    return "varied";
}

std::string nearest_colour_name(double r, double g, double b) {
    return name_for(detail::srgb_to_lab(r, g, b));
}

double delta_e2000_srgb(const double a[3], const double b[3]) {
    return ciede2000(detail::srgb_to_lab(a[0], a[1], a[2]), detail::srgb_to_lab(b[0], b[1], b[2]));
}

double delta_e2000_lab(const double a[3], const double b[3]) {
    return ciede2000(Lab{a[0], a[1], a[2]}, Lab{b[0], b[1], b[2]});
}

Result<Palette> extract_palette(const Image& preview, int max_colours) {
    if (preview.type() != PixelType::f32 || preview.channels() != 4)
        return fail(Errc::invalid_argument, "palette extraction needs the f32 RGBA preview from make_preview");
    max_colours = std::clamp(max_colours, 1, 16);
    const int w = preview.width(), h = preview.height();
    const auto& conv = lab_converter();
    // Visible pixels, subsampled to at most ~16k on a regular grid. (8k
    // halves the palette's cost but makes the dominant colour of smooth
    // gradients flip between neighbouring names with the bit depth.)
    const std::size_t total = static_cast<std::size_t>(w) * h;
    const int step = std::max(1, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(total) / 16384.0))));
    std::vector<Lab> px;
    px.reserve(total / (step * step) + 1);
    for (int y = 0; y < h; y += step) {
        const float* r = preview.row_as<float>(y);
        for (int x = 0; x < w; x += step)
            if (r[4 * x + 3] >= 0.5f) px.push_back(conv(r[4 * x], r[4 * x + 1], r[4 * x + 2]));
    }
    if (px.empty())
        return fail(Errc::invalid_argument, "the image has no visible pixels (fully transparent); no palette");
    const std::size_t n = px.size();
    // k-means++ seeding (deterministic).
    std::mt19937 rng(12345);
    // A few more clusters than reported, so that blends and near-duplicates
    // do not crowd out a real colour; merging and slivers trim them.
    const int k = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(max_colours) + 3, n));
    std::vector<Lab> centres;
    centres.push_back(px[std::uniform_int_distribution<std::size_t>(0, n - 1)(rng)]);
    std::vector<double> d2(n, std::numeric_limits<double>::max());
    while (static_cast<int>(centres.size()) < k) {
        double sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
            d2[i] = std::min(d2[i], d76_squared(px[i], centres.back()));
            sum += d2[i];
        }
        if (sum <= 1e-9) break;  // fewer distinct colours than k
        double pick = std::uniform_real_distribution<double>(0, sum)(rng);
        std::size_t j = 0;
        for (; j + 1 < n; ++j) {
            pick -= d2[j];
            if (pick <= 0) break;
        }
        centres.push_back(px[j]);
    }
    // Lloyd iterations; the assignment step in float over separate L, a, b
    // arrays (vectorises), the centre sums in double.
    // Padded to whole blocks of 8 (padding repeats the last pixel and is
    // ignored) so that the fixed-length inner loop vectorises.
    const std::size_t n8 = (n + 7) / 8 * 8;
    std::vector<float> pl(n8), pa(n8), pb(n8);
    for (std::size_t i = 0; i < n8; ++i) {
        const Lab& p = px[std::min(i, n - 1)];
        pl[i] = static_cast<float>(p[0]);
        pa[i] = static_cast<float>(p[1]);
        pb[i] = static_cast<float>(p[2]);
    }
    std::vector<int> assign(n8, 0);
    std::vector<float> best_d(n8);
    // k-means++ seeds are close: 10 Lloyd iterations (was 15) change no
    // colour of the known-palette set by more than 0.01 CIEDE2000.
    for (int it = 0; it < 10; ++it) {
        std::fill(best_d.begin(), best_d.end(), std::numeric_limits<float>::max());
        std::vector<int> next(n8, 0);
        for (std::size_t c = 0; c < centres.size(); ++c) {
            const float cl0 = static_cast<float>(centres[c][0]), ca = static_cast<float>(centres[c][1]),
                        cb = static_cast<float>(centres[c][2]);
            const int ci = static_cast<int>(c);
            for (std::size_t blk = 0; blk < n8; blk += 8) {
                const float* __restrict l8 = &pl[blk];
                const float* __restrict a8 = &pa[blk];
                const float* __restrict b8 = &pb[blk];
                float* __restrict d8 = &best_d[blk];
                int* __restrict x8 = &next[blk];
                for (int j = 0; j < 8; ++j) {
                    const float dl = l8[j] - cl0, da = a8[j] - ca, db = b8[j] - cb;
                    const float d = dl * dl + da * da + db * db;
                    const float bd = d8[j];
                    const int nx = x8[j];
                    d8[j] = std::min(d, bd);
                    x8[j] = d < bd ? ci : nx;
                }
            }
        }
        const bool changed = next != assign;
        assign.swap(next);
        std::vector<Lab> sum(centres.size(), Lab{0, 0, 0});
        std::vector<double> cnt(centres.size(), 0);
        for (std::size_t i = 0; i < n; ++i) {
            const int a = assign[i];
            for (int q = 0; q < 3; ++q)
                sum[a][q] += px[i][q];
            cnt[a] += 1;
        }
        for (std::size_t c = 0; c < centres.size(); ++c)
            if (cnt[c] > 0)
                for (int q = 0; q < 3; ++q)
                    centres[c][q] = sum[c][q] / cnt[c];
        if (!changed && it > 0) break;
    }
    std::vector<Cluster> cl;
    {
        std::vector<double> cnt(centres.size(), 0);
        for (std::size_t i = 0; i < n; ++i)  // not the padding
            cnt[assign[i]] += 1;
        for (std::size_t c = 0; c < centres.size(); ++c)
            if (cnt[c] > 0) cl.push_back({centres[c], cnt[c] / n});
    }
    // Merge clusters that are not noticeably different (CIEDE2000 < 5).
    for (;;) {
        double bd = 5.0;
        std::size_t bi = 0, bj = 0;
        for (std::size_t i = 0; i < cl.size(); ++i)
            for (std::size_t j = i + 1; j < cl.size(); ++j) {
                const double d = ciede2000(cl[i].lab, cl[j].lab);
                if (d < bd) {
                    bd = d;
                    bi = i;
                    bj = j;
                }
            }
        if (bi == bj) break;
        auto& a = cl[bi];
        const auto& b = cl[bj];
        for (int q = 0; q < 3; ++q)
            a.lab[q] = (a.lab[q] * a.weight + b.lab[q] * b.weight) / (a.weight + b.weight);
        a.weight += b.weight;
        cl.erase(cl.begin() + static_cast<std::ptrdiff_t>(bj));
    }
    // Trimmed refinement: each centre becomes the mean of the pixels within a
    // small radius of it, so anti-aliased edge pixels do not pull it.
    for (auto& c : cl) {
        Lab s{0, 0, 0};
        double m = 0;
        for (const auto& p : px)
            if (d76_squared(p, c.lab) < 64) {
                for (int q = 0; q < 3; ++q)
                    s[q] += p[q];
                m += 1;
            }
        if (m > 0)
            for (int q = 0; q < 3; ++q)
                c.lab[q] = s[q] / m;
    }
    // Drop slivers (anti-aliasing blends) under 1% unless that empties the palette.
    std::sort(cl.begin(), cl.end(), [](const Cluster& a, const Cluster& b) { return a.weight > b.weight; });
    while (cl.size() > 1 && cl.back().weight < 0.01)
        cl.pop_back();
    if (static_cast<int>(cl.size()) > max_colours) cl.resize(static_cast<std::size_t>(max_colours));
    double kept = 0;
    for (const auto& c : cl)
        kept += c.weight;

    Palette pal;
    for (const auto& c : cl) {
        PaletteColour pc;
        const auto rgb = detail::lab_to_srgb(c.lab);
        for (int q = 0; q < 3; ++q) {
            pc.lab[q] = c.lab[q];
            pc.rgb[q] = rgb[q];
        }
        pc.share = c.weight / kept;
        pc.hex = hex_of(rgb);
        pc.name = name_for(c.lab);
        pal.colours.push_back(std::move(pc));
    }
    // Background: transparent border, or one palette colour holding most of it.
    {
        const int ring = std::max(1, std::min(w, h) / 32);
        std::size_t border = 0, transparent = 0;
        std::vector<std::size_t> votes(pal.colours.size(), 0);
        for (int y = 0; y < h; ++y) {
            const float* r = preview.row_as<float>(y);
            for (int x = 0; x < w; ++x) {
                if (!(x < ring || y < ring || x >= w - ring || y >= h - ring)) continue;
                ++border;
                if (r[4 * x + 3] < 0.5f) {
                    ++transparent;
                    continue;
                }
                const Lab p = conv(r[4 * x], r[4 * x + 1], r[4 * x + 2]);
                std::size_t best = 0;
                double bd = std::numeric_limits<double>::max();
                for (std::size_t c = 0; c < pal.colours.size(); ++c) {
                    const Lab cl_lab{pal.colours[c].lab[0], pal.colours[c].lab[1], pal.colours[c].lab[2]};
                    const double d = d76_squared(p, cl_lab);
                    if (d < bd) {
                        bd = d;
                        best = c;
                    }
                }
                if (bd < 100) ++votes[best];  // ΔE76 < 10
            }
        }
        if (border > 0 && transparent * 2 > border) {
            pal.background = "transparent";
        } else if (!votes.empty()) {
            const auto it = std::max_element(votes.begin(), votes.end());
            const std::size_t c = static_cast<std::size_t>(it - votes.begin());
            if (*it * 10 >= border * 6 && pal.colours[c].share >= 0.15) pal.background = pal.colours[c].hex;
        }
    }
    pal.harmony = classify_harmony(pal.colours, pal.harmony_confidence);
    return pal;
}

namespace {

class PaletteTagger final : public Tagger {
public:
    const TaggerInfo& info() const noexcept override { return m_info; }
    Result<std::vector<Tag>> tag(const TagInput& in) const override {
        auto p = extract_palette(in.preview);
        if (!p) return p.error();
        std::vector<Tag> t;
        t.push_back(make_tag("palette.count", static_cast<std::int64_t>(p->colours.size())));
        std::vector<std::pair<std::string, double>> names;
        for (std::size_t i = 0; i < p->colours.size(); ++i) {
            const auto& c = p->colours[i];
            const std::string k = "palette." + std::to_string(i + 1) + ".";
            t.push_back(make_tag(k + "hex", c.hex));
            t.push_back(make_tag(k + "name", c.name, 0.9));
            t.push_back(make_tag(k + "share", c.share));
            auto it = std::find_if(names.begin(), names.end(), [&](const auto& n) { return n.first == c.name; });
            if (it == names.end())
                names.emplace_back(c.name, c.share);
            else
                it->second += c.share;
        }
        if (p->background) t.push_back(make_tag("palette.background", *p->background, 0.8));
        t.push_back(make_tag("palette.harmony", std::string(harmony_name(p->harmony)), p->harmony_confidence));
        for (const auto& [name, share] : names)
            t.push_back(make_tag("colour." + name, true, std::min(1.0, share)));
        return t;
    }

private:
    TaggerInfo m_info{"palette", 1, "dominant colours (CIELAB k-means), names, background, harmony", ""};
};

}  // namespace

std::unique_ptr<Tagger> make_palette_tagger() {
    return std::make_unique<PaletteTagger>();
}

}  // namespace atelier::ops
