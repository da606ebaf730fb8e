// SPDX-License-Identifier: MIT
// Interoperability with the C2PA reference implementation (c2pa-rs, as the
// npm package @contentauth/c2pa-wasm running in Node). The package is
// installed by the test into ${ATELIER_BINARY_DIR}/peer-node/.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "atelier/provenance/container.h"
#include "atelier/provenance/validate.h"
#include "test_helpers.h"

using namespace atelier;
using namespace atelier::provenance;
using namespace atelier::provenance::testing;
using nlohmann::json;

namespace {

constexpr const char* kPeerPackage = "@contentauth/c2pa-wasm@0.15.0";

struct Peer {
    bool have_node = false;
    std::string problem;
    std::filesystem::path modules;
    std::filesystem::path work;
};

Peer& peer() {
    static Peer p = [] {
        Peer q;
        q.have_node = std::system("command -v node >/dev/null 2>&1") == 0;
        if (!q.have_node) return q;
        const auto root = std::filesystem::path(ATELIER_BINARY_DIR) / "peer-node";
        q.modules = root / "node_modules";
        if (!std::filesystem::exists(q.modules / "@contentauth/c2pa-wasm/package.json")) {
            std::filesystem::create_directories(root);
            const std::string cmd = "npm install --prefix '" + root.string() +
                                    "' --no-audit --no-fund --no-save --silent " + kPeerPackage + " >'" +
                                    (root / "npm.log").string() + "' 2>&1";
            if (std::system(cmd.c_str()) != 0)
                q.problem =
                    "npm could not install " + std::string(kPeerPackage) + "; see " + (root / "npm.log").string();
        }
        q.work = temp_dir("peer");
        return q;
    }();
    return p;
}

/// Runs a batch of jobs through the reference; one result per job.
json run_peer(const json& jobs) {
    const auto jobs_file = peer().work / ("jobs-" + random_uuid() + ".json");
    const auto results_file = peer().work / ("results-" + random_uuid() + ".json");
    std::ofstream(jobs_file) << jobs.dump();
    const std::string cmd = "node '" + std::string(ATELIER_SOURCE_DIR) + "/tests/provenance/peer/c2pa_peer.mjs' '" +
                            peer().modules.string() + "' '" + jobs_file.string() + "' '" + results_file.string() + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream in(results_file);
    json r = json::parse(in, nullptr, false);
    EXPECT_TRUE(r.is_array()) << "the peer wrote no results";
    return r.is_array() ? r : json::array();
}

#define REQUIRE_PEER()                                                                     \
    do {                                                                                   \
        if (!peer().have_node) GTEST_SKIP() << "node is not installed: peer test skipped"; \
        ASSERT_TRUE(peer().problem.empty()) << peer().problem;                             \
    } while (0)

std::filesystem::path write(const std::string& name, const Bytes& data) {
    const auto p = peer().work / name;
    EXPECT_TRUE(write_file_atomic(p, data).ok());
    return p;
}

std::filesystem::path anchor_file() {
    const auto p = peer().work / "anchor.pem";
    if (!std::filesystem::exists(p)) std::ofstream(p) << test_ca().certificate().pem();
    return p;
}

std::set<std::string> codes(const json& list) {
    std::set<std::string> s;
    for (const auto& e : list)
        s.insert(e.at("code").get<std::string>());
    return s;
}
std::set<std::string> codes(const std::vector<Status>& list) {
    std::set<std::string> s;
    for (const auto& e : list)
        s.insert(e.code);
    return s;
}

const json* find_assertion(const json& manifest, const std::string& label) {
    for (const auto& a : manifest.at("assertions"))
        if (a.at("label") == label) return &a;
    return nullptr;
}

struct Signed {
    std::string name;
    std::string format;
    Bytes asset;
    ManifestSpec spec;
    std::string label;
};

std::vector<Signed> files_we_sign() {
    std::vector<Signed> out;
    auto add = [&](std::string name, const Bytes& asset, ManifestSpec spec, SigningAlg alg = SigningAlg::es256) {
        auto r = sign_asset(asset, spec, test_identity(alg));
        EXPECT_TRUE(r.ok()) << name << ": " << r.error().message;
        if (!r.ok()) return;
        const std::string fmt = mime_type_for_name(name);
        out.push_back({std::move(name), fmt, std::move(r->asset), std::move(spec), r->manifest_label});
    };
    add("generated.png", make_image(".png", 96, 64, 1), generated_spec());
    add("generated.jpg", make_image(".jpg", 96, 64, 2), generated_spec());
    add("ed25519.png", make_image(".png", 32, 32, 3), generated_spec(), SigningAlg::ed25519);
    ManifestSpec procedural;
    procedural.actions.push_back({"c2pa.created", digital_source::algorithmic, {{"pattern", "waves"}}, {}, ""});
    procedural.thumbnail = ThumbnailSpec{"image/jpeg", make_image(".jpg", 16, 16, 4)};
    add("procedural.jpg", make_image(".jpg", 64, 64, 4), procedural);
    ManifestSpec big = generated_spec();
    big.extra_assertions.emplace_back("org.atelier.notes", json{{"text", std::string(150000, 'n')}});
    add("split.jpg", make_image(".jpg", 64, 64, 5), big);
    // A composite with a signed parent and an unsigned component.
    ManifestSpec comp;
    comp.ingredients.push_back({out.front().asset, "generated.png", "parentOf"});
    comp.ingredients.push_back({make_image(".png", 16, 16, 6), "logo.png", "componentOf"});
    comp.actions.push_back({"c2pa.opened", "", json::object(), {0}, ""});
    comp.actions.push_back({"c2pa.resized", "", {{"width", 192}}, {}, ""});
    comp.actions.push_back({"c2pa.placed", "", json::object(), {1}, ""});
    comp.actions.push_back({"c2pa.edited", digital_source::composite_trained, json::object(), {}, ""});
    comp.license = json{{"terms", "extended"}, {"licensor", "Test Creator"}, {"scope", "merchandise"}};
    add("composite.jpg", make_image(".jpg", 64, 64, 7), comp);
    add("generated.tif", make_image(".tif", 64, 48, 12), generated_spec());
    add("generated.webp", make_image(".webp", 64, 48, 13), generated_spec());
    // A WebP with alpha (extended already) carrying a signed TIFF as its parent.
    ManifestSpec webp_child;
    webp_child.ingredients.push_back({out[out.size() - 2].asset, "generated.tif", "parentOf"});
    webp_child.actions.push_back({"c2pa.opened", "", json::object(), {0}, ""});
    webp_child.actions.push_back({"c2pa.converted", "", json::object(), {}, ""});
    add("converted.webp", make_rgba_image(".webp", 40, 40, 14), webp_child);
    return out;
}

}  // namespace

