// SPDX-License-Identifier: MIT
// The tagger pipeline: builds the analysis preview once, runs each tagger,
// collects tags, problems and timings.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "atelier/ops/tag_hash.h"
#include "atelier/ops/tag_palette.h"
#include "atelier/ops/tag_seamless.h"
#include "atelier/ops/tag_specs.h"
#include "atelier/ops/tag_style.h"
#include "atelier/ops/tagger.h"

namespace atelier::ops {

std::string tag_value_string(const TagValue& value) {
    struct Visitor {
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(std::int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.6g", d);
            return buf;
        }
        std::string operator()(const std::string& s) const { return s; }
    };
    return std::visit(Visitor{}, value);
}

Tag Tagger::make_tag(std::string name, TagValue value, double confidence) const {
    const auto& i = info();
    return Tag{std::move(name), std::move(value), std::clamp(confidence, 0.0, 1.0), i.qualified(), i.model_hash};
}

namespace {

// One source row as float RGBA (sRGB-encoded, alpha straight).
void read_row_rgba(const Image& img, int y, float* out) {
    const int w = img.width(), ch = img.channels(), cc = img.color_channels();
    const bool alpha = img.has_alpha();
    auto clean = [](float v) { return std::isfinite(v) ? std::clamp(v, 0.0f, 1.0f) : 0.0f; };
    auto emit = [&](int x, auto get) {
        float* o = out + 4 * x;
        if (cc >= 3) {
            o[0] = clean(get(0));
            o[1] = clean(get(1));
            o[2] = clean(get(2));
        } else {
            o[0] = o[1] = o[2] = clean(get(0));
        }
        o[3] = alpha ? clean(get(ch - 1)) : 1.0f;
    };
    switch (img.type()) {
        case PixelType::u8: {
            const auto* r = img.row_as<std::uint8_t>(y);
            for (int x = 0; x < w; ++x)
                emit(x, [&](int c) { return r[x * ch + c] * (1.0f / 255.0f); });
            break;
        }
        case PixelType::u16: {
            const auto* r = img.row_as<std::uint16_t>(y);
            for (int x = 0; x < w; ++x)
                emit(x, [&](int c) { return r[x * ch + c] * (1.0f / 65535.0f); });
            break;
        }
        case PixelType::f32: {
            const auto* r = img.row_as<float>(y);
            for (int x = 0; x < w; ++x)
                emit(x, [&](int c) { return r[x * ch + c]; });
            break;
        }
    }
}

// For each source index: up to two (target, weight) pairs of an exact area
// partition of n source pixels into m target pixels (m <= n).
struct Split {
    int t0, t1;
    float w0, w1;
};
std::vector<Split> area_splits(int n, int m) {
    std::vector<Split> s(static_cast<std::size_t>(n));
    const double scale = static_cast<double>(m) / n;  // target pixels per source pixel
    for (int i = 0; i < n; ++i) {
        const double a = i * scale, b = (i + 1) * scale;
        const int t0 = std::min(m - 1, static_cast<int>(std::floor(a)));
        const double cut = t0 + 1.0;
        if (b <= cut + 1e-12 || t0 == m - 1) {
            s[i] = {t0, t0, static_cast<float>(b - a), 0.0f};
        } else {
            s[i] = {t0, t0 + 1, static_cast<float>(cut - a), static_cast<float>(b - cut)};
        }
    }
    return s;
}

}  // namespace

Result<Image> make_preview(const Image& image, int max_side) {
    if (image.empty()) return fail(Errc::invalid_argument, "the image is empty; nothing to tag");
    const int w = image.width(), h = image.height();
    const double f = std::min(1.0, static_cast<double>(max_side) / std::max(w, h));
    const int ow = std::max(1, static_cast<int>(std::lround(w * f)));
    const int oh = std::max(1, static_cast<int>(std::lround(h * f)));
    auto out = Image::create(ow, oh, 4, PixelType::f32, true);
    if (!out) return out;
    const auto sy = area_splits(h, oh);
    // Horizontal pass as a gather: target column ox covers source columns
    // [x0, x1] with full weight `scale` inside and partial weights at the ends.
    struct Span {
        int x0, x1;
        float w0, w1;
    };
    std::vector<Span> spans(static_cast<std::size_t>(ow));
    {
        const double scale = static_cast<double>(ow) / w;
        for (int ox = 0; ox < ow; ++ox) {
            const double a = static_cast<double>(ox) * w / ow, b = static_cast<double>(ox + 1) * w / ow;
            const int x0 = static_cast<int>(std::floor(a));
            const int x1 = std::min(w - 1, static_cast<int>(std::ceil(b)) - 1);
            spans[ox] = {x0, x1, static_cast<float>((std::min<double>(x0 + 1, b) - a) * scale),
                         static_cast<float>((b - std::max<double>(x1, a)) * scale)};
        }
    }
    const float inner = static_cast<float>(static_cast<double>(ow) / w);
    std::vector<float> src(static_cast<std::size_t>(w) * 4), hrow(static_cast<std::size_t>(ow) * 4);
    std::vector<double> acc(static_cast<std::size_t>(ow) * oh * 4, 0.0);
    for (int y = 0; y < h; ++y) {
        read_row_rgba(image, y, src.data());
        for (int x = 0; x < w; ++x) {  // premultiply
            float* p = &src[4 * static_cast<std::size_t>(x)];
            p[0] *= p[3];
            p[1] *= p[3];
            p[2] *= p[3];
        }
        for (int ox = 0; ox < ow; ++ox) {
            const Span& sp = spans[ox];
            float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int x = sp.x0; x <= sp.x1; ++x) {
                const float wt = x == sp.x0 ? sp.w0 : x == sp.x1 ? sp.w1 : inner;
                const float* p = &src[4 * static_cast<std::size_t>(x)];
                a0 += wt * p[0];
                a1 += wt * p[1];
                a2 += wt * p[2];
                a3 += wt * p[3];
            }
            float* o = &hrow[4 * static_cast<std::size_t>(ox)];
            o[0] = a0;
            o[1] = a1;
            o[2] = a2;
            o[3] = a3;
        }
        const auto& s = sy[y];
        double* r0 = &acc[static_cast<std::size_t>(s.t0) * ow * 4];
        double* r1 = &acc[static_cast<std::size_t>(s.t1) * ow * 4];
        for (int i = 0; i < ow * 4; ++i) {
            r0[i] += s.w0 * hrow[i];
            if (s.w1 > 0.0f) r1[i] += s.w1 * hrow[i];
        }
    }
    const double norm = 1.0;  // the split weights of each target pixel sum to 1
    for (int y = 0; y < oh; ++y) {
        float* o = out->row_as<float>(y);
        const double* a = &acc[static_cast<std::size_t>(y) * ow * 4];
        for (int x = 0; x < ow; ++x) {
            const double al = a[4 * x + 3] * norm;
            for (int c = 0; c < 3; ++c)
                o[4 * x + c] = al > 1e-6 ? static_cast<float>(std::clamp(a[4 * x + c] * norm / al, 0.0, 1.0)) : 0.0f;
            o[4 * x + 3] = static_cast<float>(std::clamp(al, 0.0, 1.0));
        }
    }
    out->metadata() = image.metadata();
    out->metadata().color_space = "sRGB";
    return out;
}

