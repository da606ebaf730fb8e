// SPDX-License-Identifier: MIT
#include "atelier/provenance/export.h"

#include "atelier/base/hash.h"
#include "atelier/provenance/log.h"

namespace atelier::provenance {

Result<SignResult> sign_export(const std::filesystem::path& file, const ExportSigning& how) {
    // The format first: nothing is created (keys, log) for a file that cannot carry credentials.
    auto data = read_file_bytes(file);
    if (!data) return data.error();
    if (auto fmt = detect_format(*data); !fmt) return fmt.error();
    ManifestSpec spec;
    spec.title = file.filename().string();
    for (std::size_t i = 0; i < how.parents.size(); ++i) {
        auto bytes = read_file_bytes(how.parents[i]);
        if (!bytes) return bytes.error();
        const std::string title =
            i < how.parent_titles.size() ? how.parent_titles[i] : how.parents[i].filename().string();
        spec.ingredients.push_back({std::move(*bytes), title, "parentOf"});
    }
    if (spec.ingredients.empty())
        spec.actions.push_back({"c2pa.created", how.digital_source_type, nlohmann::json::object(), {}, ""});
    else
        spec.actions.push_back({"c2pa.opened", "", nlohmann::json::object(), {0}, ""});
    for (const auto& a : how.actions)
        spec.actions.push_back(a);
    spec.generation = how.generation;
    spec.license = how.license;
    if (how.thumbnail && !how.thumbnail->data.empty()) spec.thumbnail = how.thumbnail;

    KeyStore keys(how.keys_dir.empty() ? KeyStore::default_dir() : how.keys_dir);
    auto id = keys.identity();
    if (!id) return id.error();
    auto r = sign_asset(*data, spec, *id);
    if (!r) return r.error().with_context("signing " + file.string());
    ATELIER_TRY(write_file_atomic(file, r->asset));
    if (how.log_db != "-") {
        auto log = ProvenanceLog::open(how.log_db.empty() ? ProvenanceLog::default_path() : how.log_db, *id);
        if (!log) return log.error().with_context("signed " + file.string() + ", but the provenance log");
        nlohmann::json details = {{"file", file.filename().string()}};
        nlohmann::json parents = nlohmann::json::array();
        for (const auto& ing : spec.ingredients)
            parents.push_back(ing.title);
        details["parents"] = parents;
        nlohmann::json acts = nlohmann::json::array();
        for (const auto& a : spec.actions)
            acts.push_back(a.action);
        details["actions"] = acts;
        auto e = log->append(how.log_action, to_hex(sha256(r->asset)), r->manifest_label, details);
        if (!e) return e.error().with_context("signed " + file.string() + ", but the provenance log");
    }
    return r;
}

}  // namespace atelier::provenance