TEST(Peer, ReferenceReadsEverythingWeSignWithoutFailures) {
    REQUIRE_PEER();
    const auto files = files_we_sign();
    ASSERT_EQ(files.size(), 9u);
    json jobs = json::array();
    for (const auto& f : files) {
        const auto p = write(f.name, f.asset);
        jobs.push_back({{"op", "read"}, {"file", p.string()}, {"format", f.format}, {"trust", anchor_file().string()}});
        jobs.push_back({{"op", "read"}, {"file", p.string()}, {"format", f.format}});
    }
    const json results = run_peer(jobs);
    ASSERT_EQ(results.size(), jobs.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto& f = files[i];
        SCOPED_TRACE(f.name);
        const json& trusted = results[2 * i];
        const json& untrusted = results[2 * i + 1];
        ASSERT_TRUE(trusted.at("ok").get<bool>()) << trusted.dump();
        ASSERT_TRUE(untrusted.at("ok").get<bool>()) << untrusted.dump();
        const json& tr = trusted.at("report");
        EXPECT_EQ(tr.at("validation_state"), "Trusted") << tr.at("validation_results").dump(1);
        EXPECT_TRUE(tr.at("validation_results").at("activeManifest").at("failure").empty());
        const json& ur = untrusted.at("report");
        EXPECT_EQ(codes(ur.at("validation_results").at("activeManifest").at("failure")),
                  std::set<std::string>{"signingCredential.untrusted"});
        EXPECT_EQ(ur.at("validation_state"), "Valid");
        EXPECT_EQ(tr.at("active_manifest"), f.label);

        // What it reports is what we wrote.
        const json& m = tr.at("manifests").at(f.label);
        const json* actions = find_assertion(m, "c2pa.actions.v2");
        ASSERT_NE(actions, nullptr);
        const json& list = actions->at("data").at("actions");
        ASSERT_EQ(list.size(), f.spec.actions.size());
        for (std::size_t k = 0; k < list.size(); ++k) {
            EXPECT_EQ(list[k].at("action"), f.spec.actions[k].action);
            if (!f.spec.actions[k].digital_source_type.empty()) {
                EXPECT_EQ(list[k].at("digitalSourceType"), f.spec.actions[k].digital_source_type);
            }
            for (const auto& [key, value] : f.spec.actions[k].parameters.items())
                EXPECT_EQ(list[k].at("parameters").at(key), value);
            if (!f.spec.actions[k].ingredients.empty()) {
                EXPECT_EQ(list[k].at("parameters").at("ingredients").size(), f.spec.actions[k].ingredients.size());
            }
        }
        if (f.spec.generation) {
            const json* g = find_assertion(m, "org.atelier.generation");
            ASSERT_NE(g, nullptr);
            EXPECT_EQ(g->at("data"), *f.spec.generation);
        }
        if (f.spec.license) {
            const json* l = find_assertion(m, "org.atelier.license");
            ASSERT_NE(l, nullptr);
            EXPECT_EQ(l->at("data"), *f.spec.license);
        }
        const json ingredients = m.value("ingredients", json::array());
        ASSERT_EQ(ingredients.size(), f.spec.ingredients.size());
        for (std::size_t k = 0; k < ingredients.size(); ++k) {
            EXPECT_EQ(ingredients[k].at("title"), f.spec.ingredients[k].title);
            EXPECT_EQ(ingredients[k].at("relationship"), f.spec.ingredients[k].relationship);
        }
        if (f.name == "composite.jpg") {
            EXPECT_EQ(ingredients[0].at("active_manifest"), files.front().label);
            EXPECT_TRUE(tr.at("manifests").contains(files.front().label));
            // One delta per ingredient (the component reports ingredient.unknownProvenance), no failures;
            // ours lists the same codes.
            const auto& deltas = tr.at("validation_results").at("ingredientDeltas");
            ASSERT_EQ(deltas.size(), 2u);
            const ValidationReport mine = validate_asset(f.asset, {{test_ca().certificate()}});
            ASSERT_EQ(mine.ingredient_deltas.size(), 2u);
            for (std::size_t k = 0; k < 2; ++k) {
                EXPECT_TRUE(deltas[k].at("validationDeltas").at("failure").empty());
                EXPECT_TRUE(mine.ingredient_deltas[k].deltas.failure.empty());
            }
            EXPECT_EQ(codes(deltas[1].at("validationDeltas").at("informational")),
                      codes(mine.ingredient_deltas[1].deltas.informational));
        }
        if (f.name == "procedural.jpg") {
            EXPECT_TRUE(m.contains("thumbnail"));
        }
    }
}

