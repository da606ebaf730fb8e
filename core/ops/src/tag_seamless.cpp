// SPDX-License-Identifier: MIT
// Seamless / repeat detection: seam continuity at several scales, per layout.

#include "atelier/ops/tag_seamless.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "tag_common_p.h"

namespace atelier::ops {

std::string_view repeat_type_name(RepeatType t) noexcept {
    switch (t) {
        case RepeatType::none:
            return "none";
        case RepeatType::full_drop:
            return "full_drop";
        case RepeatType::half_drop:
            return "half_drop";
        case RepeatType::half_brick:
            return "half_brick";
        case RepeatType::mirror:
            return "mirror";
    }
    return "none";
}

namespace {

using detail::Plane;

// A plane seen as is or transposed (x and y swapped) without copying it:
// the vertical wrap is the horizontal wrap of the transposed view.
template <bool T>
struct View {
    const Plane& p;
    int w() const { return T ? p.h : p.w; }
    int h() const { return T ? p.w : p.h; }
    const float* at(int x, int y) const { return T ? p.at(y, x) : p.at(x, y); }
};

// L1 distance between column xa at row y and column xb at row y + dy
// (fractional, wrapping), summed over channels.
template <bool T>
double col_diff_at(const View<T>& v, int xa, int xb, int y, double dy) {
    const int c = v.p.c, h = v.h();
    const float* a = v.at(xa, y);
    if (dy == 0.0) {
        const float* b = v.at(xb, y);
        double s = 0;
        for (int k = 0; k < c; ++k)
            s += std::abs(a[k] - b[k]);
        return s;
    }
    double yy = y + dy;
    yy -= std::floor(yy / h) * h;
    const int y0 = static_cast<int>(yy) % h, y1 = (y0 + 1) % h;
    const double f = yy - std::floor(yy);
    const float* b0 = v.at(xb, y0);
    const float* b1 = v.at(xb, y1);
    double s = 0;
    for (int k = 0; k < c; ++k)
        s += std::abs(a[k] - ((1 - f) * b0[k] + f * b1[k]));
    return s;
}

// Seam ratio of the horizontal wrap (column w-1 → column 0 shifted down by
// dy_frac × height): the mean seam discontinuity over the mean discontinuity
// of the kNear column pairs on each side of the seam, each plus `eps` (which
// keeps flat areas and faint noise from making ratios of nothing).
template <bool T>
double seam_ratio(const View<T>& v, double dy_frac, double eps) {
    constexpr int kNear = 4;
    const int w = v.w(), h = v.h();
    const double dy = dy_frac * h;
    double seam = 0, near = 0;
    int near_n = 0;
    for (int y = 0; y < h; ++y)
        seam += col_diff_at(v, w - 1, 0, y, dy);
    for (int k = 0; k < kNear; ++k) {
        for (int x : {k, w - 2 - k}) {
            double d = 0;
            for (int y = 0; y < h; ++y)
                d += col_diff_at(v, x, x + 1, y, 0.0);
            near += d;
            ++near_n;
        }
    }
    seam /= h;
    near /= static_cast<double>(near_n) * h;
    return (seam + eps) / (near + eps);
}

// 0..1 mirror symmetry about the vertical axis: 1 - mirror error relative to
// the error against an unrelated (half-width shifted) copy.
template <bool T>
double mirror_symmetry(const View<T>& v) {
    const int w = v.w(), h = v.h(), c = v.p.c;
    double mirror = 0, shifted = 0;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float* a = v.at(x, y);
            const float* m = v.at(w - 1 - x, y);
            const float* s = v.at((x + w / 2) % w, y);
            for (int k = 0; k < c; ++k) {
                mirror += std::abs(a[k] - m[k]);
                shifted += std::abs(a[k] - s[k]);
            }
        }
    const double n = static_cast<double>(w) * h;
    mirror /= n;
    shifted /= n;
    if (shifted < 1e-3) return mirror < 1e-3 ? 1.0 : 0.0;
    return std::clamp(1.0 - mirror / shifted, 0.0, 1.0);
}

double ratio_to_score(double r) {
    const double s = (kSeamRatioThreshold - 1.0) / std::log(2.0);
    return std::exp(-std::max(0.0, r - 1.0) / s);
}

}  // namespace

