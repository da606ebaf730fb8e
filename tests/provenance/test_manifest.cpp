// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "atelier/provenance/container.h"
#include "atelier/provenance/jumbf.h"
#include "atelier/provenance/validate.h"
#include "test_helpers.h"

using namespace atelier;
using namespace atelier::provenance;
using namespace atelier::provenance::testing;

namespace {

std::vector<std::string> failure_codes(const ValidationReport& r) {
    std::vector<std::string> out;
    for (const auto& s : r.active.failure)
        out.push_back(s.code);
    return out;
}

ValidationOptions trusting() {
    ValidationOptions o;
    o.trust_anchors.push_back(test_ca().certificate());
    return o;
}

SignResult sign_or_die(const Bytes& asset, const ManifestSpec& spec, SigningAlg alg = SigningAlg::es256) {
    auto r = sign_asset(asset, spec, test_identity(alg));
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? std::move(*r) : SignResult{};
}

class SignFormats : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(SignFormats, SignedAssetsValidateAndKeepTheirPixels) {
    const Bytes original = make_image(GetParam(), 96, 64, 7);
    ASSERT_FALSE(original.empty());
    const SignResult signed_ = sign_or_die(original, generated_spec());
    ASSERT_GT(signed_.asset.size(), original.size());

    // Byte-level embedding: removing the manifest gives back the original file.
    auto fmt = detect_format(signed_.asset);
    ASSERT_TRUE(fmt.ok());
    auto stripped = strip_manifest(signed_.asset, *fmt);
    ASSERT_TRUE(stripped.ok());
    EXPECT_EQ(*stripped, original);

    const ValidationReport untrusted = validate_asset(signed_.asset);
    EXPECT_EQ(untrusted.state, ValidationState::valid) << untrusted.to_json().dump(1);
    EXPECT_EQ(failure_codes(untrusted), std::vector<std::string>{"signingCredential.untrusted"});
    EXPECT_TRUE(untrusted.active.has_success("claimSignature.validated"));
    EXPECT_TRUE(untrusted.active.has_success("assertion.dataHash.match"));
    EXPECT_EQ(untrusted.active_label, signed_.manifest_label);

    const ValidationReport trusted = validate_asset(signed_.asset, trusting());
    EXPECT_EQ(trusted.state, ValidationState::trusted);
    EXPECT_TRUE(trusted.active.failure.empty()) << trusted.to_json().dump(1);

