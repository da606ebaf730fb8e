// SPDX-License-Identifier: MIT
#pragma once
// Naive reference implementations (plain loops, NHWC / NCHW float) that the
// tests check the LibTorch runtime against. Slow and obviously correct.

#include <algorithm>
#include <cmath>
#include <random>

#include "atelier/ml/tensor.h"

namespace atelier::ml::ref {

/// Deterministic uniform values in [lo, hi).
inline TensorF32 random(std::vector<std::int64_t> shape, std::uint32_t seed, float lo = -1.0F, float hi = 1.0F) {
    TensorF32 t(std::move(shape));
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    for (auto& v : t.data)
        v = d(rng);
    return t;
}

/// TF "SAME"/"VALID" 2-D convolution, NHWC input, HWIO kernel (groups = 1)
/// or depthwise (kernel H W C M) when `depthwise`.
inline TensorF32 conv2d(const TensorF32& x, const TensorF32& k, const TensorF32* bias, int stride, int dil, bool same,
                        bool depthwise = false) {
    const auto H = x.dim(1), W = x.dim(2), C = x.dim(3), KH = k.dim(0), KW = k.dim(1);
    const auto O = depthwise ? C * k.dim(3) : k.dim(3);
    std::int64_t OH, OW, pt = 0, pl = 0;
    if (same) {
        OH = (H + stride - 1) / stride;
        OW = (W + stride - 1) / stride;
        pt = std::max<std::int64_t>((OH - 1) * stride + (KH - 1) * dil + 1 - H, 0) / 2;
        pl = std::max<std::int64_t>((OW - 1) * stride + (KW - 1) * dil + 1 - W, 0) / 2;
    } else {
        OH = (H - (KH - 1) * dil - 1) / stride + 1;
        OW = (W - (KW - 1) * dil - 1) / stride + 1;
    }
    TensorF32 y({1, OH, OW, O});
    for (std::int64_t oy = 0; oy < OH; ++oy)
        for (std::int64_t ox = 0; ox < OW; ++ox)
            for (std::int64_t o = 0; o < O; ++o) {
                double s = bias ? bias->data[static_cast<std::size_t>(o)] : 0.0;
                for (std::int64_t ky = 0; ky < KH; ++ky)
                    for (std::int64_t kx = 0; kx < KW; ++kx) {
                        const auto iy = oy * stride + ky * dil - pt, ix = ox * stride + kx * dil - pl;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                        const float* px = &x.data[static_cast<std::size_t>((iy * W + ix) * C)];
                        if (depthwise) {
                            const auto M = k.dim(3), c = o / M, m = o % M;
                            s += px[c] * k.data[static_cast<std::size_t>(((ky * KW + kx) * C + c) * M + m)];
                        } else {
                            for (std::int64_t c = 0; c < C; ++c)
                                s += px[c] * k.data[static_cast<std::size_t>(((ky * KW + kx) * C + c) * O + o)];
                        }
                    }
                y.data[static_cast<std::size_t>((oy * OW + ox) * O + o)] = static_cast<float>(s);
            }
    return y;
}

/// NCHW 3x3 "same" convolution with an OIHW kernel (PyTorch layout).
inline TensorF32 conv3x3_nchw(const TensorF32& x, const TensorF32& w, const TensorF32& b) {
    const auto C = x.dim(1), H = x.dim(2), W = x.dim(3), O = w.dim(0), K = w.dim(2), p = K / 2;
    TensorF32 y({1, O, H, W});
    for (std::int64_t o = 0; o < O; ++o)
        for (std::int64_t yy = 0; yy < H; ++yy)
            for (std::int64_t xx = 0; xx < W; ++xx) {
                double s = b.data[static_cast<std::size_t>(o)];
                for (std::int64_t c = 0; c < C; ++c)
                    for (std::int64_t ky = 0; ky < K; ++ky)
                        for (std::int64_t kx = 0; kx < K; ++kx) {
                            const auto iy = yy + ky - p, ix = xx + kx - p;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            s += x.data[static_cast<std::size_t>((c * H + iy) * W + ix)] *
                                 w.data[static_cast<std::size_t>(((o * C + c) * K + ky) * K + kx)];
                        }
                y.data[static_cast<std::size_t>((o * H + yy) * W + xx)] = static_cast<float>(s);
            }
    return y;
}

inline TensorF32 cat_c(const std::vector<const TensorF32*>& xs) {
    std::int64_t C = 0;
    for (auto* x : xs)
        C += x->dim(1);
    const auto H = xs[0]->dim(2), W = xs[0]->dim(3);
    TensorF32 y({1, C, H, W});
    std::size_t off = 0;
    for (auto* x : xs) {
        std::copy(x->data.begin(), x->data.end(), y.data.begin() + static_cast<std::ptrdiff_t>(off));
        off += x->data.size();
    }
    return y;
}

inline TensorF32 map(TensorF32 x, float (*f)(float)) {
    for (auto& v : x.data)
        v = f(v);
    return x;
}

inline TensorF32 axpy(const TensorF32& a, float s, const TensorF32& b) {  // a*s + b
    TensorF32 y = b;
    for (std::size_t i = 0; i < y.data.size(); ++i)
        y.data[i] += s * a.data[i];
    return y;
}

inline TensorF32 up_nearest_nchw(const TensorF32& x, int s) {
    const auto C = x.dim(1), H = x.dim(2), W = x.dim(3);
    TensorF32 y({1, C, H * s, W * s});
    for (std::int64_t c = 0; c < C; ++c)
        for (std::int64_t yy = 0; yy < H * s; ++yy)
            for (std::int64_t xx = 0; xx < W * s; ++xx)
                y.data[static_cast<std::size_t>((c * H * s + yy) * W * s + xx)] =
                    x.data[static_cast<std::size_t>((c * H + yy / s) * W + xx / s)];
    return y;
}

/// PyTorch pixel_shuffle: out[c, h*r+i, w*r+j] = in[c*r*r + i*r + j, h, w].
inline TensorF32 pixel_shuffle_nchw(const TensorF32& x, int r) {
    const auto C = x.dim(1) / (r * r), H = x.dim(2), W = x.dim(3);
    TensorF32 y({1, C, H * r, W * r});
    for (std::int64_t c = 0; c < C; ++c)
        for (std::int64_t h = 0; h < H; ++h)
            for (std::int64_t w = 0; w < W; ++w)
                for (int i = 0; i < r; ++i)
                    for (int j = 0; j < r; ++j)
                        y.data[static_cast<std::size_t>((c * H * r + h * r + i) * W * r + w * r + j)] =
                            x.data[static_cast<std::size_t>(((c * r * r + i * r + j) * H + h) * W + w)];
    return y;
}

/// PyTorch pixel_unshuffle (inverse of the above).
inline TensorF32 pixel_unshuffle_nchw(const TensorF32& x, int r) {
    const auto C = x.dim(1), H = x.dim(2) / r, W = x.dim(3) / r;
    TensorF32 y({1, C * r * r, H, W});
    for (std::int64_t c = 0; c < C; ++c)
        for (std::int64_t h = 0; h < H; ++h)
            for (std::int64_t w = 0; w < W; ++w)
                for (int i = 0; i < r; ++i)
                    for (int j = 0; j < r; ++j)
                        y.data[static_cast<std::size_t>(((c * r * r + i * r + j) * H + h) * W + w)] =
                            x.data[static_cast<std::size_t>((c * H * r + h * r + i) * W * r + w * r + j)];
    return y;
}

inline TensorF32 nhwc_to_nchw(const TensorF32& x) {
    const auto H = x.dim(1), W = x.dim(2), C = x.dim(3);
    TensorF32 y({1, C, H, W});
    for (std::int64_t h = 0; h < H; ++h)
        for (std::int64_t w = 0; w < W; ++w)
            for (std::int64_t c = 0; c < C; ++c)
                y.data[static_cast<std::size_t>((c * H + h) * W + w)] =
                    x.data[static_cast<std::size_t>((h * W + w) * C + c)];
    return y;
}

inline TensorF32 nchw_to_nhwc(const TensorF32& x) {
    const auto C = x.dim(1), H = x.dim(2), W = x.dim(3);
    TensorF32 y({1, H, W, C});
    for (std::int64_t h = 0; h < H; ++h)
        for (std::int64_t w = 0; w < W; ++w)
            for (std::int64_t c = 0; c < C; ++c)
                y.data[static_cast<std::size_t>((h * W + w) * C + c)] =
                    x.data[static_cast<std::size_t>((c * H + h) * W + w)];
    return y;
}

inline double max_abs_diff(const TensorF32& a, const TensorF32& b) {
    if (a.shape != b.shape) return INFINITY;
    double m = 0;
    for (std::size_t i = 0; i < a.data.size(); ++i)
        m = std::max(m, static_cast<double>(std::abs(a.data[i] - b.data[i])));
    return m;
}

}  // namespace atelier::ml::ref
