// SPDX-License-Identifier: MIT
// The `atelier sign / verify / log` contract: exit codes and outputs.
#include <gtest/gtest.h>

#include <cstdlib>

#include "atelier/provenance/container.h"
#include "atelier/provenance/validate.h"
#include "test_helpers.h"

using namespace atelier;
using namespace atelier::provenance;
using namespace atelier::provenance::testing;

TEST(Cli, SignVerifyAndLogKeepTheirExitCodes) {
    const auto home = temp_dir("cli");
    const auto in = home / "in.png";
    ASSERT_TRUE(write_file_atomic(in, make_image(".png", 48, 48, 3)).ok());
    const std::string ca = (home / ".local/share/atelier/keys/ca.pem").string();

    auto none = run_cli("verify '" + in.string() + "'", home);
    EXPECT_EQ(none.code, 2) << none.out;

    auto s =
        run_cli("sign '" + in.string() + "' '" + (home / "out.png").string() + "' --action edited --licensor Me", home);
    ASSERT_EQ(s.code, 0) << s.out;
    auto untrusted = run_cli("verify '" + (home / "out.png").string() + "'", home);
    EXPECT_EQ(untrusted.code, 0) << untrusted.out;
    EXPECT_NE(untrusted.out.find("signingCredential.untrusted"), std::string::npos);
    auto trusted = run_cli("--json verify '" + (home / "out.png").string() + "' --trust '" + ca + "'", home);
    EXPECT_EQ(trusted.code, 0) << trusted.out;
    EXPECT_NE(trusted.out.find("\"validation_state\": \"Trusted\""), std::string::npos) << trusted.out;

    // One flipped bit in the pixels: invalid.
    auto bytes = read_file_bytes(home / "out.png");
    ASSERT_TRUE(bytes.ok());
    auto em = find_manifest(*bytes, AssetFormat::png);
    (*bytes)[em->offset + em->length + 40] ^= 0x01;
    ASSERT_TRUE(write_file_atomic(home / "tampered.png", *bytes).ok());
    auto bad = run_cli("verify '" + (home / "tampered.png").string() + "' --trust '" + ca + "'", home);
    EXPECT_EQ(bad.code, 1) << bad.out;
    EXPECT_NE(bad.out.find("assertion.dataHash.mismatch"), std::string::npos);

    // Re-signing keeps the history (the signed input becomes the parent).
    auto again = run_cli(
        "sign '" + (home / "out.png").string() + "' '" + (home / "out2.png").string() + "' --action resized", home);
    ASSERT_EQ(again.code, 0) << again.out;
    auto v2 = run_cli("verify '" + (home / "out2.png").string() + "' --trust '" + ca + "'", home);
    EXPECT_EQ(v2.code, 0) << v2.out;
    EXPECT_NE(v2.out.find("with credentials"), std::string::npos) << v2.out;

    // Both signatures are in the provenance log, which verifies.
    auto show = run_cli("log show 2", home);
    EXPECT_EQ(show.code, 0) << show.out;
    EXPECT_NE(show.out.find("sign"), std::string::npos);
    auto lv = run_cli("log verify", home);
    EXPECT_EQ(lv.code, 0) << lv.out;
    EXPECT_NE(lv.out.find("intact: 2 entries"), std::string::npos) << lv.out;
    EXPECT_EQ(run_cli("log show 99", home).code, 1);
    std::filesystem::remove_all(home);
}

// ---- signing where assets leave the app: convert, export, upscale

namespace {

ValidationReport verify_with_local_ca(const std::filesystem::path& file, const std::filesystem::path& home) {
    ValidationOptions o;
    auto anchors = Certificate::load_bundle(home / ".local/share/atelier/keys/ca.pem");
    EXPECT_TRUE(anchors.ok());
    if (anchors) o.trust_anchors = *anchors;
    auto r = validate_file(file, o);
    EXPECT_TRUE(r.ok());
    return r ? *r : ValidationReport{};
}

std::vector<std::string> actions_of(const ValidationReport& r) {
    std::vector<std::string> out;
    for (const auto& a : r.manifests.at(r.active_label).at("assertions"))
        if (a.at("label") == "c2pa.actions.v2")
            for (const auto& act : a.at("data").at("actions"))
                out.push_back(act.at("action"));
    return out;
}

nlohmann::json log_entries(const std::filesystem::path& home) {
    auto r = run_cli("--json log list", home);
    EXPECT_EQ(r.code, 0) << r.out;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_discarded() ? nlohmann::json::array() : j;
}

}  // namespace

