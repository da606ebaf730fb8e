// SPDX-License-Identifier: MIT
#pragma once

/// \file tagger.h
/// Auto-tagging: the tagger interface that built-in taggers (and, later,
/// plugins) implement, and the pipeline that runs every tagger over an image.
///
/// A tagger looks at one image (plus optional facts about the file it came
/// from) and produces tags: a name, a typed value, a confidence and the
/// provenance of the tag (tagger id@version and, for learned taggers, the
/// SHA-256 of the model weights). Taggers never modify the image.
///
/// Thread safety: `Tagger::tag` is const and must be safe to call from several
/// threads at once; `TagPipeline::run` is const and thread-safe once built.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "atelier/base/cancel.h"
#include "atelier/base/result.h"
#include "atelier/image/image.h"

namespace atelier::ops {

/// A tag's value: a flag, a count, a measurement, a word, or a vector (a
/// learned tagger's visual embedding, "embedding": kept with the report so
/// that callers need no second forward pass; not meant for display).
using TagValue = std::variant<bool, std::int64_t, double, std::string, std::vector<float>>;

/// One tag. Names are dotted lower-case paths ("seamless.horizontal",
/// "palette.1.name"); the same name never appears twice in one report.
struct Tag {
    std::string name;
    TagValue value;
    double confidence = 1.0;  ///< 0..1; facts read from the file are 1
    std::string tagger;       ///< "<id>@<version>" of the tagger that produced it
    std::string model_hash;   ///< SHA-256 (hex) of the model weights; empty for statistical taggers
};

/// Value as text (bools "true"/"false", doubles with up to 6 significant
/// digits, vectors as "[N values]").
std::string tag_value_string(const TagValue& value);

/// What a tagger is: stable id, version (bumped whenever its output for the
/// same input may change), a one-line description and the model hash.
struct TaggerInfo {
    std::string id;
    int version = 1;
    std::string description;
    std::string model_hash;
    [[nodiscard]] std::string qualified() const { return id + "@" + std::to_string(version); }
};

/// Facts about the file an image was read from (the caller fills them from
/// `imageio::ImageInfo`; `ops` does not read files itself).
struct FileFacts {
    std::string format;                  ///< "png", "jpeg", ...
    std::uint64_t file_bytes = 0;        ///< size on disk
    int bits_per_sample = 0;             ///< as stored in the file; 0 = unknown
    int frames = 1;                      ///< subimages; the first is tagged
    std::optional<double> pixel_aspect;  ///< width/height of one pixel; nullopt = from DPI or 1
};

/// The analysis view every tagger may use: the image as float sRGB RGBA
/// (gray replicated, alpha 1 where the image has none, NaN/Inf and HDR
/// values clamped to 0..1), area-averaged so that its longer side is at most
/// `TagInput::kPreviewSide`. Area averaging over exact pixel partitions keeps
/// a seamless tile seamless.
struct TagInput {
    static constexpr int kPreviewSide = 256;
    const Image& image;               ///< the full-resolution image, as loaded
    const Image& preview;             ///< f32, 4 channels, see above
    const FileFacts* file = nullptr;  ///< may be null (image not from a file)
    CancelToken cancel;
};

/// The interface every tagger implements. Implementations must be stateless
/// after construction (or synchronise internally): `tag` is called
/// concurrently. Failure: an Error saying why this image cannot be tagged by
/// this tagger (too small, no visible pixels...); the pipeline records it and
/// carries on with the other taggers.
class Tagger {
public:
    virtual ~Tagger() = default;
    [[nodiscard]] virtual const TaggerInfo& info() const noexcept = 0;
    [[nodiscard]] virtual Result<std::vector<Tag>> tag(const TagInput& input) const = 0;
    /// Tags several images at once, one result per input in order. The
    /// default calls `tag` for each; learned taggers override it to run one
    /// batched forward pass. Same thread-safety rules as `tag`.
    [[nodiscard]] virtual std::vector<Result<std::vector<Tag>>> tag_batch(
        const std::vector<const TagInput*>& inputs) const;

protected:
    /// Builds a tag stamped with this tagger's id@version and model hash.
    [[nodiscard]] Tag make_tag(std::string name, TagValue value, double confidence = 1.0) const;
};

/// Builds the analysis preview described at `TagInput` (f32 RGBA, longer side
/// ≤ max_side). Errors for an empty image.
Result<Image> make_preview(const Image& image, int max_side = TagInput::kPreviewSide);

/// A tagger that could not tag an image, and why.
struct TaggerProblem {
    std::string tagger;  ///< id@version
    Error error;
};

/// Everything the pipeline found for one image.
struct TagReport {
    std::vector<Tag> tags;
    std::vector<TaggerProblem> problems;
    /// Wall time per tagger (id, milliseconds), in run order; "preview" first.
    std::vector<std::pair<std::string, double>> timings_ms;

    /// The tag with this name, or null.
    [[nodiscard]] const Tag* find(std::string_view name) const noexcept;
};

/// An ordered set of taggers run over each image. Owns its taggers.
class TagPipeline {
public:
    TagPipeline() = default;
    TagPipeline(TagPipeline&&) noexcept = default;
    TagPipeline& operator=(TagPipeline&&) noexcept = default;

    /// The built-in statistical taggers: specs, seamless, palette, style, hash.
    static TagPipeline with_builtin_taggers();

    /// Adds a tagger (run after those already added). Errors (conflict) when
    /// a tagger with the same id is already present.
    Result<void> add(std::unique_ptr<Tagger> tagger);
    [[nodiscard]] const std::vector<std::unique_ptr<Tagger>>& taggers() const noexcept { return m_taggers; }

    /// Runs every tagger over `image`. Errors only when the image itself is
    /// unusable (empty) or the run was cancelled; a tagger that fails adds a
    /// `TaggerProblem` instead.
    [[nodiscard]] Result<TagReport> run(const Image& image, const FileFacts* file = nullptr,
                                        const CancelToken& cancel = {}) const;

    /// Runs every tagger over several images, each tagger once over the whole
    /// batch (`Tagger::tag_batch`: the moderation model then makes one
    /// forward pass for the batch). One result per image, in order, as `run`
    /// would give it; `files` is empty or has one entry (may be null) per
    /// image. Report timings are the batch's per-tagger time divided by the
    /// batch size. Errors (for all images) only when cancelled.
    [[nodiscard]] Result<std::vector<Result<TagReport>>> run_batch(const std::vector<const Image*>& images,
                                                                   const std::vector<const FileFacts*>& files = {},
                                                                   const CancelToken& cancel = {}) const;

private:
    std::vector<std::unique_ptr<Tagger>> m_taggers;
};

}  // namespace atelier::ops