Result<SeamlessAnalysis> analyse_seamless(const Image& preview) {
    if (preview.type() != PixelType::f32 || preview.channels() != 4)
        return fail(Errc::invalid_argument, "seamless detection needs the f32 RGBA preview from make_preview");
    if (std::min(preview.width(), preview.height()) < kSeamlessMinSide)
        return fail(Errc::invalid_argument, "image too small for repeat detection (" + std::to_string(preview.width()) +
                                                "x" + std::to_string(preview.height()) + "); it needs at least " +
                                                std::to_string(kSeamlessMinSide) + " px on each side");
    // Pyramid: the preview and its halvings down to kSeamlessMinSide.
    std::vector<Plane> levels;
    levels.push_back(detail::plane_from_preview(preview));
    while (std::min(levels.back().w, levels.back().h) / 2 >= kSeamlessMinSide && levels.size() < 4) {
        const auto& b = levels.back();
        levels.push_back(detail::area_downscale(b, (b.w + 1) / 2, (b.h + 1) / 2));
    }
    // Worst seam over the scales, per wrap and layout offset.
    // Coarser levels average noise away and show low-frequency jumps; their
    // neighbouring columns are also further apart, so they get a larger eps
    // and only flag clear jumps.
    auto worst = [&levels]<bool T>(std::bool_constant<T>, double shift) {
        double r = 0, eps = 0.01;
        for (const auto& l : levels) {
            r = std::max(r, seam_ratio(View<T>{l}, shift, eps));
            eps *= 4;
        }
        return r;
    };
    const std::false_type rows;  // horizontal wrap
    const std::true_type cols;   // vertical wrap (the transposed view)
    const double h0 = worst(rows, 0.0), v0 = worst(cols, 0.0);
    const double h_drop = worst(rows, 0.5), v_brick = worst(cols, 0.5);
    struct Layout {
        RepeatType type;
        double rh, rv;
    };
    const Layout layouts[3] = {
        {RepeatType::full_drop, h0, v0}, {RepeatType::half_drop, h_drop, v0}, {RepeatType::half_brick, h0, v_brick}};
    auto cost = [](const Layout& l) { return std::max(l.rh, l.rv); };
    const Layout* best = &layouts[0];
    for (const auto& l : layouts)
        if (cost(l) < cost(*best)) best = &l;
    // Prefer the plain repeat when it is nearly as good.
    if (cost(layouts[0]) <= 1.25 * cost(*best)) best = &layouts[0];
    double second = 1e9;
    for (const auto& l : layouts)
        if (&l != best) second = std::min(second, cost(l));

    SeamlessAnalysis a;
    a.ratio_h = best->rh;
    a.ratio_v = best->rv;
    a.score_h = ratio_to_score(best->rh);
    a.score_v = ratio_to_score(best->rv);
    a.seamless = a.score_h >= 0.5 && a.score_v >= 0.5;
    const Plane& mid = levels[std::min<std::size_t>(1, levels.size() - 1)];
    a.symmetry_h = mirror_symmetry(View<false>{mid});
    a.symmetry_v = mirror_symmetry(View<true>{mid});
    if (a.seamless) {
        a.repeat = best->type;
        const double margin = std::clamp((second - cost(*best)) / std::max(second, 1e-9), 0.0, 1.0);
        a.repeat_confidence = std::min(a.score_h, a.score_v) * (best->type == RepeatType::full_drop ? 1.0 : margin);
        if (best->type == RepeatType::full_drop && a.symmetry_h > 0.9 && a.symmetry_v > 0.9) {
            a.repeat = RepeatType::mirror;
            a.repeat_confidence = std::min(a.symmetry_h, a.symmetry_v);
        }
    }
    return a;
}

namespace {

class SeamlessTagger final : public Tagger {
public:
    const TaggerInfo& info() const noexcept override { return m_info; }
    Result<std::vector<Tag>> tag(const TagInput& in) const override {
        auto a = analyse_seamless(in.preview);
        if (!a) return a.error();
        std::vector<Tag> t;
        t.push_back(make_tag("seamless", a->seamless,
                             a->seamless ? std::min(a->score_h, a->score_v) : 1.0 - std::min(a->score_h, a->score_v)));
        t.push_back(make_tag("seamless.horizontal", a->score_h, 1.0));
        t.push_back(make_tag("seamless.vertical", a->score_v, 1.0));
        if (a->seamless)
            t.push_back(make_tag("repeat.type", std::string(repeat_type_name(a->repeat)), a->repeat_confidence));
        return t;
    }

private:
    TaggerInfo m_info{"seamless", 1, "tileability per axis and repeat type (full drop, half-drop, half-brick, mirror)",
                      ""};
};

}  // namespace

std::unique_ptr<Tagger> make_seamless_tagger() {
    return std::make_unique<SeamlessTagger>();
}

}  // namespace atelier::ops
