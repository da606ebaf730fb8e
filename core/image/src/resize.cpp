// SPDX-License-Identifier: MIT
#include "atelier/image/resize.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace atelier {

namespace {

struct Kernel {
    double radius;
    double (*fn)(double);
};

double box(double x) {
    return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0;
}
double triangle(double x) {
    x = std::abs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}
double cubic(double x, double b, double c) {
    x = std::abs(x);
    if (x < 1.0) return ((12 - 9 * b - 6 * c) * x * x * x + (-18 + 12 * b + 6 * c) * x * x + (6 - 2 * b)) / 6.0;
    if (x < 2.0)
        return ((-b - 6 * c) * x * x * x + (6 * b + 30 * c) * x * x + (-12 * b - 48 * c) * x + (8 * b + 24 * c)) / 6.0;
    return 0.0;
}
double catmull_rom(double x) {
    return cubic(x, 0.0, 0.5);
}
double mitchell(double x) {
    return cubic(x, 1.0 / 3.0, 1.0 / 3.0);
}
double sinc(double x) {
    if (x == 0.0) return 1.0;
    x *= std::numbers::pi;
    return std::sin(x) / x;
}
double lanczos3(double x) {
    return std::abs(x) < 3.0 ? sinc(x) * sinc(x / 3.0) : 0.0;
}

Kernel kernel_for(ResizeFilter f) {
    switch (f) {
        case ResizeFilter::nearest:
        case ResizeFilter::box:
            return {0.5, box};
        case ResizeFilter::bilinear:
            return {1.0, triangle};
        case ResizeFilter::bicubic:
            return {2.0, catmull_rom};
        case ResizeFilter::mitchell:
            return {2.0, mitchell};
        case ResizeFilter::lanczos3:
            return {3.0, lanczos3};
    }
    return {3.0, lanczos3};
}

// For each output index: the first source index and normalised weights.
struct Contrib {
    std::vector<int> index;          // source indices (already wrapped/clamped)
    std::vector<float> weight;       // same length
    std::vector<std::size_t> start;  // offsets into index/weight per output
};

Contrib contributions(int src, int dst, ResizeFilter filter, bool wrap) {
    Contrib c;
    c.start.reserve(static_cast<std::size_t>(dst) + 1);
    const double scale = static_cast<double>(dst) / src;
    if (filter == ResizeFilter::nearest) {
        for (int i = 0; i < dst; ++i) {
            c.start.push_back(c.index.size());
            int s = static_cast<int>(std::floor((i + 0.5) / scale));
            c.index.push_back(std::clamp(s, 0, src - 1));
            c.weight.push_back(1.0f);
        }
        c.start.push_back(c.index.size());
        return c;
    }
    const Kernel k = kernel_for(filter);
    const double support_scale = scale < 1.0 ? 1.0 / scale : 1.0;  // widen when shrinking
    const double radius = k.radius * support_scale;
    std::vector<double> w;
    for (int i = 0; i < dst; ++i) {
        c.start.push_back(c.index.size());
        const double center = (i + 0.5) / scale;
        const int lo = static_cast<int>(std::floor(center - radius));
        const int hi = static_cast<int>(std::ceil(center + radius));
        w.clear();
        double sum = 0.0;
        const std::size_t first = c.index.size();
        for (int s = lo; s <= hi; ++s) {
            double v = k.fn((s + 0.5 - center) / support_scale);
            if (v == 0.0) continue;
            int idx = wrap ? ((s % src) + src) % src : std::clamp(s, 0, src - 1);
            c.index.push_back(idx);
            w.push_back(v);
            sum += v;
        }
        if (w.empty() || sum == 0.0) {  // degenerate: take the nearest sample
            c.index.resize(first);
            c.index.push_back(std::clamp(static_cast<int>(center), 0, src - 1));
            c.weight.push_back(1.0f);
            continue;
        }
        for (double v : w)
            c.weight.push_back(static_cast<float>(v / sum));
    }
    c.start.push_back(c.index.size());
    return c;
}

}  // namespace

