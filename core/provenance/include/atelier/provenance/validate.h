// SPDX-License-Identifier: MIT
#pragma once
/// \file validate.h
/// Reading and validating Content Credentials the way the C2PA reference
/// implementation does: claim signature, every hashed URI, the data hash
/// (hard binding), the certificate profile and chain against trust anchors,
/// and ingredient manifests recursively. Results use the standard status
/// codes (`claimSignature.validated`, `assertion.dataHash.mismatch`,
/// `signingCredential.untrusted`, ...) and a JSON report shaped like the
/// reference's (`active_manifest`, `manifests`, `validation_results`,
/// `validation_state`). Reentrant; no network access (remote manifests are
/// reported, not fetched).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/provenance/cbor.h"
#include "atelier/provenance/crypto.h"

namespace atelier::provenance {

/// One status: a standard code, the JUMBF URI it is about, a sentence.
struct Status {
    std::string code;
    std::string url;
    std::string explanation;
};

struct StatusCodes {
    std::vector<Status> success;
    std::vector<Status> informational;
    std::vector<Status> failure;
    bool has_failure(std::string_view code) const;
    bool has_success(std::string_view code) const;
};

struct IngredientDelta {
    std::string ingredient_assertion_uri;
    StatusCodes deltas;
};

enum class ValidationState {
    no_manifest,  ///< nothing embedded (maybe a remote reference)
    unreadable,   ///< a manifest is present but cannot be processed (e.g. unknown algorithm)
    invalid,      ///< a failure code other than an untrusted credential
    valid,        ///< well-formed and cryptographically intact, signer not trusted
    trusted,      ///< valid and the signer chains to a configured anchor
};
std::string_view state_name(ValidationState s);

struct ValidationReport {
    ValidationState state = ValidationState::no_manifest;
    std::optional<std::string> remote_url;  ///< XMP reference to a remote manifest (not fetched)
    std::string error;                      ///< why it is unreadable
    std::string active_label;
    StatusCodes active;
    std::vector<IngredientDelta> ingredient_deltas;
    nlohmann::json manifests = nlohmann::json::object();  ///< label -> summary, as the reference prints it
    /// The whole report as JSON (reference layout plus "state").
    nlohmann::json to_json() const;
};

struct ValidationOptions {
    std::vector<Certificate> trust_anchors;  ///< empty: every signer is "untrusted"
    std::size_t max_ingredient_depth = 16;
};

/// Validates the manifest embedded in `asset` (PNG, JPEG, TIFF, WebP). Never fails:
/// a damaged file yields state `unreadable` with the reason.
ValidationReport validate_asset(ByteView asset, const ValidationOptions& options = {});
/// File form; an unreadable path is an error.
Result<ValidationReport> validate_file(const std::filesystem::path& file, const ValidationOptions& options = {});

}  // namespace atelier::provenance