const Tag* TagReport::find(std::string_view name) const noexcept {
    for (const auto& t : tags)
        if (t.name == name) return &t;
    return nullptr;
}

TagPipeline TagPipeline::with_builtin_taggers() {
    TagPipeline p;
    (void)p.add(make_specs_tagger());
    (void)p.add(make_seamless_tagger());
    (void)p.add(make_palette_tagger());
    (void)p.add(make_style_tagger());
    (void)p.add(make_hash_tagger());
    return p;
}

Result<void> TagPipeline::add(std::unique_ptr<Tagger> tagger) {
    if (!tagger) return fail(Errc::invalid_argument, "null tagger");
    for (const auto& t : m_taggers)
        if (t->info().id == tagger->info().id)
            return fail(Errc::conflict, "a tagger with id '" + tagger->info().id + "' is already in the pipeline");
    m_taggers.push_back(std::move(tagger));
    return ok();
}

Result<TagReport> TagPipeline::run(const Image& image, const FileFacts* file, const CancelToken& cancel) const {
    using Clock = std::chrono::steady_clock;
    auto ms = [](Clock::time_point a, Clock::time_point b) {
        return std::chrono::duration<double, std::milli>(b - a).count();
    };
    TagReport report;
    auto t0 = Clock::now();
    auto preview = make_preview(image);
    if (!preview) return preview.error();
    report.timings_ms.emplace_back("preview", ms(t0, Clock::now()));
    const TagInput input{image, *preview, file, cancel};
    for (const auto& tagger : m_taggers) {
        if (cancel.cancelled()) return fail(Errc::cancelled, "tagging cancelled");
        t0 = Clock::now();
        auto tags = tagger->tag(input);
        report.timings_ms.emplace_back(tagger->info().id, ms(t0, Clock::now()));
        if (!tags) {
            report.problems.push_back({tagger->info().qualified(), tags.error()});
            continue;
        }
        for (auto& t : *tags)
            report.tags.push_back(std::move(t));
    }
    return report;
}

}  // namespace atelier::ops
