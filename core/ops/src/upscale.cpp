// SPDX-License-Identifier: MIT
#include "atelier/ops/upscale.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <vector>

namespace atelier::ops {

namespace {

constexpr int kDefaultOverlap = 24;
constexpr int kMaxWindow = 768;  // larger windows only cost memory
constexpr std::uint64_t kDefaultBudget = 3ull << 30;
/// The smallest strip side (input pixels) a single window is cut into for
/// the CPU workers: below it the overlap costs more than the workers gain.
constexpr int kMinSplit = 48;

/// Planar-interleaved float image HxWx3 in 0..1.
struct Plane3 {
    int w = 0, h = 0;
    std::vector<float> v;  // (y*w + x)*3 + c
};

int wrap(int v, int n) {
    v %= n;
    return v < 0 ? v + n : v;
}

/// One model input window: its top-left corner in input pixels (may lie
/// outside the image in seamless mode, where indices wrap), its size, and
/// which of its edges lie inside the image (those get the blending ramp).
struct Window {
    int x0 = 0, y0 = 0, w = 0, h = 0;
    bool int_l = false, int_r = false, int_t = false, int_b = false;
};

/// The windows of a `tw`×`th` tile grid, all of one size so that they can
/// run as one batch. Each covers its tile plus `P` pixels of context; at the
/// image border (not seamless) a window is shifted inwards rather than cut,
/// so that it keeps the common size.
std::vector<Window> tile_windows(int W, int H, int tw, int th, int P, bool seamless) {
    const int nx = (W + tw - 1) / tw, ny = (H + th - 1) / th;
    // Seamless: shift the grid by half a tile so that the wrap-around
    // seam falls inside a tile, not on a blended tile boundary.
    const int offx = seamless ? -std::min(tw, W) / 2 : 0, offy = seamless ? -std::min(th, H) / 2 : 0;
    auto axis = [&](int n, int t, int off, int L, std::vector<std::pair<int, int>>& spans, int& size) {
        size = 0;
        for (int i = 0; i < n; ++i) {
            const int a0 = off + i * t, a1 = std::min(off + L, a0 + t);
            if (seamless) {
                spans.emplace_back(a0 - P, a1 + P);
            } else {
                spans.emplace_back(std::max(0, a0 - P), std::min(L, a1 + P));
            }
            size = std::max(size, spans.back().second - spans.back().first);
        }
        for (auto& [b, e] : spans) {  // grow to the common size, inwards at the border
            if (seamless) {
                e = b + size;
            } else {
                b = std::clamp(b, 0, L - size);
                e = b + size;
            }
        }
    };
    std::vector<std::pair<int, int>> xs, ys;
    int ww = 0, wh = 0;
    axis(nx, tw, offx, W, xs, ww);
    axis(ny, th, offy, H, ys, wh);
    std::vector<Window> out;
    for (const auto& [y0, y1] : ys)
        for (const auto& [x0, x1] : xs)
            out.push_back(
                {x0, y0, ww, wh, seamless || x0 > 0, seamless || x1 < W, seamless || y0 > 0, seamless || y1 < H});
    return out;
}

/// Runs the model tile by tile over `in`, returning the upscaled plane in
/// 0..1. Windows go to the model `batch` at a time (one batch item per CPU
/// worker, see ml::Model::batch_parallelism).
Result<Plane3> run_tiled(ml::Model& model, const Plane3& in, const UpscaleOptions& o, int tw, int th, int overlap,
                         int batch, UpscaleStats& stats, double progress_base, double progress_span) {
    const auto& info = model.info();
    const int s = info.scale;
    const float in_lo = info.input_range[0], in_span = info.input_range[1] - info.input_range[0];
    const float out_lo = info.output_range[0], out_span = info.output_range[1] - info.output_range[0];
    const int W = in.w, H = in.h, P = overlap;
    Plane3 out;
    out.w = W * s;
    out.h = H * s;
    std::vector<float> acc(static_cast<std::size_t>(out.w) * out.h * 3, 0.0F);
    std::vector<float> wsum(static_cast<std::size_t>(out.w) * out.h, 0.0F);
    const auto windows = tile_windows(W, H, tw, th, P, o.seamless);
    const int total = static_cast<int>(windows.size());
    if (total == 0) return fail(Errc::internal, "upscale: no tiles");
    const int ww = windows[0].w, wh = windows[0].h;
    const std::size_t in_item = static_cast<std::size_t>(ww) * wh * 3;
    const int ow = ww * s, oh = wh * s;
    const std::size_t out_item = static_cast<std::size_t>(ow) * oh * 3;
    // weight ramp over the overlap: 0 for the outer P/2 context pixels, then linear
    const float m = static_cast<float>(P) / 2.0F;
    auto ramp = [&](float d) { return P == 0 ? 1.0F : std::clamp((d - m) / (2.0F * P - 2.0F * m), 0.0F, 1.0F); };
    std::vector<float> wxv(static_cast<std::size_t>(ow)), wyv(static_cast<std::size_t>(oh));
    batch = std::max(1, batch);
    for (int first = 0; first < total; first += batch) {
        if (o.cancel.cancelled()) return fail(Errc::cancelled, "upscale cancelled");
        const int n = std::min(batch, total - first);
        ml::TensorF32 x({n, wh, ww, 3});
        for (int b = 0; b < n; ++b) {
            const Window& win = windows[static_cast<std::size_t>(first + b)];
            float* base = x.data.data() + in_item * b;
            for (int y = 0; y < wh; ++y) {
                const int sy = wrap(win.y0 + y, H);
                for (int xx = 0; xx < ww; ++xx) {
                    const int sx = wrap(win.x0 + xx, W);
                    const float* p = &in.v[(static_cast<std::size_t>(sy) * W + sx) * 3];
                    float* q = base + (static_cast<std::size_t>(y) * ww + xx) * 3;
                    for (int c = 0; c < 3; ++c)
                        q[c] = p[c] * in_span + in_lo;
                }
            }
        }
        ml::RunOptions ro;
        ro.precision = o.precision;
        ro.cancel = o.cancel;
        ml::RunStats rs;
        auto r = model.run(x, ro, &rs);
        if (!r) return r.error();
        const auto& y = (*r)[0];
        if (y.shape.size() != 4 || y.dim(0) != n || y.dim(1) != oh || y.dim(2) != ow || y.dim(3) != 3)
            return fail(Errc::invalid_argument, "model " + info.id + " returned " + y.shape_string() + " for a " +
                                                    std::to_string(ww) + "x" + std::to_string(wh) +
                                                    " input; it is not an x" + std::to_string(s) + " RGB upscaler");
        stats.precision = rs.precision;
        stats.retried_fp32 = stats.retried_fp32 || rs.retried_fp32;
        for (int b = 0; b < n; ++b) {
            const Window& win = windows[static_cast<std::size_t>(first + b)];
            const float* ybase = y.data.data() + out_item * b;
            for (int ox = 0; ox < ow; ++ox) {
                const float u = (static_cast<float>(ox) + 0.5F) / static_cast<float>(s);
                wxv[static_cast<std::size_t>(ox)] =
                    (win.int_l ? ramp(u) : 1.0F) * (win.int_r ? ramp(static_cast<float>(ww) - u) : 1.0F);
            }
            for (int oy = 0; oy < oh; ++oy) {
                const float u = (static_cast<float>(oy) + 0.5F) / static_cast<float>(s);
                wyv[static_cast<std::size_t>(oy)] =
                    (win.int_t ? ramp(u) : 1.0F) * (win.int_b ? ramp(static_cast<float>(wh) - u) : 1.0F);
            }
            for (int oy = 0; oy < oh; ++oy) {
                const float wy = wyv[static_cast<std::size_t>(oy)];
                if (wy <= 0) continue;
                const int dy = wrap(win.y0 * s + oy, out.h);
                for (int ox = 0; ox < ow; ++ox) {
                    const float w = wy * wxv[static_cast<std::size_t>(ox)];
                    if (w <= 0) continue;
                    const int dx = wrap(win.x0 * s + ox, out.w);
                    const std::size_t di = static_cast<std::size_t>(dy) * out.w + dx;
                    const float* p = ybase + (static_cast<std::size_t>(oy) * ow + ox) * 3;
                    for (int c = 0; c < 3; ++c)
                        acc[di * 3 + c] += w * std::clamp((p[c] - out_lo) / out_span, 0.0F, 1.0F);
                    wsum[di] += w;
                }
            }
            stats.tiles++;
        }
        if (o.progress) o.progress(progress_base + progress_span * (first + n) / total);
    }
    out.v = std::move(acc);
    for (std::size_t i = 0; i < wsum.size(); ++i) {
        const float w = wsum[i];
        if (w <= 0) return fail(Errc::internal, "upscale: a pixel was not covered by any tile");
        for (int c = 0; c < 3; ++c)
            out.v[i * 3 + c] /= w;
    }
    return out;
}

/// Seamless check: runs one window centred on each wrap-around seam (a
/// segment of it, at most `tile` long, with the same context) and returns the
/// mean absolute difference (0..1) between that and the tiled result on the
/// output pixels next to the seam. A result that truly wraps gives ~0.
Result<double> seam_check(ml::Model& model, const Plane3& in, const Plane3& out, const UpscaleOptions& o, int tile,
                          int overlap) {
    const auto& info = model.info();
    const int s = info.scale, W = in.w, H = in.h, P = std::max(overlap, 4);
    const float in_lo = info.input_range[0], in_span = info.input_range[1] - info.input_range[0];
    const float out_lo = info.output_range[0], out_span = info.output_range[1] - info.output_range[0];
    double sum = 0;
    std::size_t n = 0;
    for (int axis = 0; axis < 2; ++axis) {
        // window: across the seam 2P+2 pixels, along it a centred segment of at most `tile`
        const int along = axis == 0 ? H : W;
        const int len = std::min(along, tile);
        const int a0 = (along - len) / 2;
        const int ww = axis == 0 ? 2 * P + 2 : len + 2 * P, wh = axis == 0 ? len + 2 * P : 2 * P + 2;
        const int wx0 = axis == 0 ? -(P + 1) : a0 - P, wy0 = axis == 0 ? a0 - P : -(P + 1);
        ml::TensorF32 x({1, wh, ww, 3});
        for (int y = 0; y < wh; ++y)
            for (int xx = 0; xx < ww; ++xx) {
                const float* p = &in.v[(static_cast<std::size_t>(wrap(wy0 + y, H)) * W + wrap(wx0 + xx, W)) * 3];
                for (int c = 0; c < 3; ++c)
                    x.data[(static_cast<std::size_t>(y) * ww + xx) * 3 + c] = p[c] * in_span + in_lo;
            }
        ml::RunOptions ro;
        ro.precision = o.precision;
        ro.cancel = o.cancel;
        auto r = model.run(x, ro);
        if (!r) return r.error();
        const auto& y = (*r)[0];
        const int ow = ww * s;
        // output pixels on both sides of the seam (s each), along the segment's core
        for (int k = 0; k < len * s; ++k)
            for (int d = -s; d < s; ++d) {
                const int ox = axis == 0 ? (P + 1) * s + d : P * s + k, oy = axis == 0 ? P * s + k : (P + 1) * s + d;
                const int gx = wrap(wx0 * s + ox, out.w), gy = wrap(wy0 * s + oy, out.h);
                for (int c = 0; c < 3; ++c) {
                    const float v = std::clamp(
                        (y.data[(static_cast<std::size_t>(oy) * ow + ox) * 3 + c] - out_lo) / out_span, 0.0F, 1.0F);
                    sum += std::abs(v - out.v[(static_cast<std::size_t>(gy) * out.w + gx) * 3 + c]);
                    ++n;
                }
            }
    }
    return sum / static_cast<double>(std::max<std::size_t>(n, 1));
}

}  // namespace

int choose_tile(const ml::Model& model, std::uint64_t budget, ml::Precision precision, int overlap) {
    if (budget == 0) budget = kDefaultBudget;
    const double bpp = std::max(1.0, model.bytes_per_pixel(precision));
    const double window = std::sqrt(static_cast<double>(budget) / bpp);
    const int side = static_cast<int>(std::min<double>(window, kMaxWindow));
    return std::max(16, side - 2 * overlap);
}

Result<UpscaleResult> upscale(ml::Model& model, const Image& src, const UpscaleOptions& o) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto& info = model.info();
    if (src.empty()) return fail(Errc::invalid_argument, "upscale: the image is empty");
    if (info.scale < 1 || info.in_channels != 3 || info.out_channels != 3 || info.fixed_height != 0)
        return fail(Errc::invalid_argument, "model " + info.id + " is not an RGB image-to-image upscaler");
    if (o.tile < 0 || (o.tile > 0 && o.tile < 8))
        return fail(Errc::invalid_argument, "--tile must be at least 8 pixels");
    const int overlap = o.overlap < 0 ? kDefaultOverlap : o.overlap;
    const ml::Precision prec = o.precision.value_or(ml::Precision::fp32);
    const int W = src.width(), H = src.height(), s = info.scale;
    // Windows run `batch` at a time, one per CPU worker: each gets its share
    // of the memory budget.
    const int batch = std::max(1, model.batch_parallelism());
    const std::uint64_t budget = o.memory_budget == 0 ? kDefaultBudget : o.memory_budget;
    int tile = o.tile > 0 ? o.tile : choose_tile(model, budget / static_cast<std::uint64_t>(batch), prec, overlap);
    int tw = tile, th = tile;
    if (o.tile == 0 && W <= tile && H <= tile) {
        // One window would do: cut it into `batch` strips across its longer
        // side instead so that every worker has one (when each strip keeps
        // at least kMinSplit pixels; the overlap is recomputed per strip).
        tw = W;
        th = H;
        int& side = H >= W ? th : tw;
        const int len = side, parts = std::min(batch, len / kMinSplit);
        if (parts > 1) side = (len + parts - 1) / parts;
        tile = std::max(tw, th);
    } else if (o.tile == 0) {
        // As many tiles as the budget needs, of equal size: the windows share
        // one size, so a thin last tile would cost as much as a full one.
        const int nx = (W + tile - 1) / tile, ny = (H + tile - 1) / tile;
        tw = (W + nx - 1) / nx;
        th = (H + ny - 1) / ny;
        tile = std::max(tw, th);
    }
    if (static_cast<std::int64_t>(W) * s > Image::kMaxDimension ||
        static_cast<std::int64_t>(H) * s > Image::kMaxDimension)
        return fail(Errc::limit_exceeded, "upscale: the result would be larger than the largest image supported");

