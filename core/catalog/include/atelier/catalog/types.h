// SPDX-License-Identifier: MIT
#pragma once

/// \file types.h
/// Plain value types of the asset library, shared by the C++ API, the CLI and
/// the desktop app's view models. No SQLite types appear here.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "atelier/base/result.h"

namespace atelier::catalog {

using AssetId = std::int64_t;

/// Where an asset came from.
enum class SourceType { generated, imported, purchased, derived };
std::string_view source_type_name(SourceType s) noexcept;
std::optional<SourceType> parse_source_type(std::string_view s) noexcept;

/// How the library holds the file: a copy in its content-addressed blob store,
/// or a reference to the original file left where it is.
enum class Storage { blob, reference };

/// Generation metadata as written by a generator (ours or another tool).
/// Seeds go up to 2^64−1 in these tools, so they are kept as decimal text.
struct GenerationInfo {
    std::string tool;  ///< "automatic1111", "comfyui", "invokeai", "fooocus", "novelai", "atelier", ...
    std::string model;
    std::string model_hash;
    std::string prompt;
    std::string negative_prompt;
    std::string seed;  ///< decimal, empty when unknown
    std::optional<int> steps;
    std::string sampler;
    std::optional<double> cfg_scale;
    std::string workflow;  ///< the tool's workflow/graph JSON when it wrote one
    std::string raw;       ///< the original text the fields came from (bounded)

    [[nodiscard]] bool empty() const noexcept {
        return tool.empty() && model.empty() && prompt.empty() && seed.empty() && !steps && sampler.empty();
    }
};

/// A tag from a tagger (or a person): `name` alone ("floral") or a name with
/// a value ("color" = "navy"). Names `color`, `style` and `seamless` also
/// feed the asset's facet columns.
struct Tag {
    std::string name;
    std::string value;
    double confidence = 1.0;  ///< 0..1
    std::string source;       ///< tagger id and version, or "user"
    std::string model_hash;   ///< SHA-256 of the tagger's model weights; empty for statistical taggers
};

/// One parent of a derived asset.
struct Derivation {
    AssetId parent = 0;
    std::string operation;   ///< "upscale", "recolour", "compose", ...
    std::string parameters;  ///< JSON text
};

/// C2PA summary supplied by the provenance module through the import hook.
struct ProvenanceSummary {
    std::string claim_generator;
    std::string manifest_label;
    std::string validation;     ///< "valid", "invalid: ...", "untrusted", ...
    std::string manifest_json;  ///< the manifest store as JSON (bounded)
};

/// Everything the library knows about one asset.
struct Asset {
    AssetId id = 0;
    std::string hash;  ///< SHA-256 of the file, lower-case hex
    Storage storage = Storage::blob;
    std::filesystem::path path;           ///< where the file is now (blob or original)
    std::filesystem::path original_path;  ///< where it was imported from
    std::string title;
    std::string description;
    int width = 0;
    int height = 0;
    std::string format;  ///< "png", "jpeg", ...
    std::uint64_t file_bytes = 0;
    SourceType source = SourceType::imported;
    std::int64_t created_at = 0;   ///< unix seconds
    std::int64_t imported_at = 0;  ///< unix seconds
    std::string licence;           ///< licence id ("commercial", "personal", "cc-by-4.0", ...)
    int rating = 0;                ///< 0 (unrated) .. 5
    std::optional<bool> seamless;
    std::string color_family;
    std::string style;
    std::string model;  ///< model id, for the facet (also in `generation`)
    std::optional<GenerationInfo> generation;
    std::vector<Tag> tags;
    std::vector<std::string> keywords;
    std::vector<std::string> collections;
    std::vector<Derivation> parents;
    std::optional<std::uint64_t> phash;
    std::optional<ProvenanceSummary> provenance;
};

/// What to write when adding an asset that the app made (generated or derived).
struct NewAsset {
    std::filesystem::path file;
    Storage storage = Storage::blob;
    SourceType source = SourceType::generated;
    std::string title;
    std::string description;
    std::string licence;
    std::optional<GenerationInfo> generation;
    std::vector<Tag> tags;
    std::vector<std::string> keywords;
    std::vector<Derivation> parents;
};

/// One row of a result page: enough for a grid cell and the CLI.
struct AssetSummary {
    AssetId id = 0;
    std::string hash;
    std::string title;
    std::filesystem::path path;
    int width = 0;
    int height = 0;
    std::string format;
    int rating = 0;
    std::int64_t created_at = 0;
    /// Tag names ("floral", "color:navy") and keywords; tags valued by a
    /// number, `#rrggbb` colour or hex hash are left out (`Library::get` has them).
    std::vector<std::string> tags;
};

/// A page of search results. `next_cursor` is empty on the last page.
struct Page {
    std::vector<AssetSummary> items;
    std::string next_cursor;
    std::optional<std::int64_t> total;  ///< when asked for
};

/// Facet counts for the sidebar: facet name → (value → count), values by
/// descending count. Facets: color, style, seamless, source, licence,
/// resolution, model.
struct FacetCounts {
    std::map<std::string, std::vector<std::pair<std::string, std::int64_t>>> facets;
};

/// Outcome of importing one file.
struct ImportEntry {
    std::filesystem::path path;
    enum class Status { added, duplicate, skipped, failed } status = Status::added;
    AssetId id = 0;                     ///< the new or existing asset
    std::string reason;                 ///< why skipped/failed (or which metadata was ignored)
    std::vector<std::string> warnings;  ///< metadata that was ignored, with reasons
};
std::string_view import_status_name(ImportEntry::Status s) noexcept;

struct ImportReport {
    std::vector<ImportEntry> entries;
    std::size_t added = 0;
    std::size_t duplicates = 0;
    std::size_t skipped = 0;
    std::size_t failed = 0;
    bool cancelled = false;
    /// Set when the import had to stop (disk full, database error): what was
    /// committed before stays; the files from the failed batch are listed as
    /// failed and a re-run adds them.
    std::optional<Error> stopped;
};

/// A similar asset and its distance (Hamming bits for phash, 1 − cosine for embeddings).
struct Neighbour {
    AssetId id = 0;
    double distance = 0;
};

}  // namespace atelier::catalog