TEST(Peer, TamperingIsDetectedWithTheReferenceCodes) {
    REQUIRE_PEER();
    struct Case {
        std::string ext, where, code;
    };
    const std::vector<Case> cases = {
        {".png", "pixels", "assertion.dataHash.mismatch"},  {".png", "assertion", "assertion.hashedURI.mismatch"},
        {".png", "claim", "claimSignature.mismatch"},       {".png", "signature", "claimSignature.mismatch"},
        {".jpg", "pixels", "assertion.dataHash.mismatch"},  {".jpg", "assertion", "assertion.hashedURI.mismatch"},
        {".jpg", "claim", "claimSignature.mismatch"},       {".jpg", "signature", "claimSignature.mismatch"},
        {".tif", "pixels", "assertion.dataHash.mismatch"},  {".tif", "assertion", "assertion.hashedURI.mismatch"},
        {".tif", "claim", "claimSignature.mismatch"},       {".tif", "signature", "claimSignature.mismatch"},
        {".webp", "pixels", "assertion.dataHash.mismatch"}, {".webp", "assertion", "assertion.hashedURI.mismatch"},
        {".webp", "claim", "claimSignature.mismatch"},      {".webp", "signature", "claimSignature.mismatch"},
    };
    json jobs = json::array();
    std::vector<ValidationReport> ours;
    for (const auto& c : cases) {
        auto r = sign_asset(make_image(c.ext, 48, 48, 11), generated_spec(), test_identity());
        ASSERT_TRUE(r.ok());
        auto fmt = detect_format(r->asset);
        auto em = find_manifest(r->asset, *fmt);
        std::size_t off = 0;
        const bool at_end = *fmt == AssetFormat::tiff || *fmt == AssetFormat::webp;  // manifest last
        if (c.where == "pixels")
            off =
                at_end ? em->offset * 2 / 3 : em->offset + em->length + (r->asset.size() - em->offset - em->length) / 2;
        if (c.where == "assertion") off = find_bytes(r->asset, "print and web") + 2;
        if (c.where == "claim") off = find_bytes(r->asset, "xmp.iid:") + 9;
        if (c.where == "signature") off = em->offset + em->length - (c.ext == ".png" ? 4 : 0) - 5;
        r->asset[off] ^= 0x01;
        const auto p = write("tampered-" + c.where + c.ext, r->asset);
        jobs.push_back({{"op", "read"},
                        {"file", p.string()},
                        {"format", mime_type_for_name(c.ext)},
                        {"trust", anchor_file().string()}});
        ours.push_back(validate_asset(r->asset, {{test_ca().certificate()}}));
    }
    const json results = run_peer(jobs);
    ASSERT_EQ(results.size(), cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].ext + " " + cases[i].where);
        ASSERT_TRUE(results[i].at("ok").get<bool>()) << results[i].dump();
        const json& rep = results[i].at("report");
        EXPECT_EQ(rep.at("validation_state"), "Invalid");
        const auto theirs = codes(rep.at("validation_results").at("activeManifest").at("failure"));
        EXPECT_TRUE(theirs.count(cases[i].code)) << rep.at("validation_results").dump(1);
        EXPECT_EQ(codes(ours[i].active.failure), theirs) << ours[i].to_json().dump(1);
        EXPECT_EQ(ours[i].state, ValidationState::invalid);
    }
}