    UpscaleResult res;
    res.stats.tile = tile;
    res.stats.overlap = overlap;
    const int cc = src.color_channels();
    const bool alpha = src.has_alpha() && src.alpha_used();
    Plane3 color{W, H, std::vector<float>(static_cast<std::size_t>(W) * H * 3)};
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
            float* q = &color.v[(static_cast<std::size_t>(y) * W + x) * 3];
            for (int c = 0; c < 3; ++c)
                q[c] = std::clamp(src.sample(x, y, cc >= 3 ? c : 0), 0.0F, 1.0F);
        }
    const double span = alpha ? 0.5 : 1.0;
    auto up = run_tiled(model, color, o, tw, th, overlap, batch, res.stats, 0.0, span);
    if (!up) return up.error();
    if (o.seamless) {
        auto se = seam_check(model, color, *up, o, tile, overlap);
        if (!se) return se.error();
        res.stats.seam_error = *se;
    }
    color = Plane3{};
    Plane3 up_alpha;
    if (alpha) {
        Plane3 a{W, H, std::vector<float>(static_cast<std::size_t>(W) * H * 3)};
        const int ac = src.channels() - 1;
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                const float v = std::clamp(src.sample(x, y, ac), 0.0F, 1.0F);
                float* q = &a.v[(static_cast<std::size_t>(y) * W + x) * 3];
                q[0] = q[1] = q[2] = v;
            }
        auto ua = run_tiled(model, a, o, tw, th, overlap, batch, res.stats, 0.5, 0.5);
        if (!ua) return ua.error();
        up_alpha = std::move(ua).value();
    }
    auto img = Image::create(W * s, H * s, src.channels(), src.type(), src.has_alpha());
    if (!img) return img.error();
    Image& out = *img;
    const int ow = W * s, oh = H * s;
    for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
            const std::size_t i = (static_cast<std::size_t>(y) * ow + x) * 3;
            if (cc >= 3) {
                for (int c = 0; c < 3; ++c)
                    out.set_sample(x, y, c, up->v[i + c]);
            } else {
                out.set_sample(x, y, 0, (up->v[i] + up->v[i + 1] + up->v[i + 2]) / 3.0F);
            }
            if (src.has_alpha())
                out.set_sample(x, y, src.channels() - 1,
                               alpha ? (up_alpha.v[i] + up_alpha.v[i + 1] + up_alpha.v[i + 2]) / 3.0F : 1.0F);
        }
    out.metadata() = src.metadata();
    if (out.metadata().dpi_x) *out.metadata().dpi_x *= s;  // same print size, more pixels per inch
    if (out.metadata().dpi_y) *out.metadata().dpi_y *= s;
    if (o.seamless) {
        auto [seam, interior] = seam_steps(out);
        res.stats.seam_step = seam;
        res.stats.interior_step = interior;
    }
    res.image = std::move(out);
    res.stats.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

