// SPDX-License-Identifier: MIT
#include "atelier/provenance/manifest.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>

#include "atelier/base/hash.h"
#include "atelier/base/version.h"
#include "atelier/provenance/cose.h"
#include "atelier/provenance/jumbf.h"
#include "atelier/provenance/validate.h"

namespace atelier::provenance {

namespace {

Cbor hashed_uri(const std::string& url, ByteView content) {
    const auto h = sha256(content);
    return Cbor::map({{Cbor::text("url"), Cbor::text(url)},
                      {Cbor::text("hash"), Cbor::bytes(Bytes(h.begin(), h.end()))},
                      {Cbor::text("alg"), Cbor::text("sha256")}});
}

/// A built assertion: its label, its superbox, and the hashed URI to it.
struct BuiltAssertion {
    std::string label;
    Bytes box;
};

Bytes content_of(const Bytes& superbox) {
    // make_superbox always writes a 32-bit header for assertion-sized boxes.
    return Bytes(superbox.begin() + 8, superbox.end());
}

Cbor status_list(const std::vector<Status>& list) {
    Cbor a = Cbor::array();
    for (const auto& s : list) {
        Cbor m = Cbor::map();
        m.set("code", Cbor::text(s.code));
        if (!s.url.empty()) m.set("url", Cbor::text(s.url));
        if (!s.explanation.empty()) m.set("explanation", Cbor::text(s.explanation));
        a.push(std::move(m));
    }
    return a;
}

Bytes thumbnail_box(const std::string& label, const ThumbnailSpec& t) {
    Bytes desc;
    desc.push_back(0x00);  // toggles: no file name
    desc.insert(desc.end(), t.format.begin(), t.format.end());
    desc.push_back(0);
    return make_superbox(jumbf_uuid::embedded_file, label,
                         {make_box(fourcc("bfdb"), desc), make_box(fourcc("bidb"), t.data)});
}

}  // namespace

Result<SignResult> sign_asset(ByteView asset, const ManifestSpec& spec, const SigningIdentity& id) {
    if (spec.actions.empty())
        return fail(Errc::invalid_argument, "a manifest needs at least one action (e.g. c2pa.created or c2pa.opened)");
    auto fmt = detect_format(asset);
    if (!fmt) return fmt.error();
    // Strip an old manifest; without one, work on the input directly (no copy).
    auto existing = find_manifest(asset, *fmt);
    if (!existing) return existing.error();
    Bytes stripped_storage;
    ByteView stripped_view = asset;
    if (existing->store) {
        auto s = strip_manifest(asset, *fmt);
        if (!s) return s.error();
        stripped_storage = std::move(*s);
        stripped_view = stripped_storage;
    }
    auto plan = Embedding::plan(stripped_view, *fmt);
    if (!plan) return plan.error();

    SignResult result;
    result.manifest_label = "urn:c2pa:" + random_uuid();
    const std::string self_prefix = "self#jumbf=/c2pa/" + result.manifest_label;

    // Ingredients first: their manifests join the store, their assertions are referenced by actions.
    std::vector<Bytes> carried_manifests;
    std::set<std::string> carried_labels;
    std::vector<BuiltAssertion> assertions;
    std::vector<Cbor> ingredient_refs;
    for (std::size_t i = 0; i < spec.ingredients.size(); ++i) {
        const auto& ing = spec.ingredients[i];
        const std::string what = "ingredient " + std::to_string(i + 1) + " (" + ing.title + ")";
        // A format without C2PA support here (EXR, GIF, ...) is still an
        // ingredient: it just cannot carry credentials of its own.
        auto ifmt = detect_format(ing.asset);
        if (!ifmt && ifmt.error().code != Errc::unsupported) return ifmt.error().with_context(what);
        EmbeddedManifest none;
        auto em = ifmt ? find_manifest(ing.asset, *ifmt) : Result<EmbeddedManifest>(none);
        if (!em) return em.error().with_context(what);
        Cbor m = Cbor::map();
        m.set("dc:title", Cbor::text(ing.title.empty() ? "ingredient" : ing.title));
        m.set("dc:format", Cbor::text(ifmt ? mime_type(*ifmt) : mime_type_for_name(ing.title)));
        m.set("instanceID", Cbor::text("xmp.iid:" + random_uuid()));
        m.set("relationship", Cbor::text(ing.relationship));
        if (em->store) {
            auto store = parse_jumbf(*em->store);
            if (!store) return store.error().with_context(what);
            if (store->children.empty()) return fail(Errc::corrupt_data, what + ": its manifest store is empty");
            for (const auto& child : store->children)
                if (carried_labels.insert(child.label).second)
                    carried_manifests.emplace_back(child.whole.begin(), child.whole.end());
            const JumbfBox& active = store->children.back();
            const JumbfBox* sig = active.child("c2pa.signature");
            m.set("activeManifest", hashed_uri("self#jumbf=/c2pa/" + active.label, active.content));
            if (sig)
                m.set("claimSignature",
                      hashed_uri("self#jumbf=/c2pa/" + active.label + "/c2pa.signature", sig->content));
            const ValidationReport rep = validate_asset(ing.asset);
            Cbor am = Cbor::map();
            am.set("success", status_list(rep.active.success));
            am.set("informational", status_list(rep.active.informational));
            am.set("failure", status_list(rep.active.failure));
            m.set("validationResults", Cbor::map({{Cbor::text("activeManifest"), std::move(am)}}));
        }
        const std::string label = i == 0 ? "c2pa.ingredient.v3" : "c2pa.ingredient.v3__" + std::to_string(i);
        BuiltAssertion a{label, make_cbor_superbox(label, cbor_encode(m))};
        ingredient_refs.push_back(hashed_uri("self#jumbf=c2pa.assertions/" + label, content_of(a.box)));
        assertions.push_back(std::move(a));
    }

    // c2pa.actions.v2
    const std::string version = spec.generator_version.empty() ? std::string(build::version) : spec.generator_version;
    Cbor actions = Cbor::array();
    for (const auto& act : spec.actions) {
        if (act.action.empty()) return fail(Errc::invalid_argument, "an action has no name");
        if (act.action == "c2pa.created" && act.digital_source_type.empty())
            return fail(Errc::invalid_argument, "c2pa.created needs a digitalSourceType (IPTC)");
        Cbor a = Cbor::map();
        a.set("action", Cbor::text(act.action));
        if (!act.digital_source_type.empty()) a.set("digitalSourceType", Cbor::text(act.digital_source_type));
        if (!act.description.empty()) a.set("description", Cbor::text(act.description));
        a.set("softwareAgent", Cbor::map({{Cbor::text("name"), Cbor::text(spec.generator_name)},
                                          {Cbor::text("version"), Cbor::text(version)}}));
        Cbor params = act.parameters.is_object() ? json_to_cbor(act.parameters) : Cbor::map();
        if (!act.ingredients.empty()) {
            Cbor refs = Cbor::array();
            for (auto idx : act.ingredients) {
                if (idx >= ingredient_refs.size())
                    return fail(Errc::invalid_argument, "action " + act.action + " names ingredient " +
                                                            std::to_string(idx + 1) + " but there are only " +
                                                            std::to_string(ingredient_refs.size()));
                refs.push(ingredient_refs[idx]);
            }
            params.set("ingredients", std::move(refs));
        }
        if (!params.entries().empty()) a.set("parameters", std::move(params));
        actions.push(std::move(a));
    }
    {
        Cbor body = Cbor::map({{Cbor::text("actions"), std::move(actions)}});
        assertions.push_back({"c2pa.actions.v2", make_cbor_superbox("c2pa.actions.v2", cbor_encode(body))});
    }
    if (spec.generation)
        assertions.push_back(
            {"org.atelier.generation",
             make_cbor_superbox("org.atelier.generation", cbor_encode(json_to_cbor(*spec.generation)))});
    if (spec.license)
        assertions.push_back({"org.atelier.license",
                              make_cbor_superbox("org.atelier.license", cbor_encode(json_to_cbor(*spec.license)))});
    for (const auto& [label, data] : spec.extra_assertions) {
        for (const auto& a : assertions)
            if (a.label == label) return fail(Errc::invalid_argument, "assertion label '" + label + "' is used twice");
        assertions.push_back({label, make_cbor_superbox(label, cbor_encode(json_to_cbor(data)))});
    }
    if (spec.thumbnail && !spec.thumbnail->data.empty()) {
        const std::string label =
            spec.thumbnail->format == "image/png" ? "c2pa.thumbnail.claim.png" : "c2pa.thumbnail.claim.jpeg";
        assertions.push_back({label, thumbnail_box(label, *spec.thumbnail)});
    }

    // Hard binding and signature: iterate until the store size is stable
    // (the exclusions, and for WebP the hashed RIFF size, depend on it).
    std::size_t store_size = 0;
    for (int round = 0; round < 8; ++round) {
        result.data_hash = plan->data_hash(store_size);
        Cbor exclusions = Cbor::array();
        for (const auto& r : plan->exclusions(store_size))
            exclusions.push(
                Cbor::map({{Cbor::text("start"), Cbor::uint(r.start)}, {Cbor::text("length"), Cbor::uint(r.length)}}));
        Cbor hd = Cbor::map();
        hd.set("exclusions", std::move(exclusions));
        hd.set("name", Cbor::text("jumbf manifest"));
        hd.set("alg", Cbor::text("sha256"));
        hd.set("hash", Cbor::bytes(Bytes(result.data_hash.begin(), result.data_hash.end())));
        hd.set("pad", Cbor::bytes(Bytes{}));
        const Bytes hash_box = make_cbor_superbox("c2pa.hash.data", cbor_encode(hd));

        std::vector<Bytes> store_children;
        Cbor created = Cbor::array();
        for (const auto& a : assertions) {
            store_children.push_back(a.box);
            created.push(hashed_uri("self#jumbf=c2pa.assertions/" + a.label, content_of(a.box)));
        }
        store_children.push_back(hash_box);
        created.push(hashed_uri("self#jumbf=c2pa.assertions/c2pa.hash.data", content_of(hash_box)));

        Cbor claim = Cbor::map();
        claim.set("instanceID", Cbor::text("xmp.iid:" + random_uuid()));
        claim.set("claim_generator_info", Cbor::map({{Cbor::text("name"), Cbor::text(spec.generator_name)},
                                                     {Cbor::text("version"), Cbor::text(version)}}));
        claim.set("signature", Cbor::text(self_prefix + "/c2pa.signature"));
        claim.set("created_assertions", std::move(created));
        if (!spec.title.empty()) claim.set("dc:title", Cbor::text(spec.title));
        claim.set("alg", Cbor::text("sha256"));
        const Bytes claim_bytes = cbor_encode(claim);
        auto cose = cose_sign1_detached(id, claim_bytes);
        if (!cose) return cose.error();

        const Bytes manifest =
            make_superbox(jumbf_uuid::manifest, result.manifest_label,
                          {make_superbox(jumbf_uuid::assertion_store, "c2pa.assertions", store_children),
                           make_cbor_superbox("c2pa.claim.v2", claim_bytes, jumbf_uuid::claim),
                           make_cbor_superbox("c2pa.signature", *cose, jumbf_uuid::signature)});
        std::vector<Bytes> manifests = carried_manifests;
        manifests.push_back(manifest);
        const Bytes store = make_superbox(jumbf_uuid::manifest_store, "c2pa", manifests);
        if (store.size() == store_size) {
            result.asset = plan->assemble(store);
            result.manifest_size = store.size();
            return result;
        }
        store_size = store.size();
    }
    return fail(Errc::internal, "the manifest size did not settle");
}

Result<Bytes> read_file_bytes(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(Errc::not_found, "cannot open " + file.string() + ": check that it exists and is readable");
    in.seekg(0, std::ios::end);
    const auto size = in.tellg();
    if (size < 0) return fail(Errc::io_error, "cannot read " + file.string());
    in.seekg(0);
    Bytes b(static_cast<std::size_t>(size));
    if (size > 0 && !in.read(reinterpret_cast<char*>(b.data()), size))
        return fail(Errc::io_error, "reading " + file.string() + " failed");
    return b;
}

Result<void> write_file_atomic(const std::filesystem::path& file, ByteView data) {
    const auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
    const auto tmp = dir / ("." + file.filename().string() + ".tmp" + std::to_string(::getpid()));
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            return fail(Errc::io_error,
                        "cannot write in " + dir.string() + ": check the folder exists and is writable");
        out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
        out.flush();
        if (!out) {
            std::error_code ec;
            std::filesystem::remove(tmp, ec);
            return fail(Errc::io_error, "writing " + tmp.string() + " failed (disk full?)");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, file, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        return fail(Errc::io_error, "cannot replace " + file.string() + ": " + ec.message());
    }
    return ok();
}

Result<SignResult> sign_file(const std::filesystem::path& in, const std::filesystem::path& out,
                             const ManifestSpec& spec, const SigningIdentity& id) {
    auto data = read_file_bytes(in);
    if (!data) return data.error();
    auto r = sign_asset(*data, spec, id);
    if (!r) return r.error().with_context("signing " + in.string());
    ATELIER_TRY(write_file_atomic(out, r->asset));
    return r;
}

}  // namespace atelier::provenance
