// SPDX-License-Identifier: MIT
#pragma once

/// \file autotag.h
/// The library's auto-tagger: `catalog::AutoTagger` made of the `core/ops`
/// taggers — specs, seamless, palette, style, hash, and nsfwjs moderation
/// when its model is installed. Used by the CLI (`atelier import`, `atelier
/// retag`) and the desktop app; the catalog only sees the hook.
///
/// What reaches the library: every tag as name / value (text) / confidence /
/// source ("id@version") / model hash, except `hash.*` (stored as perceptual
/// hashes for "more like this") and `embedding.dims`. With the moderation
/// model, the L2-normalised MobileNetV2 embedding is stored as well (model
/// key "moderation@<version>#<weights sha256, 16 digits>"), taken from the
/// moderation tagger's "embedding" tag (one forward pass per image). On the
/// CPU the model is loaded once per tagging thread (one intra-op thread
/// each; `ops::tagging_model_pool_plan`).
///
/// Thread safety: the returned tagger's `tag` may be called from several
/// threads at once (the model serialises its own runs).

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "atelier/base/result.h"
#include "atelier/catalog/tagger_hook.h"
#include "atelier/imageio/imageio.h"

namespace atelier::autotag {

struct Options {
    /// Add the nsfwjs moderation tagger (and embeddings) when the model is installed.
    bool moderation = true;
    std::vector<std::filesystem::path> model_dirs;  ///< where installed models are looked for
    std::string device;                             ///< `ml.device` ("" = automatic)
    int threads = 0;                                ///< `ml.threads` (0 = one per model instance on the CPU)
    unsigned workers = 0;                           ///< tagging threads that call `tag` (0 = one per core)
    imageio::ImageLimits limits;                    ///< files over these are not decoded
};

/// Builds the tagger. Never fails for a missing model: `note` (when given)
/// then says why moderation is off and how to install it.
Result<std::shared_ptr<catalog::AutoTagger>> make_auto_tagger(const Options& options, std::string* note = nullptr);

}  // namespace atelier::autotag
