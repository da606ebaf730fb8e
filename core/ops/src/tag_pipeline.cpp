// SPDX-License-Identifier: MIT
// The tagger pipeline: builds the analysis preview once, runs each tagger,
// collects tags, problems and timings.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <type_traits>

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
        std::string operator()(const std::vector<float>& v) const {
            return "[" + std::to_string(v.size()) + " values]";
        }
    };
    return std::visit(Visitor{}, value);
}

Tag Tagger::make_tag(std::string name, TagValue value, double confidence) const {
    const auto& i = info();
    return Tag{std::move(name), std::move(value), std::clamp(confidence, 0.0, 1.0), i.qualified(), i.model_hash};
}

std::vector<Result<std::vector<Tag>>> Tagger::tag_batch(const std::vector<const TagInput*>& inputs) const {
    std::vector<Result<std::vector<Tag>>> out;
    out.reserve(inputs.size());
    for (const TagInput* in : inputs)
        out.push_back(tag(*in));
    return out;
}

namespace {

// One source row as float RGBA, sRGB-encoded, RGB premultiplied by alpha.
// Integer samples are exact in 0..1 and need no cleaning; float samples get
// NaN/Inf → 0 and are clamped to 0..1.
// u8 → 0..1, exactly as v * (1.0f / 255.0f) (a table load instead of a
// conversion and a multiply per sample: the preview's largest cost).
const std::array<float, 256> kU8ToFloat = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i)
        t[static_cast<std::size_t>(i)] = static_cast<float>(i) * (1.0f / 255.0f);
    return t;
}();

template <class T, int CH>
void read_row_premultiplied(const Image& img, int y, float* out) {
    const int w = img.width(), cc = img.color_channels();
    const bool alpha = img.has_alpha() && CH >= 2;
    const T* r = img.row_as<T>(y);
    if constexpr (std::is_same_v<T, std::uint8_t>) {
        // Opaque 8-bit rows (most files): no premultiplying, no clamping.
        if (!alpha) {
            const float* lut = kU8ToFloat.data();
            if (CH >= 3 && cc >= 3) {
                for (int x = 0; x < w; ++x) {
                    const T* p = r + static_cast<std::size_t>(x) * CH;
                    float* o = out + 4 * static_cast<std::size_t>(x);
                    o[0] = lut[p[0]];
                    o[1] = lut[p[1]];
                    o[2] = lut[p[2 < CH ? 2 : 0]];
                    o[3] = 1.0f;
                }
            } else {
                for (int x = 0; x < w; ++x) {
                    const float v = lut[r[static_cast<std::size_t>(x) * CH]];
                    float* o = out + 4 * static_cast<std::size_t>(x);
                    o[0] = o[1] = o[2] = v;
                    o[3] = 1.0f;
                }
            }
            return;
        }
    }
    auto get = [](T v) -> float {
        if constexpr (std::is_same_v<T, std::uint8_t>)
            return v * (1.0f / 255.0f);
        else if constexpr (std::is_same_v<T, std::uint16_t>)
            return v * (1.0f / 65535.0f);
        else
            return std::isfinite(v) ? std::clamp(v, 0.0f, 1.0f) : 0.0f;
    };
    for (int x = 0; x < w; ++x) {
        const T* p = r + static_cast<std::size_t>(x) * CH;
        float* o = out + 4 * static_cast<std::size_t>(x);
        const float a = alpha ? get(p[CH - 1]) : 1.0f;
        if (CH >= 3 && cc >= 3) {
            o[0] = get(p[0]) * a;
            o[1] = get(p[1]) * a;
            o[2] = get(p[2 < CH ? 2 : 0]) * a;
        } else {
            o[0] = o[1] = o[2] = get(p[0]) * a;
        }
        o[3] = a;
    }
}

template <class T>
void read_row_premultiplied(const Image& img, int y, float* out) {
    switch (img.channels()) {
        case 1:
            return read_row_premultiplied<T, 1>(img, y, out);
        case 2:
            return read_row_premultiplied<T, 2>(img, y, out);
        case 3:
            return read_row_premultiplied<T, 3>(img, y, out);
        default:
            return read_row_premultiplied<T, 4>(img, y, out);
    }
}

