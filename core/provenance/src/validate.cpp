// SPDX-License-Identifier: MIT
#include "atelier/provenance/validate.h"

#include <algorithm>

#include "atelier/provenance/container.h"
#include "atelier/provenance/cose.h"
#include "atelier/provenance/jumbf.h"
#include "atelier/provenance/manifest.h"

namespace atelier::provenance {

bool StatusCodes::has_failure(std::string_view code) const {
    return std::any_of(failure.begin(), failure.end(), [&](const Status& s) { return s.code == code; });
}
bool StatusCodes::has_success(std::string_view code) const {
    return std::any_of(success.begin(), success.end(), [&](const Status& s) { return s.code == code; });
}

std::string_view state_name(ValidationState s) {
    switch (s) {
        case ValidationState::no_manifest:
            return "NoManifest";
        case ValidationState::unreadable:
            return "Unreadable";
        case ValidationState::invalid:
            return "Invalid";
        case ValidationState::valid:
            return "Valid";
        case ValidationState::trusted:
            return "Trusted";
    }
    return "?";
}

namespace {

/// Thrown inside this file only: the manifest cannot be processed at all.
struct Unreadable {
    std::string code;
    std::string message;
};

nlohmann::json status_json(const std::vector<Status>& list) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& s : list)
        a.push_back({{"code", s.code}, {"url", s.url}, {"explanation", s.explanation}});
    return a;
}
nlohmann::json codes_json(const StatusCodes& c) {
    return {{"success", status_json(c.success)},
            {"informational", status_json(c.informational)},
            {"failure", status_json(c.failure)}};
}

struct HashedUri {
    std::string url;
    Bytes hash;
    std::string alg;
};

std::optional<HashedUri> read_hashed_uri(const Cbor* c) {
    if (!c || !c->is(Cbor::Type::map)) return std::nullopt;
    const Cbor* url = c->find("url");
    const Cbor* hash = c->find("hash");
    if (!url || !url->is(Cbor::Type::text) || !hash || !hash->is(Cbor::Type::bytes)) return std::nullopt;
    HashedUri h{url->as_text(), hash->as_bytes(), {}};
    if (const Cbor* alg = c->find("alg"); alg && alg->is(Cbor::Type::text)) h.alg = alg->as_text();
    return h;
}

std::vector<std::string> split_path(std::string_view p) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= p.size()) {
        const auto end = p.find('/', start);
        const auto part = p.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (!part.empty()) parts.emplace_back(part);
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return parts;
}

class Validator {
public:
    Validator(const JumbfBox& root, const ValidationOptions& opts) : m_root(root), m_opts(opts) {}

    /// Resolves a JUMBF URI relative to `manifest`.
    const JumbfBox* resolve(std::string_view url, const JumbfBox& manifest) const {
        constexpr std::string_view prefix = "self#jumbf=";
        if (url.substr(0, prefix.size()) != prefix) return nullptr;
        url.remove_prefix(prefix.size());
        const JumbfBox* cur = &manifest;
        auto parts = split_path(url);
        std::size_t i = 0;
        if (!url.empty() && url.front() == '/') {
            if (parts.empty() || parts[0] != m_root.label) return nullptr;
            cur = &m_root;
            i = 1;
        }
        for (; i < parts.size() && cur; ++i)
            cur = cur->child(parts[i]);
        return cur;
    }

