// SPDX-License-Identifier: MIT
// Seamless / repeat detection: seam continuity at several scales, per layout.

#include "atelier/ops/tag_seamless.h"

#include <algorithm>
#include <cmath>

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

Plane transpose(const Plane& p) {
    Plane t(p.h, p.w, p.c);
    for (int y = 0; y < p.h; ++y)
        for (int x = 0; x < p.w; ++x)
            std::copy_n(p.at(x, y), p.c, t.at(y, x));
    return t;
}

// L1 distance between column xa at row y and column xb at row y + dy
// (fractional, wrapping), summed over channels.
double col_diff_at(const Plane& p, int xa, int xb, int y, double dy) {
    double yy = y + dy;
    yy -= std::floor(yy / p.h) * p.h;
    const int y0 = static_cast<int>(yy) % p.h, y1 = (y0 + 1) % p.h;
    const double f = yy - std::floor(yy);
    const float* a = p.at(xa, y);
    const float* b0 = p.at(xb, y0);
    const float* b1 = p.at(xb, y1);
    double s = 0;
    for (int c = 0; c < p.c; ++c)
        s += std::abs(a[c] - ((1 - f) * b0[c] + f * b1[c]));
    return s;
}

// Seam ratio of the horizontal wrap (column w-1 → column 0 shifted down by
// dy_frac × height): the mean seam discontinuity over the mean discontinuity
// of the kNear column pairs on each side of the seam, each plus `eps` (which
// keeps flat areas and faint noise from making ratios of nothing).
double seam_ratio(const Plane& p, double dy_frac, double eps) {
    constexpr int kNear = 4;
    const double dy = dy_frac * p.h;
    double seam = 0, near = 0;
    int near_n = 0;
    for (int y = 0; y < p.h; ++y)
        seam += col_diff_at(p, p.w - 1, 0, y, dy);
    for (int k = 0; k < kNear; ++k) {
        for (int x : {k, p.w - 2 - k}) {
            double d = 0;
            for (int y = 0; y < p.h; ++y)
                d += col_diff_at(p, x, x + 1, y, 0.0);
            near += d;
            ++near_n;
        }
    }
    seam /= p.h;
    near /= static_cast<double>(near_n) * p.h;
    return (seam + eps) / (near + eps);
}

// 0..1 mirror symmetry about the vertical axis: 1 - mirror error relative to
// the error against an unrelated (half-width shifted) copy.
double mirror_symmetry(const Plane& p) {
    double mirror = 0, shifted = 0;
    for (int y = 0; y < p.h; ++y)
        for (int x = 0; x < p.w; ++x) {
            const float* a = p.at(x, y);
            const float* m = p.at(p.w - 1 - x, y);
            const float* s = p.at((x + p.w / 2) % p.w, y);
            for (int c = 0; c < p.c; ++c) {
                mirror += std::abs(a[c] - m[c]);
                shifted += std::abs(a[c] - s[c]);
            }
        }
    const double n = static_cast<double>(p.w) * p.h;
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
    std::vector<Plane> transposed;
    for (const auto& l : levels)
        transposed.push_back(transpose(l));
    // Worst seam over the scales, per wrap and layout offset.
    // Coarser levels average noise away and show low-frequency jumps; their
    // neighbouring columns are also further apart, so they get a larger eps
    // and only flag clear jumps.
    auto worst = [](const std::vector<Plane>& ls, double shift) {
        double r = 0, eps = 0.01;
        for (const auto& l : ls) {
            r = std::max(r, seam_ratio(l, shift, eps));
            eps *= 4;
        }
        return r;
    };
    const double h0 = worst(levels, 0.0), v0 = worst(transposed, 0.0);
    const double h_drop = worst(levels, 0.5), v_brick = worst(transposed, 0.5);
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
    a.symmetry_h = mirror_symmetry(mid);
    a.symmetry_v = mirror_symmetry(transpose(mid));
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
