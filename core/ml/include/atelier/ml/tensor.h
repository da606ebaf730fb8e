// SPDX-License-Identifier: MIT
#pragma once

/// \file tensor.h
/// A plain float tensor that crosses the `ml` API without any LibTorch type:
/// a shape and contiguous row-major float data. Images go in and come out as
/// NHWC (batch, height, width, channels), the layout Keras models use.
/// A value type; not synchronised.

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace atelier::ml {

struct TensorF32 {
    std::vector<std::int64_t> shape;
    std::vector<float> data;

    TensorF32() = default;
    /// A zero-filled tensor of `shape`.
    explicit TensorF32(std::vector<std::int64_t> s)
        : shape(std::move(s)), data(static_cast<std::size_t>(count(shape))) {}

    static std::int64_t count(const std::vector<std::int64_t>& s) {
        return std::accumulate(s.begin(), s.end(), std::int64_t{1}, std::multiplies<>());
    }
    [[nodiscard]] std::int64_t numel() const { return count(shape); }
    [[nodiscard]] std::int64_t dim(int i) const { return shape.at(static_cast<std::size_t>(i)); }
    [[nodiscard]] std::string shape_string() const {
        std::string s = "[";
        for (std::size_t i = 0; i < shape.size(); ++i)
            s += (i ? "," : "") + std::to_string(shape[i]);
        return s + "]";
    }
};

}  // namespace atelier::ml
