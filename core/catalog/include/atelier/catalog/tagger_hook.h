// SPDX-License-Identifier: MIT
#pragma once

/// \file tagger_hook.h
/// The seam through which the auto-taggers feed the library. The catalog runs
/// no image analysis itself (it must not depend on `core/ops` or the ML
/// runtime): the application wires an implementation in — `atelier::autotag`
/// (core/autotag) adapts the `core/ops` taggers — and hands it to
/// `Library::tag_assets` / `Library::queue_tagging`.
///
/// Versioning: `taggers()` names every tagger with its version and model hash.
/// The library stores, per asset, which of those tagged it; an asset tagged by
/// another set (a tagger's version bumped, a model installed or updated) is
/// "stale" and is tagged again by the next pass.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "atelier/base/cancel.h"
#include "atelier/base/result.h"
#include "atelier/catalog/types.h"

namespace atelier::catalog {

/// One tagger an AutoTagger runs.
struct TaggerStamp {
    std::string id;          ///< "palette", "moderation", ...
    int version = 1;         ///< bumped by the tagger whenever its output may change
    std::string model_hash;  ///< SHA-256 (hex) of its model weights; empty for statistical taggers
    /// "id@version", the `Tag::source` of its tags.
    [[nodiscard]] std::string qualified() const { return id + "@" + std::to_string(version); }
};

/// Perceptual hashes of one image (64-bit DCT pHash, of its mirror image, dHash).
struct PerceptualHashes {
    std::uint64_t phash = 0;
    std::uint64_t phash_mirrored = 0;
    std::uint64_t dhash = 0;
};

/// What the taggers found in one file.
struct AutoTagResult {
    /// Tags with `source` = "id@version" and, for learned taggers, `model_hash`.
    std::vector<Tag> tags;
    /// Stored for "more like this" when set; `hashes_source` is the hash
    /// tagger's "id@version" (hashes of other algorithms are never compared).
    std::optional<PerceptualHashes> hashes;
    std::string hashes_source;
    /// A visual embedding (any length) and the model that made it
    /// ("id@version#model-hash"); empty when no embedding model is installed.
    std::string embedding_model;
    std::vector<float> embedding;
    /// Taggers that could not tag this image: "tagger: why".
    std::vector<std::string> problems;
};

/// Runs the taggers over a file. Implementations must be thread-safe (the
/// library calls `tag` from several worker threads at once) and must not
/// throw.
class AutoTagger {
public:
    virtual ~AutoTagger() = default;
    /// The taggers `tag` runs, in a stable order.
    [[nodiscard]] virtual std::vector<TaggerStamp> taggers() const = 0;
    /// Decodes `file` and tags it. An Error when the file cannot be decoded at
    /// all; a single tagger's failure is a `problems` entry instead.
    virtual Result<AutoTagResult> tag(const std::filesystem::path& file, const CancelToken& cancel) = 0;
};

/// The canonical text of a set of stamps ("hash@1,moderation@1#ab12…,…"),
/// stored per asset to tell whether it is current. Pure; thread-safe.
std::string stamps_key(const std::vector<TaggerStamp>& stamps);

}  // namespace atelier::catalog