std::pair<double, double> seam_steps(const Image& im) {
    // The "jump" between neighbours i and i+1 is their step minus the mean of
    // the steps on either side: ~0 where the image is smooth, large at an edge
    // or a seam. Indices wrap, so i = n-1 is the wrap-around seam.
    const int W = im.width(), H = im.height(), C = im.color_channels();
    if (W < 4 || H < 4) return {0.0, 0.0};
    auto jump = [](float a, float b, float c, float d) {  // samples at i-1, i, i+1, i+2
        return std::abs((c - b) - 0.5F * ((b - a) + (d - c)));
    };
    double seam = 0, inner = 0;
    std::size_t ns = 0, ni = 0;
    for (int y = 0; y < H; ++y)
        for (int c = 0; c < C; ++c)
            for (int x = 0; x < W; ++x) {
                const float j = jump(im.sample((x + W - 1) % W, y, c), im.sample(x, y, c), im.sample((x + 1) % W, y, c),
                                     im.sample((x + 2) % W, y, c));
                if (x == W - 1) {
                    seam += j;
                    ++ns;
                } else {
                    inner += j;
                    ++ni;
                }
            }
    for (int x = 0; x < W; ++x)
        for (int c = 0; c < C; ++c)
            for (int y = 0; y < H; ++y) {
                const float j = jump(im.sample(x, (y + H - 1) % H, c), im.sample(x, y, c), im.sample(x, (y + 1) % H, c),
                                     im.sample(x, (y + 2) % H, c));
                if (y == H - 1) {
                    seam += j;
                    ++ns;
                } else {
                    inner += j;
                    ++ni;
                }
            }
    return {seam / static_cast<double>(ns), inner / static_cast<double>(ni)};
}

