// SPDX-License-Identifier: MIT
#pragma once
/// \file export.h
/// Signing where an asset leaves the app: one call that signs an exported
/// PNG/JPEG/TIFF/WebP in place with the user's identity (created on first use), carries
/// the source files' credentials as parentOf ingredients, and records the
/// export in the provenance log. Used by `atelier export`, `atelier convert`
/// and `atelier upscale` (signed by default) and meant for every other export
/// path (pipeline, studio, market upload).
#include <filesystem>
#include <vector>

#include "atelier/provenance/manifest.h"

namespace atelier::provenance {

struct ExportSigning {
    std::vector<std::filesystem::path> parents;  ///< source files, in order
    std::vector<std::string> parent_titles;      ///< ingredient titles (default: the parents' file names)
    std::vector<ActionSpec> actions;             ///< after the automatic c2pa.opened (or c2pa.created without parents)
    std::string digital_source_type = digital_source::algorithmic;  ///< for c2pa.created without parents
    std::optional<nlohmann::json> generation;
    std::optional<nlohmann::json> license;
    /// Embedded as c2pa.thumbnail.claim.png/.jpeg (encoded by the caller,
    /// e.g. the library's thumbnail); none when empty.
    std::optional<ThumbnailSpec> thumbnail;
    std::filesystem::path keys_dir;  ///< default KeyStore::default_dir()
    std::filesystem::path log_db;    ///< default ProvenanceLog::default_path(); "-" to skip the log
    std::string log_action = "export";
};

/// Signs `file` in place (atomic replace). Errors name the file; a format
/// without C2PA support here (not PNG/JPEG/TIFF/WebP) is Errc::unsupported.
/// A parent in such a format is still listed as an ingredient (without
/// credentials of its own).
Result<SignResult> sign_export(const std::filesystem::path& file, const ExportSigning& how);

}  // namespace atelier::provenance