Result<ResizeFilter> parse_resize_filter(std::string_view name) {
    if (name == "nearest") return ResizeFilter::nearest;
    if (name == "box") return ResizeFilter::box;
    if (name == "bilinear" || name == "triangle") return ResizeFilter::bilinear;
    if (name == "bicubic" || name == "catmull-rom") return ResizeFilter::bicubic;
    if (name == "mitchell") return ResizeFilter::mitchell;
    if (name == "lanczos3" || name == "lanczos") return ResizeFilter::lanczos3;
    return fail(Errc::invalid_argument, "unknown resize filter '" + std::string(name) +
                                            "'; use nearest, box, bilinear, bicubic, mitchell or lanczos3");
}

Result<Image> resize(const Image& src, int width, int height, const ResizeOptions& options) {
    if (src.empty()) return fail(Errc::invalid_argument, "cannot resize an empty image");
    if (width <= 0 || height <= 0 || width > Image::kMaxDimension || height > Image::kMaxDimension)
        return fail(Errc::invalid_argument, "target size " + std::to_string(width) + "x" + std::to_string(height) +
                                                " is not valid; both sides must be between 1 and " +
                                                std::to_string(Image::kMaxDimension));
    const int ch = src.channels();
    const int alpha = src.has_alpha() ? ch - 1 : -1;
    const int sw = src.width();
    const int sh = src.height();

    // Source to premultiplied float.
    std::vector<float> in(static_cast<std::size_t>(sw) * sh * ch);
    for (int y = 0; y < sh; ++y)
        for (int x = 0; x < sw; ++x) {
            float* p = &in[(static_cast<std::size_t>(y) * sw + x) * ch];
            for (int c = 0; c < ch; ++c)
                p[c] = src.sample(x, y, c);
            if (alpha >= 0)
                for (int c = 0; c < alpha; ++c)
                    p[c] *= p[alpha];
        }

    const Contrib cx = contributions(sw, width, options.filter, options.wrap);
    const Contrib cy = contributions(sh, height, options.filter, options.wrap);

    // Horizontal pass: sh rows × width.
    std::vector<float> mid(static_cast<std::size_t>(width) * sh * ch);
    for (int y = 0; y < sh; ++y) {
        const float* srow = &in[static_cast<std::size_t>(y) * sw * ch];
        float* drow = &mid[static_cast<std::size_t>(y) * width * ch];
        for (int x = 0; x < width; ++x) {
            float acc[4] = {0, 0, 0, 0};
            for (std::size_t k = cx.start[x]; k < cx.start[x + 1]; ++k) {
                const float* p = srow + static_cast<std::size_t>(cx.index[k]) * ch;
                const float w = cx.weight[k];
                for (int c = 0; c < ch; ++c)
                    acc[c] += p[c] * w;
            }
            for (int c = 0; c < ch; ++c)
                drow[static_cast<std::size_t>(x) * ch + c] = acc[c];
        }
    }

    auto out = Image::create(width, height, ch, src.type(), src.has_alpha());
    if (!out) return out;
    out->metadata() = src.metadata();
    const bool clamp01 = src.type() != PixelType::f32;
    // Vertical pass, straight into the output.
    std::vector<float> acc(static_cast<std::size_t>(width) * ch);
    for (int y = 0; y < height; ++y) {
        std::fill(acc.begin(), acc.end(), 0.0f);
        for (std::size_t k = cy.start[y]; k < cy.start[y + 1]; ++k) {
            const float* mrow = &mid[static_cast<std::size_t>(cy.index[k]) * width * ch];
            const float w = cy.weight[k];
            for (std::size_t i = 0; i < acc.size(); ++i)
                acc[i] += mrow[i] * w;
        }
        for (int x = 0; x < width; ++x) {
            float* p = &acc[static_cast<std::size_t>(x) * ch];
            if (alpha >= 0) {
                const float a = std::max(p[alpha], 0.0f);
                for (int c = 0; c < alpha; ++c)
                    p[c] = a > 1e-8f ? p[c] / a : 0.0f;
            }
            for (int c = 0; c < ch; ++c)
                out->set_sample(x, y, c, clamp01 ? std::clamp(p[c], 0.0f, 1.0f) : p[c]);
        }
    }
    return out;
}

}  // namespace atelier