Result<double> psnr(const Image& a, const Image& b) {
    if (a.width() != b.width() || a.height() != b.height() || a.channels() != b.channels())
        return fail(Errc::invalid_argument, "PSNR: the images differ in size or channels");
    double se = 0;
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width(); ++x)
            for (int c = 0; c < a.channels(); ++c) {
                const double d = a.sample(x, y, c) - b.sample(x, y, c);
                se += d * d;
            }
    const double mse = se / (static_cast<double>(a.pixel_count()) * a.channels());
    if (mse == 0) return std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(1.0 / mse);
}

Result<double> ssim(const Image& a, const Image& b) {
    if (a.width() != b.width() || a.height() != b.height())
        return fail(Errc::invalid_argument, "SSIM: the images differ in size");
    const int W = a.width(), H = a.height();
    auto luma = [](const Image& im) {
        std::vector<float> l(static_cast<std::size_t>(im.width()) * im.height());
        for (int y = 0; y < im.height(); ++y)
            for (int x = 0; x < im.width(); ++x)
                l[static_cast<std::size_t>(y) * im.width() + x] =
                    im.color_channels() >= 3
                        ? 0.2126F * im.sample(x, y, 0) + 0.7152F * im.sample(x, y, 1) + 0.0722F * im.sample(x, y, 2)
                        : im.sample(x, y, 0);
        return l;
    };
    const auto la = luma(a), lb = luma(b);
    float g[11];
    float gs = 0;
    for (int i = 0; i < 11; ++i) {
        g[i] = std::exp(-static_cast<float>((i - 5) * (i - 5)) / (2.0F * 1.5F * 1.5F));
        gs += g[i];
    }
    for (float& v : g)
        v /= gs;
    auto blur = [&](const std::vector<float>& src) {
        std::vector<float> tmp(src.size()), dst(src.size());
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                float s = 0;
                for (int k = -5; k <= 5; ++k)
                    s += g[k + 5] * src[static_cast<std::size_t>(y) * W + std::clamp(x + k, 0, W - 1)];
                tmp[static_cast<std::size_t>(y) * W + x] = s;
            }
        for (int y = 0; y < H; ++y)
            for (int x = 0; x < W; ++x) {
                float s = 0;
                for (int k = -5; k <= 5; ++k)
                    s += g[k + 5] * tmp[static_cast<std::size_t>(std::clamp(y + k, 0, H - 1)) * W + x];
                dst[static_cast<std::size_t>(y) * W + x] = s;
            }
        return dst;
    };
    std::vector<float> aa(la.size()), bb(la.size()), ab(la.size());
    for (std::size_t i = 0; i < la.size(); ++i) {
        aa[i] = la[i] * la[i];
        bb[i] = lb[i] * lb[i];
        ab[i] = la[i] * lb[i];
    }
    const auto ma = blur(la), mb = blur(lb), saa = blur(aa), sbb = blur(bb), sab = blur(ab);
    const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
    double sum = 0;
    for (std::size_t i = 0; i < la.size(); ++i) {
        const double mua = ma[i], mub = mb[i];
        const double va = saa[i] - mua * mua, vb = sbb[i] - mub * mub, cov = sab[i] - mua * mub;
        sum += ((2 * mua * mub + c1) * (2 * cov + c2)) / ((mua * mua + mub * mub + c1) * (va + vb + c2));
    }
    return sum / static_cast<double>(la.size());
}

}  // namespace atelier::ops
