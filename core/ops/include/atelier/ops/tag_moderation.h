// SPDX-License-Identifier: MIT
#pragma once

/// \file tag_moderation.h
/// Moderation and visual embeddings with the nsfwjs MobileNetV2 model (a
/// Keras layers-model from npm, run by the `ml` runtime's interpreter).
///
/// Preprocessing is nsfwjs 4.4.0's `NSFWJS.infer`: the 8-bit RGB pixels (as
/// `tf.browser.fromPixels` gives them: alpha ignored, 16-bit and float
/// images rounded to 8 bits first, gray replicated) divided by 255 in
/// float32, resized to 224×224 with TensorFlow.js's `resizeBilinear`
/// (alignCorners = true) unless already 224×224, batch of one.
/// Output: the softmax over drawing, hentai, neutral, porn, sexy.
/// The visual embedding is the L2-normalised output of `flatten_1`, the
/// 1280-wide global-average-pooled MobileNetV2 features in front of nsfwjs's
/// classifier head (the backbone's penultimate features).
///
/// Thread safety: the functions are reentrant; the model serialises runs.

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/ml/runtime.h"
#include "atelier/ops/tagger.h"

namespace atelier::ops {

inline constexpr int kNsfwInputSize = 224;
inline constexpr std::array<std::string_view, 5> kModerationClasses = {"drawing", "hentai", "neutral", "porn", "sexy"};
/// The layer whose output is the visual embedding.
inline constexpr std::string_view kEmbeddingLayer = "flatten_1";

struct Moderation {
    std::array<double, 5> probabilities{};  ///< in kModerationClasses order, sum ≈ 1
    std::vector<float> embedding;           ///< L2-normalised; empty unless asked for
};

/// nsfwjs's input tensor for one image: (1, 224, 224, 3) float in 0..1.
/// Errors for an empty image.
Result<ml::TensorF32> nsfwjs_input(const Image& image);

/// Runs the model on a batch of images (one forward pass). Errors from the
/// model (wrong model: its output is not 5 classes) name the model.
Result<std::vector<Moderation>> moderate(ml::Model& model, const std::vector<const Image*>& images,
                                         bool with_embedding = true, const CancelToken& cancel = {});

/// Cosine similarity of two L2-normalised embeddings (their dot product).
double embedding_similarity(const std::vector<float>& a, const std::vector<float>& b);

/// The moderation tagger ("moderation"): moderation.<class> probabilities,
/// moderation.rating (safe / suggestive / explicit), style.drawn (drawing +
/// hentai: the model's drawn-versus-photographed signal, which complements
/// the statistical style tagger) and embedding.dims. `model_hash` is the
/// SHA-256 of the weights file; `version` the model's version.
std::unique_ptr<Tagger> make_moderation_tagger(std::shared_ptr<ml::Model> model, std::string model_hash,
                                               std::string model_version);

}  // namespace atelier::ops