TEST(Peer, OurReaderAgreesWithTheReferenceOnFilesItSigns) {
    REQUIRE_PEER();
    const auto& id = test_identity(SigningAlg::es256);
    const auto key = peer().work / "ref-signer.key";
    const auto certs = peer().work / "ref-signer.pem";
    ASSERT_TRUE(id.key.save(key).ok());
    std::ofstream(certs) << id.chain[0].pem() << id.chain[1].pem();
    // A parent signed by us, to see the reference carry our manifest along.
    auto parent = sign_asset(make_image(".png", 32, 32, 8), generated_spec(), id);
    ASSERT_TRUE(parent.ok());
    const auto parent_file = write("our-parent.png", parent->asset);

    const json created = {
        {"title", "reference.png"},
        {"claim_generator_info", json::array({{{"name", "reference-test"}, {"version", "1"}}})},
        {"assertions",
         json::array({{{"label", "c2pa.actions.v2"},
                       {"data",
                        {{"actions", json::array({{{"action", "c2pa.created"},
                                                   {"digitalSourceType", digital_source::algorithmic}}})}}}},
                      {{"label", "org.atelier.license"}, {"data", {{"terms", "standard"}}}}})}};
    json opened = created;
    opened["assertions"][0]["data"]["actions"] =
        json::array({{{"action", "c2pa.opened"}, {"parameters", {{"ingredientIds", json::array({"parent"})}}}}});
    json jobs = json::array();
    std::vector<std::pair<std::filesystem::path, std::string>> outputs;
    for (const std::string ext : {".png", ".jpg", ".tif", ".webp"}) {
        const std::string fmt = mime_type_for_name(ext);
        const auto in = write("ref-in" + ext, make_image(ext, 64, 48, 9));
        const auto out1 = peer().work / ("ref-created" + ext);
        const auto out2 = peer().work / ("ref-opened" + ext);
        jobs.push_back({{"op", "sign"},
                        {"in", in.string()},
                        {"out", out1.string()},
                        {"format", fmt},
                        {"key", key.string()},
                        {"certs", certs.string()},
                        {"definition", created}});
        jobs.push_back(
            {{"op", "sign"},
             {"in", in.string()},
             {"out", out2.string()},
             {"format", fmt},
             {"key", key.string()},
             {"certs", certs.string()},
             {"definition", opened},
             {"ingredients",
              json::array(
                  {{{"file", parent_file.string()},
                    {"format", "image/png"},
                    {"json", {{"title", "our-parent.png"}, {"relationship", "parentOf"}, {"label", "parent"}}}}})}});
        outputs.emplace_back(out1, fmt);
        outputs.emplace_back(out2, fmt);
    }
    for (const auto& [p, fmt] : outputs)
        jobs.push_back({{"op", "read"}, {"file", p.string()}, {"format", fmt}, {"trust", anchor_file().string()}});
    const json results = run_peer(jobs);
    ASSERT_EQ(results.size(), jobs.size());
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        SCOPED_TRACE(outputs[i].first.string());
        ASSERT_TRUE(results[i].at("ok").get<bool>()) << results[i].dump();
        const json& theirs = results[outputs.size() + i];
        ASSERT_TRUE(theirs.at("ok").get<bool>()) << theirs.dump();
        auto bytes = read_file_bytes(outputs[i].first);
        ASSERT_TRUE(bytes.ok());
        const ValidationReport ours = validate_asset(*bytes, {{test_ca().certificate()}});
        EXPECT_EQ(std::string(state_name(ours.state)), theirs.at("report").at("validation_state").get<std::string>())
            << ours.to_json().dump(1);
        EXPECT_EQ(codes(ours.active.failure),
                  codes(theirs.at("report").at("validation_results").at("activeManifest").at("failure")));
        EXPECT_EQ(ours.active_label, theirs.at("report").at("active_manifest"));
        // Tampering their file: both readers flag the same thing.
        Bytes t = *bytes;
        auto em = find_manifest(t, *detect_format(t));
        ASSERT_TRUE(em.ok() && em->store) << em.error().message;
        // In the image data: after the manifest, or before it where it comes last (TIFF, WebP).
        t[em->offset + em->length + 64 > t.size() ? em->offset / 2 : t.size() - 40] ^= 0x01;
        const ValidationReport bad = validate_asset(t, {{test_ca().certificate()}});
        EXPECT_TRUE(bad.active.has_failure("assertion.dataHash.mismatch")) << bad.to_json().dump(1);
    }
    // The reference's report of the opened file lists our parent as its ingredient.
    const json& rep = results[outputs.size() + 1].at("report");
    EXPECT_TRUE(rep.at("manifests").contains(parent->manifest_label));
}