    // The report carries what was written.
    const auto& m = trusted.manifests.at(signed_.manifest_label);
    bool saw_gen = false, saw_lic = false, saw_created = false;
    for (const auto& a : m.at("assertions")) {
        if (a.at("label") == "org.atelier.generation") {
            saw_gen = true;
            EXPECT_EQ(a.at("data").at("seed"), 42);
            EXPECT_EQ(a.at("data").at("model").at("id"), "sd-turbo");
        }
        if (a.at("label") == "org.atelier.license") saw_lic = a.at("data").at("licensor") == "Test Creator";
        if (a.at("label") == "c2pa.actions.v2")
            saw_created =
                a.at("data").at("actions").at(0).at("digitalSourceType") == digital_source::trained_algorithmic;
    }
    EXPECT_TRUE(saw_gen && saw_lic && saw_created);
    EXPECT_EQ(m.at("signature_info").at("alg"), "ES256");
}

INSTANTIATE_TEST_SUITE_P(Provenance, SignFormats, ::testing::Values(".png", ".jpg"));

TEST(Manifest, Ed25519SignaturesValidate) {
    const Bytes png = make_image(".png", 32, 32, 3);
    const SignResult r = sign_or_die(png, generated_spec(), SigningAlg::ed25519);
    const ValidationReport rep = validate_asset(r.asset, trusting());
    EXPECT_EQ(rep.state, ValidationState::trusted) << rep.to_json().dump(1);
    EXPECT_EQ(rep.manifests.at(r.manifest_label).at("signature_info").at("alg"), "Ed25519");
}

TEST(Manifest, IngredientsCarryTheirManifestsRecursively) {
    const Bytes base = make_image(".png", 64, 64, 1);
    const SignResult parent = sign_or_die(base, generated_spec());

    ManifestSpec upscale;
    upscale.title = "upscaled.png";
    upscale.ingredients.push_back({parent.asset, "generated.png", "parentOf"});
    upscale.actions.push_back({"c2pa.opened", "", nlohmann::json::object(), {0}, ""});
    upscale.actions.push_back({"c2pa.resized", "", {{"width", 128}, {"height", 128}}, {}, ""});
    const SignResult child = sign_or_die(make_image(".png", 64, 64, 1), upscale);

    ManifestSpec composite;
    composite.title = "composite.jpg";
    composite.ingredients.push_back({child.asset, "upscaled.png", "parentOf"});
    composite.ingredients.push_back({make_image(".jpg", 16, 16, 9), "logo.jpg", "componentOf"});
    composite.actions.push_back({"c2pa.opened", "", nlohmann::json::object(), {0}, ""});
    composite.actions.push_back({"c2pa.placed", "", nlohmann::json::object(), {1}, ""});
    composite.actions.push_back({"c2pa.edited", digital_source::composite_trained, nlohmann::json::object(), {}, ""});
    const SignResult grand = sign_or_die(make_image(".jpg", 64, 64, 5), composite);

    const ValidationReport rep = validate_asset(grand.asset, trusting());
    EXPECT_EQ(rep.state, ValidationState::trusted) << rep.to_json().dump(1);
    EXPECT_EQ(rep.manifests.size(), 3u);  // all three generations travel along
    ASSERT_EQ(rep.ingredient_deltas.size(), 2u);
    EXPECT_EQ(rep.ingredient_deltas[1].deltas.informational.at(0).code, "ingredient.unknownProvenance");
    const auto& d = rep.ingredient_deltas.front().deltas;
    EXPECT_TRUE(d.has_success("ingredient.manifest.validated"));
    EXPECT_TRUE(d.has_success("ingredient.claimSignature.validated"));
    EXPECT_TRUE(d.has_success("claimSignature.validated"));
    EXPECT_TRUE(d.failure.empty());
    const auto& ings = rep.manifests.at(grand.manifest_label).at("ingredients");
    ASSERT_EQ(ings.size(), 2u);
    EXPECT_EQ(ings[0].at("active_manifest"), child.manifest_label);
    EXPECT_EQ(ings[1].at("relationship"), "componentOf");
    EXPECT_FALSE(ings[1].contains("active_manifest"));

    // An action naming a missing ingredient is refused.
    ManifestSpec bad = generated_spec();
    bad.actions.push_back({"c2pa.placed", "", nlohmann::json::object(), {3}, ""});
    auto refused = sign_asset(base, bad, test_identity());
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::invalid_argument);
}

TEST(Manifest, LargeJpegManifestsAreSplitOverApp11Segments) {
    ManifestSpec spec = generated_spec();
    spec.extra_assertions.emplace_back("org.atelier.notes", nlohmann::json{{"text", std::string(200000, 'n')}});
    const SignResult r = sign_or_die(make_image(".jpg", 64, 64, 2), spec);
    std::size_t segments = 0;
    for (std::size_t p = find_bytes(r.asset, "\xFF\xEB"); p != std::string::npos;
         p = find_bytes(r.asset, "\xFF\xEB", p + 2))
        if (r.asset[p + 4] == 'J' && r.asset[p + 5] == 'P') ++segments;
    EXPECT_GE(segments, 4u);
    const ValidationReport rep = validate_asset(r.asset, trusting());
    EXPECT_EQ(rep.state, ValidationState::trusted) << rep.to_json().dump(1);
}

TEST(Manifest, ResigningReplacesTheEmbeddedManifest) {
    const Bytes png = make_image(".png", 32, 32, 4);
    const SignResult first = sign_or_die(png, generated_spec());
    const SignResult second = sign_or_die(first.asset, generated_spec());
    EXPECT_EQ(second.asset.size(), first.asset.size() + (second.manifest_size - first.manifest_size));
    const ValidationReport rep = validate_asset(second.asset);
    EXPECT_EQ(rep.active_label, second.manifest_label);
    EXPECT_EQ(rep.manifests.size(), 1u);
}

// ---- tampering: one flipped bit, each detected with the reference's code