    /// Validates one manifest. `asset` is set for the active manifest only.
    void validate(const JumbfBox& manifest, const ByteView* asset, const EmbeddedManifest* where, std::size_t depth,
                  StatusCodes& out, std::vector<IngredientDelta>* deltas, nlohmann::json& manifests_json) {
        const std::string prefix = "self#jumbf=/" + m_root.label + "/" + manifest.label;
        nlohmann::json summary = nlohmann::json::object();
        summary["label"] = manifest.label;

        const JumbfBox* claim_box = manifest.child("c2pa.claim.v2");
        int claim_version = 2;
        if (!claim_box) {
            claim_box = manifest.child("c2pa.claim");
            claim_version = 1;
        }
        const BoxView* claim_cbor = claim_box ? claim_box->content_box(fourcc("cbor")) : nullptr;
        if (!claim_cbor) {
            out.failure.push_back({"claim.missing", prefix, "the manifest has no claim"});
            manifests_json[manifest.label] = summary;
            return;
        }
        auto claim = cbor_decode(claim_cbor->payload);
        if (!claim || !claim->is(Cbor::Type::map)) {
            out.failure.push_back({"claim.malformed", prefix + "/" + claim_box->label,
                                   claim ? "the claim is not a CBOR map" : claim.error().message});
            manifests_json[manifest.label] = summary;
            return;
        }
        summary["claim_version"] = claim_version;
        if (const Cbor* t = claim->find("dc:title"); t && t->is(Cbor::Type::text)) summary["title"] = t->as_text();
        if (const Cbor* t = claim->find("instanceID"); t && t->is(Cbor::Type::text))
            summary["instance_id"] = t->as_text();
        if (const Cbor* t = claim->find("dc:format"); t && t->is(Cbor::Type::text)) summary["format"] = t->as_text();
        if (const Cbor* g = claim->find("claim_generator_info")) {
            auto gj = cbor_to_json(*g);
            summary["claim_generator_info"] = gj.is_array() ? gj : nlohmann::json::array({gj});
        }
        if (const Cbor* g = claim->find("claim_generator"); g && g->is(Cbor::Type::text))
            summary["claim_generator"] = g->as_text();
        std::string claim_alg;  // no default: the reference refuses a claim without one (UnknownAlgorithm)
        if (const Cbor* a = claim->find("alg"); a && a->is(Cbor::Type::text)) claim_alg = a->as_text();
        const auto hash_alg = [&](const std::string& uri_alg) {
            if (!uri_alg.empty()) return uri_alg;
            if (claim_alg.empty())
                throw Unreadable{"algorithm.unsupported",
                                 "UnknownAlgorithm: the claim of " + manifest.label + " names no hash algorithm"};
            return claim_alg;
        };

        // --- signature
        const std::string sig_url = prefix + "/c2pa.signature";
        const JumbfBox* sig_box = manifest.child("c2pa.signature");
        const BoxView* sig_cbor = sig_box ? sig_box->content_box(fourcc("cbor")) : nullptr;
        if (!sig_cbor) {
            out.failure.push_back({"claimSignature.missing", sig_url, "the manifest has no signature"});
        } else {
            auto cose = cose_sign1_parse(sig_cbor->payload);
            if (!cose) {
                out.failure.push_back({"claimSignature.mismatch", sig_url, cose.error().message});
            } else {
                if (!cose->alg_id || !alg_from_cose(*cose->alg_id))
                    throw Unreadable{"algorithm.unsupported", "UnknownAlgorithm: the claim signature of " +
                                                                  manifest.label +
                                                                  " uses no algorithm or one C2PA does not allow"};
                const SigningAlg alg = *alg_from_cose(*cose->alg_id);
                std::vector<Certificate> chain;
                bool chain_ok = !cose->x5chain.empty();
                for (const auto& der : cose->x5chain) {
                    auto c = Certificate::from_der(der);
                    if (!c) {
                        chain_ok = false;
                        break;
                    }
                    chain.push_back(std::move(*c));
                }
                if (!chain_ok) {
                    out.failure.push_back(
                        {"signingCredential.invalid", sig_url, "the certificate chain is missing or unreadable"});
                } else {
                    nlohmann::json si = {{"alg", alg_name(alg)},
                                         {"common_name", chain.front().common_name()},
                                         {"issuer", chain.front().issuer_common_name()},
                                         {"cert_serial_number", chain.front().serial_decimal()}};
                    summary["signature_info"] = si;
                    auto good = cose_sign1_verify(*cose, chain.front().public_key(), claim_cbor->payload);
                    const ChainCheck cc = check_chain(chain, m_opts.trust_anchors);
                    if (good && *good) {
                        if (!cc.expired)
                            out.success.push_back({"claimSignature.insideValidity", sig_url, "claim signature valid"});
                        out.success.push_back({"claimSignature.validated", sig_url, "claim signature valid"});
                    } else {
                        out.failure.push_back({"claimSignature.mismatch", sig_url,
                                               good ? "claim signature is not valid" : good.error().message});
                    }
                    if (cc.expired)
                        out.failure.push_back({"signingCredential.expired", sig_url,
                                               "the signing certificate is outside its validity period"});
                    if (!cc.profile_ok) {
                        out.failure.push_back({"signingCredential.invalid", sig_url, cc.profile_problem});
                    } else if (cc.trusted) {
                        out.success.push_back({"signingCredential.trusted", sig_url, "signing certificate trusted"});
                    } else {
                        out.failure.push_back(
                            {"signingCredential.untrusted", sig_url, "signing certificate untrusted"});
                    }
                }
            }
        }

        // --- hashed URIs
        std::vector<HashedUri> refs;
        for (const char* key : {"created_assertions", "gathered_assertions", "assertions"}) {
            const Cbor* list = claim->find(key);
            if (!list || !list->is(Cbor::Type::array)) continue;
            for (const auto& item : list->items()) {
                auto h = read_hashed_uri(&item);
                if (!h) {
                    out.failure.push_back(
                        {"claim.malformed", prefix + "/" + claim_box->label, "an assertion reference is malformed"});
                    continue;
                }
                refs.push_back(std::move(*h));
            }
        }
        nlohmann::json assertions_json = nlohmann::json::array();
        nlohmann::json ingredients_json = nlohmann::json::array();
        std::vector<std::pair<std::string, const JumbfBox*>> ingredient_boxes;
        const JumbfBox* hash_data = nullptr;
        for (const auto& r : refs) {
            const JumbfBox* box = resolve(r.url, manifest);
            std::string label = r.url.substr(r.url.rfind('/') + 1);
            std::string abs_url = prefix;
            abs_url.append("/c2pa.assertions/").append(label);
            if (!box) {
                out.failure.push_back({"assertion.missing", abs_url, "assertion missing: " + r.url});
                continue;
            }
            auto h = digest(hash_alg(r.alg), box->content);
            if (!h) {
                out.failure.push_back({"algorithm.unsupported", abs_url, h.error().message});
                continue;
            }
            if (*h == r.hash) {
                out.success.push_back({"assertion.hashedURI.match", abs_url, "hashed uri matched: " + r.url});
            } else {
                out.failure.push_back(
                    {"assertion.hashedURI.mismatch", abs_url, "hash does not match assertion data: " + r.url});
                continue;
            }
            const std::string base = label.substr(0, label.find("__"));
            const BoxView* cb = box->content_box(fourcc("cbor"));
            if (base == "c2pa.hash.data") {
                hash_data = box;
                continue;
            }
            if (base.rfind("c2pa.ingredient", 0) == 0) {
                ingredient_boxes.emplace_back(abs_url, box);
                continue;
            }
            if (base.rfind("c2pa.thumbnail", 0) == 0) {
                summary["thumbnail"] = {{"identifier", abs_url}};
                continue;
            }
            nlohmann::json entry = {{"label", label}};
            if (cb) {
                auto v = cbor_decode(cb->payload);
                if (!v) {
                    out.failure.push_back({"assertion.cbor.invalid", abs_url, v.error().message});
                    continue;
                }
                entry["data"] = cbor_to_json(*v);
                if (claim_version == 2 && (base == "c2pa.actions.v2" || base == "c2pa.actions"))
                    check_actions(*v, abs_url, out);
            } else if (const BoxView* jb = box->content_box(fourcc("json"))) {
                entry["data"] = nlohmann::json::parse(jb->payload.begin(), jb->payload.end(), nullptr, false);
            }
            assertions_json.push_back(std::move(entry));
        }

        // --- hard binding (active manifest only)
        if (asset) {
            if (!hash_data) {
                out.failure.push_back(
                    {"claim.hardBindings.missing", prefix, "the claim has no c2pa.hash.data hard binding"});
            } else {
                check_data_hash(*hash_data, *asset, where, prefix + "/c2pa.assertions/" + hash_data->label, out);
            }
        }

        // --- ingredients
        for (const auto& [uri, box] : ingredient_boxes) {
            const BoxView* cb = box->content_box(fourcc("cbor"));
            auto v = cb ? cbor_decode(cb->payload) : Result<Cbor>(fail(Errc::corrupt_data, "no CBOR"));
            if (!v || !v->is(Cbor::Type::map)) {
                out.failure.push_back(
                    {"assertion.ingredient.malformed", uri, "ingredient assertion could not be parsed"});
                continue;
            }
            nlohmann::json ij = {{"label", box->label}};
            for (const char* k : {"dc:title", "dc:format", "relationship", "instanceID"})
                if (const Cbor* t = v->find(k); t && t->is(Cbor::Type::text)) {
                    std::string key = k;
                    if (key == "dc:title") key = "title";
                    if (key == "dc:format") key = "format";
                    if (key == "instanceID") key = "instance_id";
                    ij[key] = t->as_text();
                }
            auto active = read_hashed_uri(v->find("activeManifest"));
            if (!active) active = read_hashed_uri(v->find("c2pa_manifest"));
            if (active) {
                IngredientDelta delta{uri, {}};
                const JumbfBox* im = resolve(active->url, manifest);
                if (!im) {
                    delta.deltas.failure.push_back(
                        {"ingredient.manifest.missing", active->url, "ingredient manifest not found in the store"});
                } else {
                    ij["active_manifest"] = im->label;
                    auto h = digest(hash_alg(active->alg), im->content);
                    if (h && *h == active->hash)
                        delta.deltas.success.push_back(
                            {"ingredient.manifest.validated", active->url, "ingredient hash matched"});
                    else
                        delta.deltas.failure.push_back(
                            {"ingredient.manifest.mismatch", active->url, "ingredient hash does not match"});
                    if (auto cs = read_hashed_uri(v->find("claimSignature"))) {
                        const JumbfBox* sb = resolve(cs->url, manifest);
                        auto sh = sb ? digest(hash_alg(cs->alg), sb->content) : Result<Bytes>(Bytes{});
                        if (sb && sh && *sh == cs->hash)
                            delta.deltas.success.push_back({"ingredient.claimSignature.validated", cs->url,
                                                            "ingredient claim signature hash matched"});
                        else
                            delta.deltas.failure.push_back({"ingredient.claimSignature.mismatch", cs->url,
                                                            "ingredient claim signature hash does not match"});
                    }
                    if (depth + 1 <= m_opts.max_ingredient_depth) {
                        StatusCodes sub;
                        validate(*im, nullptr, nullptr, depth + 1, sub, nullptr, manifests_json);
                        for (auto& s : sub.success)
                            delta.deltas.success.push_back(std::move(s));
                        for (auto& s : sub.informational)
                            delta.deltas.informational.push_back(std::move(s));
                        for (auto& s : sub.failure)
                            delta.deltas.failure.push_back(std::move(s));
                    } else {
                        delta.deltas.failure.push_back(
                            {"ingredient.manifest.tooDeep", active->url, "ingredients nested too deep"});
                    }
                }
                if (const Cbor* vr = v->find("validationResults")) ij["validation_results"] = cbor_to_json(*vr);
                if (deltas) deltas->push_back(std::move(delta));
            } else if (deltas) {
                IngredientDelta delta{uri, {}};
                delta.deltas.informational.push_back(
                    {"ingredient.unknownProvenance", uri,
                     ij.value("title", std::string("ingredient")) + ": ingredient does not have provenance"});
                deltas->push_back(std::move(delta));
            }
            ingredients_json.push_back(std::move(ij));
        }
        summary["assertions"] = std::move(assertions_json);
        summary["ingredients"] = std::move(ingredients_json);
        manifests_json[manifest.label] = std::move(summary);
    }

private:
    static void check_actions(const Cbor& actions, const std::string& url, StatusCodes& out) {
        const Cbor* list = actions.find("actions");
        if (!list || !list->is(Cbor::Type::array)) {
            out.failure.push_back({"assertion.action.malformed", url, "actions assertion has no actions list"});
            return;
        }
        for (const auto& a : list->items()) {
            const Cbor* name = a.find("action");
            if (!name || !name->is(Cbor::Type::text)) continue;
            const std::string& n = name->as_text();
            if (n == "c2pa.opened" || n == "c2pa.placed" || n == "c2pa.removed") {
                const Cbor* p = a.find("parameters");
                const Cbor* ing = p ? p->find("ingredients") : nullptr;
                if (!ing || !ing->is(Cbor::Type::array) || ing->items().empty())
                    out.failure.push_back({"assertion.action.ingredientMismatch", url,
                                           "opened, placed and removed items must have ingredient(s) parameters"});
            }
        }
    }

