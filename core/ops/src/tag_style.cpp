// SPDX-License-Identifier: MIT
// Style descriptors from image statistics, calibrated on the procedural
// evaluation set (tests/ops_tagging/eval_set.cpp; docs/TAGGING.md).

#include "atelier/ops/tag_style.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <variant>
#include <vector>

namespace atelier::ops {

std::string_view style_name(Style s) noexcept {
    switch (s) {
        case Style::flat:
            return "flat";
        case Style::gradient:
            return "gradient";
        case Style::photographic:
            return "photographic";
        case Style::line_art:
            return "line_art";
        case Style::textured:
            return "textured";
    }
    return "flat";
}

Style style_from_name(std::string_view name) noexcept {
    for (int s = 0; s < kStyleCount; ++s)
        if (style_name(static_cast<Style>(s)) == name) return static_cast<Style>(s);
    return Style::flat;
}

namespace {

constexpr int kStyleInputs = 10;
// training accuracy 279/280
constexpr double kStyleWeights[kStyleCount][kStyleInputs] = {
    {4.47212, -3.06198, 3.07127, -3.60979, -3.15034, 2.02003, -0.949577, 6.09608, -5.23294, 0.4568},    // flat
    {0.30477, 1.14506, -9.12642, -27.9522, 3.8537, -0.307672, -0.499907, 1.55433, -63.9759, 0.725161},  // gradient
    {-0.644067, 1.45767, 1.42207, 14.3188, 11.8204, -1.74484, 1.19995, -3.12375, 16.4365, 1.09687},     // photographic
    {0.0883723, 0.0105169, 0.32933, 10.5317, -3.56782, 2.96183, 2.35742, -7.25661, 20.4521, 1.2424},    // line_art
    {-4.2212, 0.448731, 4.30375, 6.71149, -8.95598, -2.92935, -2.10789, 2.72996, 32.3202, -3.52123},    // textured
};
constexpr double kStyleBias[kStyleCount] = {-0.75619, 5.19552, -7.55962, -2.43347, 5.55376};

// The regression's inputs (keep in step with fit_style.py: transform()).
std::array<double, kStyleInputs> style_inputs(const StyleFeatures& f) {
    return {f.flat_fraction,           f.smooth_fraction,    std::sqrt(f.edge_fraction),
            std::sqrt(f.noise),        f.colour_entropy / 8, f.dominant_share,
            f.dark_on_light,           f.saturation,         std::sqrt(f.detail),
            std::min(f.detail_cv, 3.0)};
}

double sigmoid(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}

}  // namespace

Result<StyleAnalysis> analyse_style(const Image& preview) {
    if (preview.type() != PixelType::f32 || preview.channels() != 4)
        return fail(Errc::invalid_argument, "style analysis needs the f32 RGBA preview from make_preview");
    const int w = preview.width(), h = preview.height();
    if (w < 4 || h < 4)
        return fail(Errc::invalid_argument, "image too small for style analysis (" + std::to_string(w) + "x" +
                                                std::to_string(h) + "); it needs at least 4x4 px");
    // Composite over white; keep RGB and luma.
    std::vector<float> rgb(static_cast<std::size_t>(w) * h * 3), y(static_cast<std::size_t>(w) * h);
    double visible = 0;
    for (int j = 0; j < h; ++j) {
        const float* r = preview.row_as<float>(j);
        for (int i = 0; i < w; ++i) {
            const float a = r[4 * i + 3];
            visible += a;
            const std::size_t k = static_cast<std::size_t>(j) * w + i;
            for (int c = 0; c < 3; ++c)
                rgb[3 * k + c] = r[4 * i + c] * a + (1 - a);
            y[k] = 0.2126f * rgb[3 * k] + 0.7152f * rgb[3 * k + 1] + 0.0722f * rgb[3 * k + 2];
        }
    }
    if (visible < 1.0) return fail(Errc::invalid_argument, "the image has no visible pixels; no style");
    StyleFeatures f;
    const double n = static_cast<double>(w) * h;
    // Gradients (max over channels of forward differences).
    std::size_t flat = 0, smooth = 0, edge = 0, cnt = 0;
    double lap = 0, sat = 0;
    for (int j = 0; j < h; ++j)
        for (int i = 0; i < w; ++i) {
            const std::size_t k = static_cast<std::size_t>(j) * w + i;
            const float* p = &rgb[3 * k];
            sat += std::max({p[0], p[1], p[2]}) - std::min({p[0], p[1], p[2]});
            if (i + 1 >= w || j + 1 >= h) continue;
            float g = 0;
            for (int c = 0; c < 3; ++c)
                g = std::max({g, std::abs(p[3 + c] - p[c]), std::abs(rgb[3 * (k + w) + c] - p[c])});
            ++cnt;
            if (g < 0.25f / 255) {
                ++flat;
            } else if (g < 6.0f / 255) {
                ++smooth;
            } else if (g >= 24.0f / 255) {
                ++edge;
            }
            if (i > 0 && j > 0) lap += std::abs(4 * y[k] - y[k - 1] - y[k + 1] - y[k - w] - y[k + w]);
        }
    f.flat_fraction = static_cast<double>(flat) / cnt;
    f.smooth_fraction = static_cast<double>(smooth) / cnt;
    f.edge_fraction = static_cast<double>(edge) / cnt;
    f.noise = lap / std::max(1.0, static_cast<double>((w - 2) * (h - 2)));
    f.saturation = sat / n;
    // Colour histogram: 16 levels per channel.
    std::vector<std::uint32_t> hist(4096, 0);
    std::vector<std::uint16_t> bin(static_cast<std::size_t>(n));
    for (std::size_t k = 0; k < static_cast<std::size_t>(n); ++k) {
        auto q = [&](int c) { return std::min(15, static_cast<int>(rgb[3 * k + c] * 16.0f)); };
        bin[k] = static_cast<std::uint16_t>((q(0) << 8) | (q(1) << 4) | q(2));
        ++hist[bin[k]];
    }
    double ent = 0;
    std::uint32_t top = 0;
    std::size_t top_bin = 0;
    for (std::size_t b = 0; b < hist.size(); ++b) {
        if (hist[b] == 0) continue;
        const double p = hist[b] / n;
        ent -= p * std::log2(p);
        if (hist[b] > top) {
            top = hist[b];
            top_bin = b;
        }
    }
    f.colour_entropy = ent;
    f.dominant_share = top / n;
    // Dark strokes on a light dominant colour.
    {
        const double dom_l =
            (((top_bin >> 8) & 15) * 0.2126 + ((top_bin >> 4) & 15) * 0.7152 + (top_bin & 15) * 0.0722 + 0.5) / 16.0;
        std::size_t dark = 0, other = 0;
        for (std::size_t k = 0; k < static_cast<std::size_t>(n); ++k) {
            if (bin[k] == top_bin) continue;
            ++other;
            if (y[k] < dom_l - 0.25) ++dark;
        }
        f.dark_on_light = (dom_l > 0.7 && other > 0) ? static_cast<double>(dark) / other : 0.0;
    }

    // Fine detail and how evenly it spreads (textures are busy everywhere,
    // photographs have quiet areas).
    {
        std::array<double, 64> block{};
        std::array<double, 64> block_n{};
        double total = 0;
        // 3×3 box sums, separably: horizontal triples per row, then three rows.
        std::vector<double> h3(static_cast<std::size_t>(w) * h, 0.0);
        for (int j = 0; j < h; ++j) {
            const float* r = &y[static_cast<std::size_t>(j) * w];
            double* o = &h3[static_cast<std::size_t>(j) * w];
            for (int i = 1; i + 1 < w; ++i)
                o[i] = static_cast<double>(r[i - 1]) + r[i] + r[i + 1];
        }
        for (int j = 1; j + 1 < h; ++j)
            for (int i = 1; i + 1 < w; ++i) {
                const std::size_t k = static_cast<std::size_t>(j) * w + i;
                const double box = h3[k - w] + h3[k] + h3[k + w];
                const double d = std::abs(y[k] - box / 9.0);
                total += d;
                const int b = (j * 8 / h) * 8 + (i * 8 / w);
                block[b] += d;
                block_n[b] += 1;
            }
        f.detail = total / std::max(1.0, static_cast<double>((w - 2) * (h - 2)));
        double mean = 0, var = 0;
        int nb = 0;
        for (int b = 0; b < 64; ++b)
            if (block_n[b] > 0) {
                block[b] /= block_n[b];
                mean += block[b];
                ++nb;
            }
        mean /= std::max(1, nb);
        for (int b = 0; b < 64; ++b)
            if (block_n[b] > 0) var += (block[b] - mean) * (block[b] - mean);
        var /= std::max(1, nb);
        f.detail_cv = mean > 1e-6 ? std::sqrt(var) / mean : 0.0;
    }

    // Calibrated scores (logits): a multinomial logistic regression fitted on
    // the evaluation set (seed 1) by tests/ops_tagging/fit_style.py.
    StyleAnalysis a;
    a.features = f;
    const auto in = style_inputs(f);
    double logit[kStyleCount];
    for (int s = 0; s < kStyleCount; ++s) {
        logit[s] = kStyleBias[s];
        for (int j = 0; j < kStyleInputs; ++j)
            logit[s] += kStyleWeights[s][j] * in[j];
    }
    // A nearly uniform image is flat colour whatever the regression says (the
    // evaluation set has no solid fills to learn that from).
    if (f.flat_fraction >= 0.97)
        logit[static_cast<int>(Style::flat)] = *std::max_element(logit, logit + kStyleCount) + 5;
    double mx = *std::max_element(logit, logit + kStyleCount), sum = 0;
    for (int s = 0; s < kStyleCount; ++s) {
        a.confidence[s] = std::exp(logit[s] - mx);
        sum += a.confidence[s];
    }
    int best = 0;
    for (int s = 0; s < kStyleCount; ++s) {
        a.confidence[s] /= sum;
        if (a.confidence[s] > a.confidence[best]) best = s;
    }
    a.style = static_cast<Style>(best);
    a.complexity =
        std::clamp(0.5 * sigmoid(8 * (f.colour_entropy / 8 - 0.5)) * 2 * std::min(1.0, f.colour_entropy / 8) +
                       0.5 * std::min(1.0, f.edge_fraction * 4 + f.noise * 10),
                   0.0, 1.0);
    return a;
}

namespace {

class StyleTagger final : public Tagger {
public:
    const TaggerInfo& info() const noexcept override { return m_info; }
    Result<std::vector<Tag>> tag(const TagInput& in) const override {
        auto a = analyse_style(in.preview);
        if (!a) return a.error();
        std::vector<Tag> t;
        t.push_back(make_tag("style", std::string(style_name(a->style)), a->confidence[static_cast<int>(a->style)]));
        for (int s = 0; s < kStyleCount; ++s)
            t.push_back(make_tag("style." + std::string(style_name(static_cast<Style>(s))), a->confidence[s],
                                 a->confidence[s]));
        t.push_back(make_tag("complexity", a->complexity));
        return t;
    }

private:
    TaggerInfo m_info{"style", 2, "style descriptors (flat, gradient, photographic, line art, textured) and complexity",
                      ""};
};

}  // namespace

std::unique_ptr<Tagger> make_style_tagger() {
    return std::make_unique<StyleTagger>();
}

std::array<double, kStyleCount> blend_drawn(const std::array<double, kStyleCount>& confidence, double drawn) {
    const double d = std::clamp(std::isfinite(drawn) ? drawn : 0.0, 1e-4, 1 - 1e-4);
    std::array<double, kStyleCount> out = confidence;
    out[static_cast<int>(Style::photographic)] *= std::pow(1 - d, kDrawnWeight);
    double sum = 0;
    for (double c : out)
        sum += c;
    if (!(sum > 0)) return confidence;
    for (double& c : out)
        c /= sum;
    return out;
}

void blend_style_with_drawn(TagReport& report) {
    const Tag* drawn = report.find("style.drawn");
    Tag* best = nullptr;
    std::array<Tag*, kStyleCount> cls{};
    for (auto& t : report.tags) {
        if (t.tagger.rfind("style@", 0) != 0) continue;
        if (t.name == "style") best = &t;
        for (int s = 0; s < kStyleCount; ++s)
            if (t.name == "style." + std::string(style_name(static_cast<Style>(s)))) cls[s] = &t;
    }
    if (!drawn || !best || !std::holds_alternative<double>(drawn->value)) return;
    std::array<double, kStyleCount> conf{};
    for (int s = 0; s < kStyleCount; ++s) {
        if (!cls[s] || !std::holds_alternative<double>(cls[s]->value)) return;
        conf[s] = std::get<double>(cls[s]->value);
    }
    const std::string statistical = std::get<std::string>(best->value);
    const auto blended = blend_drawn(conf, std::get<double>(drawn->value));
    int top = 0;
    for (int s = 0; s < kStyleCount; ++s) {
        cls[s]->value = blended[s];
        cls[s]->confidence = blended[s];
        cls[s]->model_hash = drawn->model_hash;  // the value now depends on the model
        if (blended[s] > blended[top]) top = s;
    }
    best->value = std::string(style_name(static_cast<Style>(top)));
    best->confidence = blended[top];
    best->model_hash = drawn->model_hash;
    Tag stat = *best;
    stat.name = "style.statistical";
    stat.value = statistical;
    stat.confidence = conf[static_cast<int>(style_from_name(statistical))];
    stat.model_hash.clear();
    report.tags.push_back(std::move(stat));
}

}  // namespace atelier::ops
