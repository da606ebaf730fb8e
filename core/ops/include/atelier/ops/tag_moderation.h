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
#include <filesystem>
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
/// the statistical style tagger), embedding.dims and embedding (the
/// L2-normalised features as a vector value, for "more like this").
/// `model_hash` is the SHA-256 of the weights file; `version` the model's
/// version.
std::unique_ptr<Tagger> make_moderation_tagger(std::shared_ptr<ml::Model> model, std::string model_hash,
                                               std::string model_version);

/// The same tagger over several instances of the model (loaded separately,
/// e.g. one per worker thread with one intra-op thread each): concurrent
/// `tag` / `tag_batch` calls run on different instances in parallel instead
/// of queueing on one model's lock. Null when `models` holds no model.
std::unique_ptr<Tagger> make_moderation_tagger(std::vector<std::shared_ptr<ml::Model>> models, std::string model_hash,
                                               std::string model_version);

/// How many model instances and intra-op threads per instance suit tagging
/// on `cores` CPU cores with `configured_threads` (`ml.threads`; 0 =
/// adaptive): on the CPU one instance per core with one thread each — the
/// images of a folder are independent, so data parallelism across worker
/// threads scales without OpenMP barriers and without oversubscription (the
/// worker threads are the only threads); a configured thread count T > 1
/// gives cores / T instances of T threads. On a GPU one instance.
struct ModelPoolPlan {
    int instances = 1;
    int threads_per_instance = 1;
};
ModelPoolPlan tagging_model_pool_plan(unsigned cores, int configured_threads, bool gpu);

/// The installed nsfwjs MobileNetV2, verified and loaded for tagging on
/// `workers` worker threads (`tagging_model_pool_plan`), and the moderation
/// tagger over it. Shared by `atelier tag` and the library's auto-tagger.
struct ModerationSetup {
    std::shared_ptr<ml::Runtime> runtime;            ///< keeps the models' runtime alive
    std::vector<std::shared_ptr<ml::Model>> models;  ///< the instances (at least one)
    std::unique_ptr<Tagger> tagger;                  ///< "moderation" over all instances
    std::string weights_hash;                        ///< SHA-256 (hex) of the weights shard
    std::string version;                             ///< the model's version
};
/// Errors: not_found (not installed: the message says how to install it),
/// corrupt_data (verification), and the runtime's own errors.
/// `configured_threads` is `ml.threads` (0 = one per instance on the CPU).
Result<ModerationSetup> load_moderation(const std::vector<std::filesystem::path>& model_dirs, const std::string& device,
                                        int configured_threads, unsigned workers, const CancelToken& cancel = {});

}  // namespace atelier::ops
