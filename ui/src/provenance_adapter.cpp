// SPDX-License-Identifier: MIT
#include "provenance_adapter.h"

#include <QVariantList>

#include "atelier/base/config.h"
#include "atelier/provenance/crypto.h"
#include "atelier/provenance/export.h"
#include "atelier/provenance/manifest.h"
#include "atelier/provenance/validate.h"

namespace atelier::ui {

namespace pv = atelier::provenance;

namespace {

// The user's signing keys and local CA: `provenance.keys_dir` when set (as
// the CLI reads it), else the default folder.
std::filesystem::path keys_dir() {
    if (auto cfg = Config::load())
        if (auto dir = cfg->get_string("provenance.keys_dir"); !dir.empty()) return dir;
    return pv::KeyStore::default_dir();
}

pv::ValidationOptions local_trust() {
    pv::ValidationOptions opts;
    const pv::KeyStore keys(keys_dir());
    std::error_code ec;
    if (std::filesystem::exists(keys.ca_cert_path(), ec))
        if (auto anchors = pv::Certificate::load_bundle(keys.ca_cert_path())) opts.trust_anchors = std::move(*anchors);
    return opts;
}

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

std::string json_string(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "Atelier 0.1.0" from claim_generator (v1) or claim_generator_info (v2).
std::string generator_of(const nlohmann::json& man) {
    std::string g = json_string(man, "claim_generator");
    if (g.empty() && man.contains("claim_generator_info") && man["claim_generator_info"].is_array() &&
        !man["claim_generator_info"].empty()) {
        const auto& info = man["claim_generator_info"][0];
        g = json_string(info, "name");
        const auto v = json_string(info, "version");
        if (!v.empty()) g += " " + v;
    }
    return g;
}

class Reader final : public catalog::ProvenanceReader {
public:
    Result<std::optional<catalog::ProvenanceSummary>> read(const std::filesystem::path& file) override {
        const std::string ext = file.extension().string();
        if (ext != ".png" && ext != ".PNG" && ext != ".jpg" && ext != ".jpeg" && ext != ".JPG" && ext != ".JPEG")
            return std::optional<catalog::ProvenanceSummary>{};
        auto rep = pv::validate_file(file, local_trust());
        if (!rep) return rep.error();
        if (rep->state == pv::ValidationState::no_manifest) return std::optional<catalog::ProvenanceSummary>{};
        catalog::ProvenanceSummary s;
        s.manifest_label = rep->active_label;
        if (rep->manifests.contains(rep->active_label))
            s.claim_generator = generator_of(rep->manifests[rep->active_label]);
        s.validation = std::string(pv::state_name(rep->state));
        if (!rep->error.empty()) s.validation += ": " + rep->error;
        s.manifest_json = rep->to_json().dump();
        if (s.manifest_json.size() > 256 * 1024) s.manifest_json.resize(256 * 1024);
        return std::optional<catalog::ProvenanceSummary>(std::move(s));
    }
};

}  // namespace

std::shared_ptr<catalog::ProvenanceReader> make_provenance_reader() {
    return std::make_shared<Reader>();
}

QVariantMap validate_for_panel(const std::filesystem::path& file) {
    auto rep = pv::validate_file(file, local_trust());
    if (!rep) return {{"state", QStringLiteral("unreadable")}, {"error", q(rep.error().message)}};
    QVariantMap m;
    m["state"] = q(std::string(pv::state_name(rep->state)));
    m["error"] = q(rep->error);
    m["activeLabel"] = q(rep->active_label);
    QVariantList failures;
    for (const auto& f : rep->active.failure)
        failures.push_back(QVariantMap{{"code", q(f.code)}, {"explanation", q(f.explanation)}});
    m["failures"] = failures;
    m["successCount"] = static_cast<int>(rep->active.success.size());
    // The chain: the active manifest first, then each ingredient's.
    QVariantList chain;
    std::string label = rep->active_label;
    for (int depth = 0; depth < 16 && !label.empty() && rep->manifests.contains(label); ++depth) {
        const auto& man = rep->manifests[label];
        QVariantMap entry{
            {"label", q(label)}, {"title", q(json_string(man, "title"))}, {"claimGenerator", q(generator_of(man))}};
        QVariantList actions;
        if (man.contains("assertions") && man["assertions"].is_array())
            for (const auto& a : man["assertions"])
                if (json_string(a, "label").rfind("c2pa.actions", 0) == 0 && a.contains("data") &&
                    a["data"].contains("actions"))
                    for (const auto& act : a["data"]["actions"])
                        actions.push_back(QVariantMap{
                            {"action", q(json_string(act, "action"))},
                            {"parameters", act.contains("parameters") ? q(act["parameters"].dump()) : QString()}});
        entry["actions"] = actions;
        QVariantList ingredients;
        std::string next;
        if (man.contains("ingredients") && man["ingredients"].is_array())
            for (const auto& ing : man["ingredients"]) {
                ingredients.push_back(QVariantMap{{"title", q(json_string(ing, "title"))},
                                                  {"relationship", q(json_string(ing, "relationship"))}});
                if (next.empty()) next = json_string(ing, "active_manifest");
            }
        entry["ingredients"] = ingredients;
        chain.push_back(entry);
        label = next;
    }
    m["chain"] = chain;
    return m;
}

Result<void> sign_derived(const std::filesystem::path& in, const std::filesystem::path& out,
                          const std::filesystem::path& parent, const std::string& parent_title,
                          const std::string& title, const std::string& action, const nlohmann::json& parameters) {
    pv::ManifestSpec spec;
    spec.title = title;
    auto parent_bytes = pv::read_file_bytes(parent);
    if (!parent_bytes) return parent_bytes.error();
    spec.ingredients.push_back({std::move(*parent_bytes), parent_title, "parentOf"});
    spec.actions.push_back({"c2pa.opened", "", nlohmann::json::object(), {0}, ""});
    spec.actions.push_back(
        {action, pv::digital_source::composite_trained, parameters, {}, "upscaled with an AI model in Atelier"});
    const pv::KeyStore keys(keys_dir());
    auto id = keys.identity(pv::SigningAlg::es256);
    if (!id) return id.error().with_context("signing key");
    auto r = pv::sign_file(in, out, spec, *id);
    if (!r) return r.error().with_context("signing " + out.filename().string());
    return ok();
}

Result<std::string> sign_library_export(const std::filesystem::path& exported,
                                        const std::filesystem::path& library_file, const std::string& licence,
                                        const std::filesystem::path& thumbnail_png, std::string* unsigned_reason) {
    pv::ExportSigning how;
    how.parents.push_back(library_file);
    how.actions.push_back({"c2pa.published", "", nlohmann::json::object(), {}, "exported from the Atelier library"});
    if (!licence.empty()) how.license = nlohmann::json{{"terms", licence}};
    how.keys_dir = keys_dir();  // the keys the app validates against (local_trust)
    how.log_action = "export";
    if (!thumbnail_png.empty())
        if (auto bytes = pv::read_file_bytes(thumbnail_png); bytes && !bytes->empty())
            how.thumbnail = pv::ThumbnailSpec{"image/png", std::move(*bytes)};
    auto r = pv::sign_export(exported, how);
    if (r) return r->manifest_label;
    if (r.error().code == Errc::unsupported) {
        if (unsigned_reason) *unsigned_reason = r.error().message;
        return std::string();
    }
    std::error_code ec;
    std::filesystem::remove(exported, ec);
    return r.error().with_context("Content Credentials for " + exported.filename().string() +
                                  " (the exported file was removed)");
}

}  // namespace atelier::ui