TEST(Cli, ConvertSignsItsOutputByDefault) {
    const auto home = temp_dir("cli-convert");
    const auto in = home / "in.png";
    ASSERT_TRUE(write_file_atomic(in, make_image(".png", 64, 48, 21)).ok());
    for (const std::string ext : {".webp", ".tif", ".jpg"}) {
        SCOPED_TRACE(ext);
        const auto out = home / ("out" + ext);
        auto c = run_cli("convert '" + in.string() + "' '" + out.string() + "' --resize 32x", home);
        ASSERT_EQ(c.code, 0) << c.out;
        EXPECT_NE(c.out.find("Content Credentials: urn:c2pa:"), std::string::npos) << c.out;
        const ValidationReport rep = verify_with_local_ca(out, home);
        EXPECT_EQ(rep.state, ValidationState::trusted) << rep.to_json().dump(1);
        EXPECT_EQ(actions_of(rep), (std::vector<std::string>{"c2pa.opened", "c2pa.converted", "c2pa.resized"}));
        const auto& ing = rep.manifests.at(rep.active_label).at("ingredients");
        ASSERT_EQ(ing.size(), 1u);
        EXPECT_EQ(ing[0].at("title"), "in.png");
    }
    // Same format, no resize: a re-encoding.
    auto t = run_cli("convert '" + in.string() + "' '" + (home / "same.png").string() + "'", home);
    ASSERT_EQ(t.code, 0) << t.out;
    EXPECT_EQ(actions_of(verify_with_local_ca(home / "same.png", home)),
              (std::vector<std::string>{"c2pa.opened", "c2pa.transcoded"}));
    // A signed input carries its manifest into the output's store.
    auto chain =
        run_cli("convert '" + (home / "out.webp").string() + "' '" + (home / "chain.tif").string() + "'", home);
    ASSERT_EQ(chain.code, 0) << chain.out;
    const ValidationReport ch = verify_with_local_ca(home / "chain.tif", home);
    EXPECT_EQ(ch.state, ValidationState::trusted);
    EXPECT_EQ(ch.manifests.size(), 2u);
    ASSERT_EQ(ch.ingredient_deltas.size(), 1u);
    EXPECT_TRUE(ch.ingredient_deltas[0].deltas.failure.empty());

    // --no-sign opts out; a format without C2PA support is written with a note.
    auto plain = run_cli("convert '" + in.string() + "' '" + (home / "plain.png").string() + "' --no-sign", home);
    ASSERT_EQ(plain.code, 0) << plain.out;
    EXPECT_EQ(verify_with_local_ca(home / "plain.png", home).state, ValidationState::no_manifest);
    auto exr = run_cli("--json convert '" + in.string() + "' '" + (home / "out.exr").string() + "'", home);
    ASSERT_EQ(exr.code, 0) << exr.out;
    EXPECT_NE(exr.out.find("is not signed"), std::string::npos) << exr.out;
    EXPECT_NE(exr.out.find("\"signed\": false"), std::string::npos) << exr.out;

    // Each signed output is one provenance-log entry; the log verifies.
    const auto entries = log_entries(home);
    ASSERT_EQ(entries.size(), 5u) << entries.dump(1);
    for (const auto& e : entries)
        EXPECT_EQ(e.at("action"), "convert");
    EXPECT_EQ(entries[0].at("details").at("parents").at(0), "in.png");
    auto lv = run_cli("log verify", home);
    EXPECT_EQ(lv.code, 0) << lv.out;
    std::filesystem::remove_all(home);
}