TEST(Peer, ReferenceAgreesWithTheInteropReadme) {
    REQUIRE_PEER();
    const auto dir = std::filesystem::path(ATELIER_SOURCE_DIR) / "tests/data/provenance";
    const std::vector<std::string> names = {"ext_C.jpg", "ext_C_with_CAWG_data.jpg",
                                            "ext_PirateShip_save_credentials_to_cloud.jpg", "ext_no_alg.jpg"};
    json jobs = json::array();
    for (const auto& n : names)
        jobs.push_back({{"op", "read"}, {"file", (dir / n).string()}, {"format", "image/jpeg"}});
    const json results = run_peer(jobs);
    ASSERT_EQ(results.size(), names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        SCOPED_TRACE(names[i]);
        auto bytes = read_file_bytes(dir / names[i]);
        ASSERT_TRUE(bytes.ok());
        const ValidationReport ours = validate_asset(*bytes);
        if (!results[i].at("ok").get<bool>()) {
            const std::string err = results[i].at("error");
            if (err.find("RemoteManifest") != std::string::npos) {
                EXPECT_EQ(ours.state, ValidationState::no_manifest);
                EXPECT_TRUE(ours.remote_url.has_value());
            } else {
                EXPECT_NE(err.find("UnknownAlgorithm"), std::string::npos) << err;
                EXPECT_EQ(ours.state, ValidationState::unreadable);
                EXPECT_NE(ours.error.find("UnknownAlgorithm"), std::string::npos);
            }
            continue;
        }
        const json& rep = results[i].at("report");
        EXPECT_EQ(std::string(state_name(ours.state)), rep.at("validation_state").get<std::string>());
        // Same C2PA failure codes (CAWG identity assertions are not validated here).
        std::set<std::string> theirs;
        for (const auto& c : codes(rep.at("validation_results").at("activeManifest").at("failure")))
            if (c.rfind("cawg.", 0) != 0) theirs.insert(c);
        EXPECT_EQ(codes(ours.active.failure), theirs);
    }
}

