// SPDX-License-Identifier: MIT
#pragma once
/// \file manifest.h
/// Writing Content Credentials: a C2PA 2.x manifest (claim `c2pa.claim.v2`,
/// `c2pa.actions.v2`, `c2pa.ingredient.v3`, `c2pa.hash.data`, thumbnail and
/// Atelier's own assertions) signed with COSE_Sign1 and embedded into a PNG,
/// JPEG, TIFF or WebP at the byte level — pixels are never decoded or re-encoded.
///
/// Ingredients carry their own manifests: every manifest of a parent's
/// store is copied into the new store and referenced by hashed URIs, so
/// validators can walk the history. All functions are reentrant.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/base/hash.h"
#include "atelier/provenance/cbor.h"
#include "atelier/provenance/container.h"
#include "atelier/provenance/crypto.h"

namespace atelier::provenance {

/// IPTC digital source types (https://cv.iptc.org/newscodes/digitalsourcetype/).
namespace digital_source {
inline constexpr const char* trained_algorithmic =
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
inline constexpr const char* algorithmic = "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia";
inline constexpr const char* composite_trained =
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia";
inline constexpr const char* digital_capture = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture";
}  // namespace digital_source

/// One entry of `c2pa.actions.v2`.
struct ActionSpec {
    std::string action;               ///< "c2pa.created", "c2pa.edited", "c2pa.resized", "c2pa.placed", ...
    std::string digital_source_type;  ///< IPTC URI (required for c2pa.created)
    nlohmann::json parameters = nlohmann::json::object();
    std::vector<std::size_t> ingredients;  ///< indexes into ManifestSpec::ingredients
    std::string description;
};

/// A parent or component asset. Its manifest store, if any, travels along.
struct IngredientSpec {
    Bytes asset;                            ///< the whole file
    std::string title;                      ///< file name shown to people
    std::string relationship = "parentOf";  ///< parentOf | componentOf | inputTo
};

/// An embedded thumbnail (already encoded; encoding pixels is the caller's job).
struct ThumbnailSpec {
    std::string format = "image/jpeg";
    Bytes data;
};

/// Everything that goes into one manifest.
struct ManifestSpec {
    std::string title;
    std::vector<ActionSpec> actions;
    std::vector<IngredientSpec> ingredients;
    std::optional<nlohmann::json> generation;  ///< org.atelier.generation (model, prompt, seed, steps, ...)
    std::optional<nlohmann::json> license;     ///< org.atelier.license (terms, licensor, scope)
    std::vector<std::pair<std::string, nlohmann::json>> extra_assertions;  ///< more CBOR assertions by label
    std::optional<ThumbnailSpec> thumbnail;
    std::string generator_name = "Atelier";
    std::string generator_version;  ///< defaults to the build's version
};

/// What was written.
struct SignResult {
    Bytes asset;                 ///< the signed file
    std::string manifest_label;  ///< urn:c2pa:<uuid>
    std::size_t manifest_size = 0;
    Sha256Digest data_hash{};
};

/// Signs `asset` (PNG, JPEG, TIFF or WebP): strips any existing manifest, builds and
/// embeds a new one. A spec problem (no actions, bad ingredient index, an
/// ingredient whose container is damaged) is Errc::invalid_argument /
/// Errc::corrupt_data with a message naming it.
Result<SignResult> sign_asset(ByteView asset, const ManifestSpec& spec, const SigningIdentity& id);

/// File form: reads `in`, signs, writes `out` atomically (temp + rename).
Result<SignResult> sign_file(const std::filesystem::path& in, const std::filesystem::path& out,
                             const ManifestSpec& spec, const SigningIdentity& id);

/// Reads a whole file (Errc::not_found / io_error with the path).
Result<Bytes> read_file_bytes(const std::filesystem::path& file);
/// Writes atomically (temp file in the same directory + rename).
Result<void> write_file_atomic(const std::filesystem::path& file, ByteView data);

}  // namespace atelier::provenance