namespace {

struct Tamper {
    std::string ext;
    std::string where;
};

class Tampering : public ::testing::TestWithParam<Tamper> {};

std::size_t tamper_offset(const SignResult& r, const std::string& where) {
    auto fmt = detect_format(r.asset);
    auto em = find_manifest(r.asset, *fmt);
    if (where == "pixels") return em->offset + em->length + (r.asset.size() - em->offset - em->length) / 2;
    if (where == "assertion") return find_bytes(r.asset, "print and web") + 2;
    if (where == "claim") return find_bytes(r.asset, "xmp.iid:") + 9;
    // signature: the last bytes of the store are the COSE signature.
    const std::size_t crc = *fmt == AssetFormat::png ? 4 : 0;
    return em->offset + em->length - crc - 5;
}

}  // namespace

TEST_P(Tampering, OneFlippedBitIsDetected) {
    const auto& t = GetParam();
    SignResult r = sign_or_die(make_image(t.ext, 48, 48, 11), generated_spec());
    const std::size_t off = tamper_offset(r, t.where);
    ASSERT_LT(off, r.asset.size());
    r.asset[off] ^= 0x01;
    const ValidationReport rep = validate_asset(r.asset, trusting());
    EXPECT_EQ(rep.state, ValidationState::invalid) << rep.to_json().dump(1);
    const std::string expected = t.where == "pixels"      ? "assertion.dataHash.mismatch"
                                 : t.where == "assertion" ? "assertion.hashedURI.mismatch"
                                                          : "claimSignature.mismatch";
    EXPECT_TRUE(rep.active.has_failure(expected)) << t.where << ": " << rep.to_json().dump(1);
}

INSTANTIATE_TEST_SUITE_P(Provenance, Tampering,
                         ::testing::Values(Tamper{".png", "pixels"}, Tamper{".png", "assertion"},
                                           Tamper{".png", "claim"}, Tamper{".png", "signature"},
                                           Tamper{".jpg", "pixels"}, Tamper{".jpg", "assertion"},
                                           Tamper{".jpg", "claim"}, Tamper{".jpg", "signature"}),
                         [](const ::testing::TestParamInfo<Tamper>& p) {
                             return p.param.ext.substr(1) + "_" + p.param.where;
                         });

// ---- bad input

TEST(Manifest, BadContainersGiveClearErrors) {
    const Bytes text = {'h', 'e', 'l', 'l', 'o'};
    auto r = sign_asset(text, generated_spec(), test_identity());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::unsupported);
    EXPECT_EQ(validate_asset(text).state, ValidationState::unreadable);

    const SignResult png = sign_or_die(make_image(".png", 32, 32, 6), generated_spec());
    // Truncated inside the manifest chunk.
    const Bytes cut(png.asset.begin(), png.asset.begin() + 200);
    const ValidationReport t = validate_asset(cut);
    EXPECT_EQ(t.state, ValidationState::unreadable);
    EXPECT_NE(t.error.find("truncated"), std::string::npos) << t.error;

    // A manifest after IEND is in the wrong place: not picked up.
    Bytes stripped = *strip_manifest(png.asset, AssetFormat::png);
    auto em = find_manifest(png.asset, AssetFormat::png);
    stripped.insert(stripped.end(), png.asset.begin() + static_cast<long>(em->offset),
                    png.asset.begin() + static_cast<long>(em->offset + em->length));
    EXPECT_EQ(validate_asset(stripped).state, ValidationState::no_manifest);

    // JPEG: a truncated APP11 segment.
    const SignResult jpg = sign_or_die(make_image(".jpg", 32, 32, 6), generated_spec());
    auto jem = find_manifest(jpg.asset, AssetFormat::jpeg);
    const Bytes jcut(jpg.asset.begin(), jpg.asset.begin() + static_cast<long>(jem->offset + 100));
    EXPECT_EQ(validate_asset(jcut).state, ValidationState::unreadable);

    // A signature without an action list is refused up front.
    ManifestSpec empty;
    auto noact = sign_asset(png.asset, empty, test_identity());
    ASSERT_FALSE(noact.ok());
    EXPECT_EQ(noact.error().code, Errc::invalid_argument);
}