#ifdef ATELIER_CLI
TEST(Peer, ReferenceReadsWhatTheCliExports) {
    REQUIRE_PEER();
    const auto home = temp_dir("peer-cli");
    const auto in = home / "in.png";
    ASSERT_TRUE(write_file_atomic(in, make_image(".png", 40, 32, 31)).ok());
    std::vector<std::filesystem::path> outputs;
    for (const std::string ext : {".jpg", ".tif", ".webp"}) {
        const auto out = home / ("converted" + ext);
        auto c = run_cli("convert '" + in.string() + "' '" + out.string() + "' --resize 20x", home);
        ASSERT_EQ(c.code, 0) << c.out;
        outputs.push_back(out);
    }
    auto imp = run_cli("import '" + (home / "converted.tif").string() + "' --licence personal", home);
    ASSERT_EQ(imp.code, 0) << imp.out;
    auto ex = run_cli("--json export 1 '" + (home / "exported").string() + "'", home);
    ASSERT_EQ(ex.code, 0) << ex.out;
    const json ej = json::parse(ex.out, nullptr, false);
    ASSERT_TRUE(ej.is_array() && !ej.empty()) << ex.out;
    outputs.emplace_back(ej[0].at("path").get<std::string>());
    auto up = run_cli("upscale '" + (home / "converted.webp").string() + "' '" + (home / "upscaled.png").string() +
                          "' --model esrgan-slim --device cpu",
                      home);
    ASSERT_EQ(up.code, 0) << up.out << "\n(the esrgan-slim model comes with installer/setup.sh models)";
    outputs.push_back(home / "upscaled.png");

    const std::string anchor = (home / ".local/share/atelier/keys/ca.pem").string();
    json jobs = json::array();
    for (const auto& p : outputs) {
        jobs.push_back(
            {{"op", "read"}, {"file", p.string()}, {"format", mime_type_for_name(p.string())}, {"trust", anchor}});
        jobs.push_back({{"op", "read"}, {"file", p.string()}, {"format", mime_type_for_name(p.string())}});
    }
    const json results = run_peer(jobs);
    ASSERT_EQ(results.size(), jobs.size());
    const std::vector<std::vector<std::string>> expected_actions = {{"c2pa.opened", "c2pa.converted", "c2pa.resized"},
                                                                    {"c2pa.opened", "c2pa.converted", "c2pa.resized"},
                                                                    {"c2pa.opened", "c2pa.converted", "c2pa.resized"},
                                                                    {"c2pa.opened", "c2pa.published"},
                                                                    {"c2pa.opened", "c2pa.resized"}};
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        SCOPED_TRACE(outputs[i].string());
        ASSERT_TRUE(results[2 * i].at("ok").get<bool>()) << results[2 * i].dump();
        ASSERT_TRUE(results[2 * i + 1].at("ok").get<bool>()) << results[2 * i + 1].dump();
        const json& tr = results[2 * i].at("report");
        EXPECT_EQ(tr.at("validation_state"), "Trusted") << tr.at("validation_results").dump(1);
        EXPECT_TRUE(tr.at("validation_results").at("activeManifest").at("failure").empty());
        const json& ur = results[2 * i + 1].at("report");
        EXPECT_EQ(codes(ur.at("validation_results").at("activeManifest").at("failure")),
                  std::set<std::string>{"signingCredential.untrusted"});
        // Their reading of the actions and the parent matches what we wrote, and ours agrees on the verdict.
        const json& m = tr.at("manifests").at(tr.at("active_manifest").get<std::string>());
        const json* actions = find_assertion(m, "c2pa.actions.v2");
        ASSERT_NE(actions, nullptr);
        std::vector<std::string> names;
        for (const auto& a : actions->at("data").at("actions"))
            names.push_back(a.at("action"));
        EXPECT_EQ(names, expected_actions[i]);
        ASSERT_EQ(m.value("ingredients", json::array()).size(), 1u);
        auto bytes = read_file_bytes(outputs[i]);
        ASSERT_TRUE(bytes.ok());
        auto anchors = Certificate::load_bundle(anchor);
        ASSERT_TRUE(anchors.ok());
        const ValidationReport ours = validate_asset(*bytes, {*anchors});
        EXPECT_EQ(std::string(state_name(ours.state)), tr.at("validation_state").get<std::string>());
        EXPECT_EQ(ours.active_label, tr.at("active_manifest"));
    }
    // The export carries the converted TIFF's manifest; the reference sees both.
    EXPECT_EQ(results[6].at("report").at("manifests").size(), 2u);
    std::filesystem::remove_all(home);
}
#endif

