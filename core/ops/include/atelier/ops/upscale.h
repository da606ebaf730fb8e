// SPDX-License-Identifier: MIT
#pragma once

/// \file upscale.h
/// AI upscaling of an `Image` with an `ml::Model` (no LibTorch here: the model
/// runs behind the runtime's Torch-free API).
///
/// Tiling: the image is cut into tiles whose input window (tile + overlap on
/// each side) fits the device's memory budget; each window is run through the
/// model and the results are blended with weights that ramp across the
/// overlap, so that the seams vanish (tiled vs untiled PSNR ≥ 50 dB with the
/// default overlap). Seamless (toroidal) mode wraps the windows around the
/// image edges, so the result still tiles; the seam error is reported.
/// Colour runs through the model; alpha (when not fully opaque) is upscaled
/// separately through the same model as a grey image. Gray images are run
/// as RGB and averaged back. 8-bit stays 8-bit, 16-bit stays 16-bit (the
/// model works in float in between), float stays float.
///
/// Thread safety: reentrant; the model serialises its own runs.

#include <cstdint>
#include <functional>
#include <optional>

#include "atelier/base/cancel.h"
#include "atelier/base/result.h"
#include "atelier/image/image.h"
#include "atelier/ml/runtime.h"

namespace atelier::ops {

struct UpscaleOptions {
    int tile = 0;      ///< input tile side in pixels (without overlap); 0 = from the memory budget
    int overlap = -1;  ///< context on each side of a tile in input pixels; -1 = automatic (24)
    bool seamless = false;
    std::optional<ml::Precision> precision;  ///< overrides the runtime's policy
    std::uint64_t memory_budget = 0;         ///< bytes for the model's activations; 0 = 3 GiB
    CancelToken cancel;
    std::function<void(double)> progress;  ///< fraction done, called after each tile
};

struct UpscaleStats {
    int tiles = 0;
    int tile = 0;     ///< tile side used
    int overlap = 0;  ///< overlap used
    ml::Precision precision = ml::Precision::fp32;
    bool retried_fp32 = false;
    /// Seamless mode: the model is run once more on a window centred on each
    /// wrap-around seam; this is the mean absolute difference (0..1) between
    /// that and the result next to the seam — ≈ 0 when the result tiles, as
    /// large as an edge artefact when it does not. -1 outside seamless mode.
    double seam_error = -1;
    /// The seam's discontinuity and the interior's, from `seam_steps` (content-dependent).
    double seam_step = 0;
    double interior_step = 0;
    double milliseconds = 0;
};

struct UpscaleResult {
    Image image;
    UpscaleStats stats;
};

/// Upscales `src` by the model's scale. Errors: invalid_argument (model is
/// not an image-to-image model, channel count), cancelled, limit_exceeded
/// (memory), and any model error. Nothing is returned half-done.
Result<UpscaleResult> upscale(ml::Model& model, const Image& src, const UpscaleOptions& options = {});

/// The tile side `upscale` picks for a model, budget and overlap.
int choose_tile(const ml::Model& model, std::uint64_t memory_budget, ml::Precision precision, int overlap);

/// Discontinuity at the wrap-around seams and, for comparison, between
/// interior neighbours, as {seam, interior} (0..1 units). The jump between
/// neighbours is their step minus the mean of the steps on either side, so
/// smooth gradients and textures score low and edges high.
std::pair<double, double> seam_steps(const Image& image);

/// PSNR in dB over all channels (values normalised to 0..1); +inf if equal.
/// Errors when sizes or channel counts differ.
Result<double> psnr(const Image& a, const Image& b);
/// Mean SSIM of the luma (Gaussian 11×11, σ = 1.5).
Result<double> ssim(const Image& a, const Image& b);

}  // namespace atelier::ops