    static void check_data_hash(const JumbfBox& box, ByteView asset, const EmbeddedManifest* where,
                                const std::string& url, StatusCodes& out) {
        const BoxView* cb = box.content_box(fourcc("cbor"));
        auto v = cb ? cbor_decode(cb->payload) : Result<Cbor>(fail(Errc::corrupt_data, "no CBOR content"));
        if (!v || !v->is(Cbor::Type::map)) {
            out.failure.push_back({"assertion.dataHash.malformed", url, "the data hash assertion cannot be read"});
            return;
        }
        const Cbor* hash = v->find("hash");
        if (!hash || !hash->is(Cbor::Type::bytes)) {
            out.failure.push_back({"assertion.dataHash.malformed", url, "the data hash assertion has no hash"});
            return;
        }
        std::string alg = "sha256";
        if (const Cbor* a = v->find("alg"); a && a->is(Cbor::Type::text)) alg = a->as_text();
        std::vector<std::pair<std::size_t, std::size_t>> excl;
        if (const Cbor* ex = v->find("exclusions"); ex && ex->is(Cbor::Type::array)) {
            for (const auto& e : ex->items()) {
                const Cbor* s = e.find("start");
                const Cbor* l = e.find("length");
                if (!s || !l || !s->is(Cbor::Type::unsigned_int) || !l->is(Cbor::Type::unsigned_int)) {
                    out.failure.push_back({"assertion.dataHash.malformed", url, "a data hash exclusion is malformed"});
                    return;
                }
                if (s->raw_uint() > asset.size() || l->raw_uint() > asset.size() - s->raw_uint()) {
                    out.failure.push_back(
                        {"assertion.dataHash.mismatch", url, "the exclusion range exceeds the data length"});
                    return;
                }
                excl.emplace_back(static_cast<std::size_t>(s->raw_uint()), static_cast<std::size_t>(l->raw_uint()));
            }
        }
        std::sort(excl.begin(), excl.end());
        if (where) {
            const bool covered = std::any_of(excl.begin(), excl.end(), [&](const auto& e) {
                return e.first <= where->offset && e.first + e.second >= where->offset + where->length;
            });
            if (!covered) {
                out.failure.push_back({"assertion.dataHash.mismatch", url,
                                       "data hash exclusion does not match the manifest location in the asset"});
                return;
            }
        }
        std::vector<std::pair<std::size_t, std::size_t>> include;
        std::size_t pos = 0;
        for (const auto& [s, l] : excl) {
            if (s > pos) include.emplace_back(pos, s - pos);
            pos = std::max(pos, s + l);
        }
        if (pos < asset.size()) include.emplace_back(pos, asset.size() - pos);
        auto h = digest_ranges(alg, asset, include);
        if (!h) {
            out.failure.push_back({"algorithm.unsupported", url, h.error().message});
            return;
        }
        if (*h == hash->as_bytes())
            out.success.push_back({"assertion.dataHash.match", url, "data hash valid"});
        else
            out.failure.push_back(
                {"assertion.dataHash.mismatch", url, "asset hash does not match the data hash assertion"});
    }