TEST(Cli, LibraryExportSignsWithTheLibraryCopyAsParent) {
    const auto home = temp_dir("cli-export");
    const auto src = home / "pattern.png";
    ASSERT_TRUE(write_file_atomic(src, make_image(".png", 48, 48, 22)).ok());
    // A signed original (generated), imported with a licence, exported twice.
    auto s = run_cli("sign '" + src.string() + "' '" + (home / "signed.png").string() + "' --no-thumbnail", home);
    ASSERT_EQ(s.code, 0) << s.out;
    auto imp = run_cli("--json import '" + (home / "signed.png").string() + "' --licence commercial", home);
    ASSERT_EQ(imp.code, 0) << imp.out;
    auto ex = run_cli("--json export 1 '" + (home / "out").string() + "'", home);
    ASSERT_EQ(ex.code, 0) << ex.out;
    auto j = nlohmann::json::parse(ex.out, nullptr, false);
    ASSERT_TRUE(j.is_array() && j.size() == 1u) << ex.out;
    EXPECT_EQ(j[0].at("credentials").at("signed"), true);
    const std::filesystem::path exported = j[0].at("path").get<std::string>();
    const ValidationReport rep = verify_with_local_ca(exported, home);
    EXPECT_EQ(rep.state, ValidationState::trusted) << rep.to_json().dump(1);
    EXPECT_EQ(actions_of(rep), (std::vector<std::string>{"c2pa.opened", "c2pa.published"}));
    EXPECT_EQ(rep.manifests.size(), 2u);  // the signed original's manifest travels along
    EXPECT_TRUE(rep.manifests.at(rep.active_label).contains("thumbnail")) << "the library's thumbnail";
    bool licence = false;
    for (const auto& a : rep.manifests.at(rep.active_label).at("assertions"))
        if (a.at("label") == "org.atelier.license") licence = a.at("data").at("terms") == "commercial";
    EXPECT_TRUE(licence);
    const auto entries = log_entries(home);
    ASSERT_FALSE(entries.empty());
    EXPECT_EQ(entries.back().at("action"), "export");
    EXPECT_EQ(entries.back().at("manifest"), rep.active_label);

    // --no-sign: the library's bytes, unchanged.
    auto raw = run_cli("--json export 1 '" + (home / "raw").string() + "' --no-sign", home);
    ASSERT_EQ(raw.code, 0) << raw.out;
    auto rj = nlohmann::json::parse(raw.out, nullptr, false);
    ASSERT_TRUE(rj.is_array() && rj.size() == 1u) << raw.out;
    EXPECT_EQ(read_file_bytes(rj[0].at("path").get<std::string>()).value(),
              read_file_bytes(home / "signed.png").value());
    std::filesystem::remove_all(home);
}

TEST(Cli, UpscaleSignsItsOutputsAndNamesTheModel) {
    const auto home = temp_dir("cli-upscale");
    const auto in = home / "small.png";
    ASSERT_TRUE(write_file_atomic(in, make_image(".png", 16, 16, 23)).ok());
    auto u = run_cli(
        "--json upscale '" + in.string() + "' '" + (home / "big.webp").string() + "' --model esrgan-slim --device cpu",
        home);
    ASSERT_EQ(u.code, 0) << u.out << "\n(the esrgan-slim model comes with installer/setup.sh models)";
    const ValidationReport rep = verify_with_local_ca(home / "big.webp", home);
    EXPECT_EQ(rep.state, ValidationState::trusted) << rep.to_json().dump(1);
    EXPECT_EQ(actions_of(rep), (std::vector<std::string>{"c2pa.opened", "c2pa.resized"}));
    bool named = false;
    for (const auto& a : rep.manifests.at(rep.active_label).at("assertions"))
        if (a.at("label") == "org.atelier.generation")
            named = a.at("data").at("model").at("id") == "esrgan-slim" &&
                    a.at("data").at("model").at("sha256").get<std::string>().size() == 64 &&
                    a.at("data").at("pipeline").at(0).at("step") == "upscale";
    EXPECT_TRUE(named) << rep.manifests.dump(1);
    const auto entries = log_entries(home);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].at("action"), "upscale");
    auto off = run_cli("upscale '" + in.string() + "' '" + (home / "plain.png").string() +
                           "' --model esrgan-slim --device cpu --no-sign",
                       home);
    ASSERT_EQ(off.code, 0) << off.out;
    EXPECT_EQ(verify_with_local_ca(home / "plain.png", home).state, ValidationState::no_manifest);
    std::filesystem::remove_all(home);
}