void read_row_premultiplied(const Image& img, int y, float* out) {
    switch (img.type()) {
        case PixelType::u8:
            return read_row_premultiplied<std::uint8_t>(img, y, out);
        case PixelType::u16:
            return read_row_premultiplied<std::uint16_t>(img, y, out);
        case PixelType::f32:
            return read_row_premultiplied<float>(img, y, out);
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
    // Horizontal pass as a gather: target column ox takes source columns
    // first[ox] .. first[ox] + count[ox] - 1 with the weights in `wts` (full
    // weight `scale` inside, partial at the ends; they sum to 1).
    std::vector<int> first(static_cast<std::size_t>(ow)), count(static_cast<std::size_t>(ow));
    std::vector<float> wts;
    {
        const double scale = static_cast<double>(ow) / w;
        for (int ox = 0; ox < ow; ++ox) {
            const double a = static_cast<double>(ox) * w / ow, b = static_cast<double>(ox + 1) * w / ow;
            const int x0 = static_cast<int>(std::floor(a));
            const int x1 = std::min(w - 1, static_cast<int>(std::ceil(b)) - 1);
            first[ox] = x0;
            count[ox] = x1 - x0 + 1;
            for (int x = x0; x <= x1; ++x)
                wts.push_back(static_cast<float>((std::min<double>(x + 1, b) - std::max<double>(x, a)) * scale));
        }
    }
    // Vertical pass first, into two rolling full-width rows (the target row
    // being finished and the next one: each source row touches at most two),
    // then the horizontal gather once per target row — not once per source
    // row — followed by un-premultiplying (the weights of each target pixel
    // sum to 1).
    const std::size_t wn = static_cast<std::size_t>(w) * 4;
    std::vector<float> src(wn), cur(wn, 0.0f), nxt(wn, 0.0f);
    auto finish = [&](int oy, const std::vector<float>& acc) {
        float* o = out->row_as<float>(oy);
        const float* wt = wts.data();
        for (int ox = 0; ox < ow; ++ox) {
            float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            const float* p = &acc[4 * static_cast<std::size_t>(first[ox])];
            for (int k = 0, n = count[ox]; k < n; ++k, p += 4) {
                const float wk = *wt++;
                a0 += wk * p[0];
                a1 += wk * p[1];
                a2 += wk * p[2];
                a3 += wk * p[3];
            }
            float* q = o + 4 * static_cast<std::size_t>(ox);
            const float al = a3;
            q[0] = al > 1e-6f ? std::clamp(a0 / al, 0.0f, 1.0f) : 0.0f;
            q[1] = al > 1e-6f ? std::clamp(a1 / al, 0.0f, 1.0f) : 0.0f;
            q[2] = al > 1e-6f ? std::clamp(a2 / al, 0.0f, 1.0f) : 0.0f;
            q[3] = std::clamp(al, 0.0f, 1.0f);
        }
    };
    int row = 0;  // the target row `cur` accumulates; `nxt` is row + 1
    for (int y = 0; y < h; ++y) {
        read_row_premultiplied(image, y, src.data());
        const auto& s = sy[y];
        while (s.t0 > row) {
            finish(row, cur);
            cur.swap(nxt);
            std::fill(nxt.begin(), nxt.end(), 0.0f);
            ++row;
        }
        const float w0 = s.w0, w1 = s.w1;
        float* __restrict c0 = cur.data();
        const float* __restrict sp = src.data();
        for (std::size_t i = 0; i < wn; ++i)
            c0[i] += w0 * sp[i];
        if (w1 > 0.0f && s.t1 > row) {
            float* __restrict c1 = nxt.data();
            for (std::size_t i = 0; i < wn; ++i)
                c1[i] += w1 * sp[i];
        }
    }
    for (; row < oh; ++row) {
        finish(row, cur);
        cur.swap(nxt);
        std::fill(nxt.begin(), nxt.end(), 0.0f);
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
    blend_style_with_drawn(report);
    return report;
}

Result<std::vector<Result<TagReport>>> TagPipeline::run_batch(const std::vector<const Image*>& images,
                                                              const std::vector<const FileFacts*>& files,
                                                              const CancelToken& cancel) const {
    using Clock = std::chrono::steady_clock;
    auto ms = [](Clock::time_point a, Clock::time_point b) {
        return std::chrono::duration<double, std::milli>(b - a).count();
    };
    if (!files.empty() && files.size() != images.size())
        return fail(Errc::invalid_argument, "run_batch: one FileFacts entry per image (or none)");
    const std::size_t n = images.size();
    std::vector<Result<TagReport>> out;
    out.reserve(n);
    std::vector<std::optional<Image>> previews(n);
    std::vector<TagInput> inputs;
    inputs.reserve(n);              // TagInput holds references: no reallocation below
    std::vector<std::size_t> live;  // indices with a usable preview
    for (std::size_t i = 0; i < n; ++i) {
        out.emplace_back(TagReport{});
        if (!images[i]) {
            out[i] = fail(Errc::invalid_argument, "null image in batch");
            continue;
        }
        const auto t0 = Clock::now();
        auto preview = make_preview(*images[i]);
        if (!preview) {
            out[i] = preview.error();
            continue;
        }
        previews[i] = std::move(*preview);
        out[i]->timings_ms.emplace_back("preview", ms(t0, Clock::now()));
        inputs.push_back(TagInput{*images[i], *previews[i], files.empty() ? nullptr : files[i], cancel});
        live.push_back(i);
    }
    std::vector<const TagInput*> ptrs;
    for (const auto& in : inputs)
        ptrs.push_back(&in);
    for (const auto& tagger : m_taggers) {
        if (cancel.cancelled()) return fail(Errc::cancelled, "tagging cancelled");
        if (ptrs.empty()) break;
        const auto t0 = Clock::now();
        auto results = tagger->tag_batch(ptrs);
        const double each = ms(t0, Clock::now()) / static_cast<double>(ptrs.size());
        for (std::size_t k = 0; k < live.size(); ++k) {
            TagReport& report = *out[live[k]];
            report.timings_ms.emplace_back(tagger->info().id, each);
            if (k >= results.size()) {
                report.problems.push_back({tagger->info().qualified(),
                                           Error{Errc::internal, "the tagger returned fewer results than images"}});
                continue;
            }
            if (!results[k]) {
                report.problems.push_back({tagger->info().qualified(), results[k].error()});
                continue;
            }
            for (auto& t : *results[k])
                report.tags.push_back(std::move(t));
        }
    }
    for (std::size_t i : live)
        blend_style_with_drawn(*out[i]);
    return out;
}

}  // namespace atelier::ops