    const JumbfBox& m_root;
    const ValidationOptions& m_opts;
};

}  // namespace

nlohmann::json ValidationReport::to_json() const {
    nlohmann::json j;
    j["state"] = state_name(state);
    if (remote_url) j["remote_manifest"] = *remote_url;
    if (!error.empty()) j["error"] = error;
    if (state == ValidationState::no_manifest) return j;
    if (!active_label.empty()) j["active_manifest"] = active_label;
    j["manifests"] = manifests;
    nlohmann::json vr = {{"activeManifest", codes_json(active)}};
    if (!ingredient_deltas.empty()) {
        nlohmann::json d = nlohmann::json::array();
        for (const auto& delta : ingredient_deltas)
            d.push_back({{"ingredientAssertionURI", delta.ingredient_assertion_uri},
                         {"validationDeltas", codes_json(delta.deltas)}});
        vr["ingredientDeltas"] = d;
    }
    j["validation_results"] = vr;
    j["validation_status"] = status_json(active.failure);
    if (state == ValidationState::valid || state == ValidationState::trusted || state == ValidationState::invalid)
        j["validation_state"] = state_name(state);
    return j;
}

ValidationReport validate_asset(ByteView asset, const ValidationOptions& options) {
    ValidationReport rep;
    auto fmt = detect_format(asset);
    if (!fmt) {
        rep.state = ValidationState::unreadable;
        rep.error = fmt.error().message;
        return rep;
    }
    auto em = find_manifest(asset, *fmt);
    if (!em) {
        rep.state = ValidationState::unreadable;
        rep.error = em.error().message;
        return rep;
    }
    if (!em->store) {
        rep.state = ValidationState::no_manifest;
        rep.remote_url = em->remote_url;
        return rep;
    }
    auto root = parse_jumbf(*em->store);
    if (!root) {
        rep.state = ValidationState::unreadable;
        rep.error = root.error().message;
        return rep;
    }
    if (root->label != "c2pa" || root->uuid != jumbf_uuid::manifest_store || root->children.empty()) {
        rep.state = ValidationState::unreadable;
        rep.error = "the JUMBF box is not a C2PA manifest store (label '" + root->label + "')";
        return rep;
    }
    const JumbfBox& active = root->children.back();
    rep.active_label = active.label;
    Validator v(*root, options);
    try {
        v.validate(active, &asset, &*em, 0, rep.active, &rep.ingredient_deltas, rep.manifests);
    } catch (const Unreadable& u) {
        rep.state = ValidationState::unreadable;
        rep.error = u.message;
        rep.active.failure.push_back({u.code, "self#jumbf=/c2pa/" + active.label + "/c2pa.signature", u.message});
        return rep;
    }
    bool invalid = false;
    for (const auto& f : rep.active.failure)
        if (f.code != "signingCredential.untrusted") invalid = true;
    rep.state = invalid                                               ? ValidationState::invalid
                : rep.active.has_success("signingCredential.trusted") ? ValidationState::trusted
                                                                      : ValidationState::valid;
    return rep;
}

Result<ValidationReport> validate_file(const std::filesystem::path& file, const ValidationOptions& options) {
    auto data = read_file_bytes(file);
    if (!data) return data.error();
    return validate_asset(*data, options);
}

}  // namespace atelier::provenance
