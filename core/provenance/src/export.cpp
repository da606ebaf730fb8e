// SPDX-License-Identifier: MIT
#include "atelier/provenance/export.h"

#include "atelier/base/hash.h"
#include "atelier/provenance/log.h"

namespace atelier::provenance {

Result<SignResult> sign_export(const std::filesystem::path& file, const ExportSigning& how) {
    ManifestSpec spec;
    spec.title = file.filename().string();
    for (std::size_t i = 0; i < how.parents.size(); ++i) {
        auto bytes = read_file_bytes(how.parents[i]);
        if (!bytes) return bytes.error();
        spec.ingredients.push_back({std::move(*bytes), how.parents[i].filename().string(), "parentOf"});
    }
    if (spec.ingredients.empty())
        spec.actions.push_back({"c2pa.created", how.digital_source_type, nlohmann::json::object(), {}, ""});
    else
        spec.actions.push_back({"c2pa.opened", "", nlohmann::json::object(), {0}, ""});
    for (const auto& a : how.actions)
        spec.actions.push_back(a);
    spec.generation = how.generation;
    spec.license = how.license;

    KeyStore keys(how.keys_dir.empty() ? KeyStore::default_dir() : how.keys_dir);
    auto id = keys.identity();
    if (!id) return id.error();
    auto r = sign_file(file, file, spec, *id);
    if (!r) return r.error();
    if (how.log_db != "-") {
        auto log = ProvenanceLog::open(how.log_db.empty() ? ProvenanceLog::default_path() : how.log_db, *id);
        if (!log) return log.error().with_context("signed " + file.string() + ", but the provenance log");
        nlohmann::json details = {{"file", file.filename().string()}};
        nlohmann::json parents = nlohmann::json::array();
        for (const auto& p : how.parents)
            parents.push_back(p.filename().string());
        details["parents"] = parents;
        auto e = log->append(how.log_action, to_hex(sha256(r->asset)), r->manifest_label, details);
        if (!e) return e.error().with_context("signed " + file.string() + ", but the provenance log");
    }
    return r;
}

}  // namespace atelier::provenance