namespace {
/// A two-page 2x1 grey little-endian TIFF (the reference puts its store in a trailing IFD of its own).
Bytes two_page_tiff() {
    auto le16 = [](Bytes& b, std::uint32_t v) {
        b.push_back(std::uint8_t(v));
        b.push_back(std::uint8_t(v >> 8));
    };
    auto le32 = [&](Bytes& b, std::uint32_t v) {
        le16(b, v & 0xffff);
        le16(b, v >> 16);
    };
    const std::uint32_t n = 9, ifd_size = 2 + 12 * n + 4, ifd0 = 8, ifd1 = ifd0 + ifd_size, px = ifd1 + ifd_size;
    Bytes t = {'I', 'I', 42, 0};
    le32(t, ifd0);
    for (std::uint32_t page = 0; page < 2; ++page) {
        le16(t, n);
        const std::uint32_t e[9][4] = {{256, 3, 1, 2}, {257, 3, 1, 1}, {258, 3, 1, 8},
                                       {259, 3, 1, 1}, {262, 3, 1, 1}, {273, 4, 1, px + 2 * page},
                                       {277, 3, 1, 1}, {278, 3, 1, 1}, {279, 4, 1, 2}};
        for (const auto& x : e) {
            le16(t, x[0]);
            le16(t, x[1]);
            le32(t, x[2]);
            le32(t, x[3]);  // SHORT values sit in the low half (little-endian)
        }
        le32(t, page == 0 ? ifd1 : 0);
    }
    t.insert(t.end(), {0x40, 0xC0, 0x80, 0x20});
    return t;
}
}  // namespace

