// SPDX-License-Identifier: MIT
#pragma once

/// \file provenance_adapter.h
/// Content Credentials for the app, through `atelier::provenance` (OpenSSL,
/// no LibTorch): the catalog's import hook (`catalog::ProvenanceReader`), a
/// live validation of a file for the Asset screen's provenance panel, and
/// signing a derived asset with its parent as ingredient. The trust anchor
/// is the local CA in `$XDG_DATA_HOME/atelier/keys/ca.pem` when it exists,
/// so files signed on this machine validate as "trusted".
///
/// Thread safety: every function is reentrant; call them off the GUI thread.

#include <QVariantMap>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "atelier/base/result.h"
#include "atelier/catalog/provenance_hook.h"

namespace atelier::ui {

/// The importer's hook: summary of the embedded manifest, validated.
std::shared_ptr<catalog::ProvenanceReader> make_provenance_reader();

/// Validates `file` now: {state, activeLabel, claimGenerator, actions:
/// [{action, when, parameters}], ingredients: [{title, relationship}],
/// failures: [{code, explanation}], error}. state "no_manifest" when none.
QVariantMap validate_for_panel(const std::filesystem::path& file);

/// Signs `in` into `out` as derived from `parent` (carried as a parentOf
/// ingredient named `parent_title`, with its own credentials): actions
/// c2pa.opened + `action`
/// with `parameters`.
Result<void> sign_derived(const std::filesystem::path& in, const std::filesystem::path& out,
                          const std::filesystem::path& parent, const std::string& parent_title,
                          const std::string& title, const std::string& action, const nlohmann::json& parameters);

/// Signs `exported`, a copy of the library file `library_file` written by
/// `catalog::Library::export_asset`, in place exactly as `atelier export`
/// does: the library's copy as parentOf ingredient, actions c2pa.opened +
/// c2pa.published, `licence` (if any) in org.atelier.license, and an
/// "export" entry in the provenance log. Returns the manifest label, or ""
/// with `*unsigned_reason` set when the format cannot carry credentials
/// (EXR, GIF, ...: the file stays, unsigned). Any other failure removes
/// `exported` (nothing leaves the app half-done) and is returned. A
/// non-empty `thumbnail_png` (the library's thumbnail file) is embedded as
/// the c2pa.thumbnail.claim.png assertion; an unreadable one is skipped.
Result<std::string> sign_library_export(const std::filesystem::path& exported,
                                        const std::filesystem::path& library_file, const std::string& licence,
                                        const std::filesystem::path& thumbnail_png, std::string* unsigned_reason);

}  // namespace atelier::ui
