// SPDX-License-Identifier: MIT
#pragma once
// Content Credentials on every file that leaves the app: `atelier export`,
// `atelier convert` and `atelier upscale` sign their outputs by default
// (`--no-sign` opts out) through these helpers.
#if ATELIER_HAVE_PROVENANCE
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "atelier/provenance/export.h"
#include "cli.h"

namespace atelier::cli {

/// Signs `file` in place with the user's identity (keys from
/// `provenance.keys_dir`, created on first use), the parents in `how` as
/// ingredients carrying their own credentials, and appends a provenance-log
/// entry. Returns {"signed": true, "manifest": label} or, for a format that
/// cannot carry credentials (EXR, GIF, ...), {"signed": false, "reason": ...}
/// after a note on stderr. Any other failure is an error and `file` is
/// removed (nothing leaves the app half-done).
Result<nlohmann::json> sign_outgoing(Context& ctx, const std::filesystem::path& file, provenance::ExportSigning how);

/// `atelier export`: the library's copy is the parent, the actions are
/// c2pa.opened + c2pa.published, the asset's licence (if any) goes into
/// org.atelier.license; a non-empty `thumbnail_png` (the library's
/// thumbnail) is embedded as c2pa.thumbnail.claim.png (skipped if unreadable).
Result<nlohmann::json> sign_library_export(Context& ctx, const std::filesystem::path& exported,
                                           const std::filesystem::path& library_file, const std::string& licence,
                                           const std::filesystem::path& thumbnail_png = {});

/// One text line about the signature (nothing with --json or --quiet).
void print_signing(const Context& ctx, const nlohmann::json& s);

}  // namespace atelier::cli
#endif