TEST(Peer, MultiPageTiffSignedByTheReferenceIsReadAndResigned) {
    REQUIRE_PEER();
    const auto& id = test_identity(SigningAlg::es256);
    const auto key = peer().work / "mp-signer.key";
    const auto certs = peer().work / "mp-signer.pem";
    ASSERT_TRUE(id.key.save(key).ok());
    std::ofstream(certs) << id.chain[0].pem() << id.chain[1].pem();
    const auto in = write("two-pages.tif", two_page_tiff());
    const auto theirs = peer().work / "two-pages-ref.tif";
    const json def = {
        {"title", "two-pages.tif"},
        {"assertions",
         json::array({{{"label", "c2pa.actions.v2"},
                       {"data",
                        {{"actions", json::array({{{"action", "c2pa.created"},
                                                   {"digitalSourceType", digital_source::algorithmic}}})}}}}})}};
    json jobs = json::array({{{"op", "sign"},
                              {"in", in.string()},
                              {"out", theirs.string()},
                              {"format", "image/tiff"},
                              {"key", key.string()},
                              {"certs", certs.string()},
                              {"definition", def}}});
    json r = run_peer(jobs);
    ASSERT_EQ(r.size(), 1u);
    ASSERT_TRUE(r[0].at("ok").get<bool>()) << r[0].dump();
    auto ref_bytes = read_file_bytes(theirs);
    ASSERT_TRUE(ref_bytes.ok());
    // Ours finds their store (not in IFD0) and validates it.
    const ValidationReport ours = validate_asset(*ref_bytes, {{test_ca().certificate()}});
    EXPECT_EQ(ours.state, ValidationState::trusted) << ours.to_json().dump(1);

    // Re-signing their file: their entry is removed, their manifest travels as the parent's.
    ManifestSpec spec;
    spec.ingredients.push_back({*ref_bytes, "two-pages-ref.tif", "parentOf"});
    spec.actions.push_back({"c2pa.opened", "", json::object(), {0}, ""});
    spec.actions.push_back({"c2pa.edited", "", json::object(), {}, ""});
    auto mine = sign_asset(*ref_bytes, spec, id);
    ASSERT_TRUE(mine.ok()) << mine.error().message;
    auto stripped = strip_manifest(mine->asset, AssetFormat::tiff);
    ASSERT_TRUE(stripped.ok());
    EXPECT_FALSE(find_manifest(*stripped, AssetFormat::tiff)->store.has_value());  // only one C2PA entry was left
    const auto out = write("two-pages-ours.tif", mine->asset);
    r = run_peer(json::array(
        {{{"op", "read"}, {"file", out.string()}, {"format", "image/tiff"}, {"trust", anchor_file().string()}}}));
    ASSERT_EQ(r.size(), 1u);
    ASSERT_TRUE(r[0].at("ok").get<bool>()) << r[0].dump();
    const json& rep = r[0].at("report");
    EXPECT_EQ(rep.at("validation_state"), "Trusted") << rep.at("validation_results").dump(1);
    EXPECT_EQ(rep.at("active_manifest"), mine->manifest_label);
    EXPECT_EQ(rep.at("manifests").size(), 2u);
    EXPECT_EQ(validate_asset(mine->asset, {{test_ca().certificate()}}).state, ValidationState::trusted);
}
