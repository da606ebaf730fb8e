// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "atelier/imageio/imageio.h"
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

/// Decodes both files (through imageio) and compares every byte of pixels.
bool same_pixels(const Bytes& a, const Bytes& b, const std::string& ext) {
    const auto dir = temp_dir("pixels");
    if (!write_file_atomic(dir / ("a" + ext), a).ok() || !write_file_atomic(dir / ("b" + ext), b).ok()) return false;
    auto ia = imageio::load(dir / ("a" + ext));
    auto ib = imageio::load(dir / ("b" + ext));
    std::filesystem::remove_all(dir);
    if (!ia || !ib) {
        ADD_FAILURE() << (ia ? ib.error().message : ia.error().message);
        return false;
    }
    return ia->width() == ib->width() && ia->height() == ib->height() && ia->channels() == ib->channels() &&
           std::memcmp(ia->data(), ib->data(), ia->row_bytes() * std::size_t(ia->height())) == 0;
}

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
    if (*fmt == AssetFormat::png || *fmt == AssetFormat::jpeg) {
        EXPECT_EQ(*stripped, original);
    } else {
        // TIFF gets a new IFD0, WebP may become extended: the pixels stay.
        auto again = find_manifest(*stripped, *fmt);
        ASSERT_TRUE(again.ok()) << again.error().message;
        EXPECT_FALSE(again->store.has_value());
        EXPECT_TRUE(same_pixels(*stripped, original, GetParam()));
    }
    EXPECT_TRUE(same_pixels(signed_.asset, original, GetParam()));

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

INSTANTIATE_TEST_SUITE_P(Provenance, SignFormats, ::testing::Values(".png", ".jpg", ".tif", ".webp"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param.substr(1); });

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
    if (where == "pixels")  // TIFF and WebP keep the manifest at the end
        return em->offset + em->length == r.asset.size() || *fmt == AssetFormat::webp
                   ? em->offset * 2 / 3
                   : em->offset + em->length + (r.asset.size() - em->offset - em->length) / 2;
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

INSTANTIATE_TEST_SUITE_P(
    Provenance, Tampering,
    ::testing::Values(Tamper{".png", "pixels"}, Tamper{".png", "assertion"}, Tamper{".png", "claim"},
                      Tamper{".png", "signature"}, Tamper{".jpg", "pixels"}, Tamper{".jpg", "assertion"},
                      Tamper{".jpg", "claim"}, Tamper{".jpg", "signature"}, Tamper{".tif", "pixels"},
                      Tamper{".tif", "assertion"}, Tamper{".tif", "claim"}, Tamper{".tif", "signature"},
                      Tamper{".webp", "pixels"}, Tamper{".webp", "assertion"}, Tamper{".webp", "claim"},
                      Tamper{".webp", "signature"}),
    [](const ::testing::TestParamInfo<Tamper>& p) { return p.param.ext.substr(1) + "_" + p.param.where; });

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

// ---- TIFF and WebP containers

namespace {

/// A 2x1 8-bit grey big-endian (MM) TIFF, uncompressed, IFD0 before the pixels.
Bytes tiny_tiff_mm() {
    Bytes t = {'M', 'M', 0, 42, 0, 0, 0, 8};
    const std::vector<std::array<std::uint32_t, 4>> entries = {{256, 3, 1, 2}, {257, 3, 1, 1}, {258, 3, 1, 8},
                                                               {259, 3, 1, 1}, {262, 3, 1, 1}, {273, 4, 1, 0},
                                                               {277, 3, 1, 1}, {278, 3, 1, 1}, {279, 4, 1, 2}};
    const std::uint32_t pixels = 8 + 2 + 12 * std::uint32_t(entries.size()) + 4;
    t.push_back(0);
    t.push_back(static_cast<std::uint8_t>(entries.size()));
    for (auto e : entries) {
        if (e[0] == 273) e[3] = pixels;
        t.insert(t.end(),
                 {std::uint8_t(e[0] >> 8), std::uint8_t(e[0]), 0, std::uint8_t(e[1]), 0, 0, 0, std::uint8_t(e[2])});
        if (e[1] == 3)  // SHORT values are left-justified in the 4 bytes
            t.insert(t.end(), {std::uint8_t(e[3] >> 8), std::uint8_t(e[3]), 0, 0});
        else
            t.insert(t.end(),
                     {std::uint8_t(e[3] >> 24), std::uint8_t(e[3] >> 16), std::uint8_t(e[3] >> 8), std::uint8_t(e[3])});
    }
    t.insert(t.end(), {0, 0, 0, 0, 0x40, 0xC0});
    return t;
}

/// A simple lossless WebP: a VP8L chunk whose header says 300x200 with alpha.
/// (Only the header is real; container code never decodes the bitstream.)
Bytes tiny_vp8l() {
    const std::uint32_t bits = (300 - 1) | ((200 - 1) << 14) | (1u << 28);
    // 7 bytes of chunk data (odd, so a pad byte follows).
    Bytes w = {'R',
               'I',
               'F',
               'F',
               0,
               0,
               0,
               0,
               'W',
               'E',
               'B',
               'P',
               'V',
               'P',
               '8',
               'L',
               7,
               0,
               0,
               0,
               0x2f,
               std::uint8_t(bits),
               std::uint8_t(bits >> 8),
               std::uint8_t(bits >> 16),
               std::uint8_t(bits >> 24),
               0x11,
               0x22,
               0};
    const auto size = static_cast<std::uint32_t>(w.size() - 8);
    w[4] = std::uint8_t(size);
    w[5] = std::uint8_t(size >> 8);
    return w;
}

}  // namespace

TEST(Containers, BigEndianTiffSignsAndValidates) {
    const Bytes mm = tiny_tiff_mm();
    ASSERT_EQ(*detect_format(mm), AssetFormat::tiff);
    const SignResult r = sign_or_die(mm, generated_spec());
    const ValidationReport rep = validate_asset(r.asset, trusting());
    EXPECT_EQ(rep.state, ValidationState::trusted) << rep.to_json().dump(1);
    // The header points at a new IFD0 at the end; the old pixels are where they were.
    EXPECT_EQ(Bytes(r.asset.begin(), r.asset.begin() + 4), Bytes(mm.begin(), mm.begin() + 4));
    EXPECT_EQ(Bytes(r.asset.begin() + 8, r.asset.begin() + static_cast<long>(mm.size())),
              Bytes(mm.begin() + 8, mm.end()));
    auto em = find_manifest(r.asset, AssetFormat::tiff);
    ASSERT_TRUE(em.ok() && em->store);
    EXPECT_EQ(em->offset + em->length, r.asset.size());
    ASSERT_EQ(em->allowed_exclusions.size(), 1u);
    // The hard binding excludes the count field of the C2PA entry and the store, as c2pa-rs does.
    EXPECT_TRUE(rep.active.has_success("assertion.dataHash.match"));

    // Re-signing rewrites the tail instead of growing the file by a dead IFD each time.
    const SignResult again = sign_or_die(r.asset, generated_spec());
    const SignResult third = sign_or_die(again.asset, generated_spec());
    EXPECT_EQ(third.asset.size() - third.manifest_size, again.asset.size() - again.manifest_size);
    EXPECT_EQ(validate_asset(third.asset, trusting()).state, ValidationState::trusted);
}

TEST(Containers, SimpleWebPBecomesExtended) {
    const Bytes w = tiny_vp8l();
    ASSERT_EQ(*detect_format(w), AssetFormat::webp);
    const SignResult r = sign_or_die(w, generated_spec());
    // RIFF size, VP8X first with the alpha flag and the canvas from the VP8L header, C2PA last.
    const auto le32 = [&](std::size_t at) {
        return std::uint32_t(r.asset[at]) | (std::uint32_t(r.asset[at + 1]) << 8) |
               (std::uint32_t(r.asset[at + 2]) << 16) | (std::uint32_t(r.asset[at + 3]) << 24);
    };
    EXPECT_EQ(le32(4) + 8, r.asset.size());
    EXPECT_EQ(std::string(r.asset.begin() + 12, r.asset.begin() + 16), "VP8X");
    EXPECT_EQ(le32(16), 10u);
    EXPECT_EQ(r.asset[20], 0x10);  // alpha
    EXPECT_EQ(le32(24) & 0xffffff, 299u);
    EXPECT_EQ((le32(27) & 0xffffff), 199u);
    EXPECT_EQ(std::string(r.asset.begin() + 30, r.asset.begin() + 34), "VP8L");
    auto em = find_manifest(r.asset, AssetFormat::webp);
    ASSERT_TRUE(em.ok() && em->store);
    EXPECT_EQ(std::string(r.asset.begin() + static_cast<long>(em->offset),
                          r.asset.begin() + static_cast<long>(em->offset) + 4),
              "C2PA");
    EXPECT_EQ(em->offset + em->length + (r.manifest_size & 1), r.asset.size());
    EXPECT_EQ(validate_asset(r.asset, trusting()).state, ValidationState::trusted);
    // Stripping keeps a valid extended file without the chunk.
    auto s = strip_manifest(r.asset, AssetFormat::webp);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->size(), 12u + 18u + 16u);
    const SignResult again = sign_or_die(*s, generated_spec());
    EXPECT_EQ(validate_asset(again.asset, trusting()).state, ValidationState::trusted);
}

TEST(Containers, DamagedTiffAndWebPGiveClearErrors) {
    const SignResult tif = sign_or_die(make_image(".tif", 32, 32, 3), generated_spec());
    const SignResult webp = sign_or_die(make_image(".webp", 32, 32, 3), generated_spec());
    auto state_and_error = [](const Bytes& b) {
        const ValidationReport r = validate_asset(b);
        return std::make_pair(r.state, r.error);
    };
    // Truncated: the store runs past the end.
    const Bytes tcut(tif.asset.begin(), tif.asset.end() - 100);
    auto [ts, te] = state_and_error(tcut);
    EXPECT_EQ(ts, ValidationState::unreadable);
    EXPECT_NE(te.find("past the end"), std::string::npos) << te;
    const Bytes wcut(webp.asset.begin(), webp.asset.end() - 100);
    auto [ws, we] = state_and_error(wcut);
    EXPECT_EQ(ws, ValidationState::unreadable);
    EXPECT_NE(we.find("truncated"), std::string::npos) << we;

    // IFD0 offset outside the file.
    Bytes bad_ifd = tif.asset;
    bad_ifd[4] = bad_ifd[5] = bad_ifd[6] = bad_ifd[7] = 0xff;
    EXPECT_NE(state_and_error(bad_ifd).second.find("IFD0 offset"), std::string::npos);
    // The C2PA entry with the wrong type.
    auto em = find_manifest(tif.asset, AssetFormat::tiff);
    ASSERT_TRUE(em.ok());
    Bytes bad_type = tif.asset;
    const std::size_t type_at = static_cast<std::size_t>(em->allowed_exclusions.at(0).start) - 2;
    bad_type[type_at] = 1;  // BYTE instead of UNDEFINED (little-endian file)
    EXPECT_NE(state_and_error(bad_type).second.find("UNDEFINED"), std::string::npos);
    // An IFD chain that loops back on itself.
    Bytes loop = tif.asset;
    const std::size_t ifd0 = loop[4] | (loop[5] << 8) | (loop[6] << 16) | (std::size_t(loop[7]) << 24);
    const std::size_t next_at = ifd0 + 2 + 12 * (loop[ifd0] | (loop[ifd0 + 1] << 8));
    std::copy(loop.begin() + 4, loop.begin() + 8, loop.begin() + static_cast<long>(next_at));
    EXPECT_NE(state_and_error(loop).second.find("loops"), std::string::npos) << state_and_error(loop).second;
    // A WebP chunk length that overflows the file.
    Bytes bad_chunk = webp.asset;
    bad_chunk[16] = bad_chunk[17] = bad_chunk[18] = 0xff;
    bad_chunk[19] = 0x7f;
    EXPECT_EQ(state_and_error(bad_chunk).first, ValidationState::unreadable);
    // A WebP whose first chunk is not an image chunk cannot be signed.
    Bytes odd = tiny_vp8l();
    odd[12] = 'X';
    auto refused = sign_asset(odd, generated_spec(), test_identity());
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::corrupt_data);
    // BigTIFF: unsupported, with a message that says so.
    const Bytes big = {'I', 'I', 43, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    auto b = sign_asset(big, generated_spec(), test_identity());
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().code, Errc::unsupported);
    EXPECT_NE(b.error().message.find("BigTIFF"), std::string::npos);
}

TEST(Containers, JpegWithAnotherJumbfKeepsItAndUsesItsOwnBoxInstance) {
    // Another JUMBF in APP11 with box instance 1 (not a C2PA store): ours must not join its packets.
    const Bytes jpg = make_image(".jpg", 32, 32, 8);
    const std::string label = "other";
    Bytes jumd = {0, 0, 0, 0, 'j', 'u', 'm', 'd'};
    jumd.insert(jumd.end(), 16, 0x11);  // some type UUID
    jumd.push_back(0x03);
    jumd.insert(jumd.end(), label.begin(), label.end());
    jumd.push_back(0);
    jumd[3] = static_cast<std::uint8_t>(jumd.size());
    Bytes box = {0, 0, 0, 0, 'j', 'u', 'm', 'b'};
    box.insert(box.end(), jumd.begin(), jumd.end());
    box[3] = static_cast<std::uint8_t>(box.size());
    Bytes seg = {0xFF, 0xEB, 0, 0, 'J', 'P', 0, 1, 0, 0, 0, 1};
    seg.insert(seg.end(), box.begin(), box.end());
    seg[3] = static_cast<std::uint8_t>(seg.size() - 2);
    Bytes with_other(jpg.begin(), jpg.begin() + 2);
    with_other.insert(with_other.end(), seg.begin(), seg.end());
    with_other.insert(with_other.end(), jpg.begin() + 2, jpg.end());

    const SignResult r = sign_or_die(with_other, generated_spec());
    EXPECT_EQ(validate_asset(r.asset, trusting()).state, ValidationState::trusted);
    EXPECT_NE(find_bytes(r.asset, std::string(reinterpret_cast<const char*>(seg.data()), seg.size())),
              std::string::npos);  // the other JUMBF is still there, untouched
    auto em = find_manifest(r.asset, AssetFormat::jpeg);
    ASSERT_TRUE(em.ok() && em->store);
    EXPECT_EQ(r.asset[em->offset + 6], 0);
    EXPECT_EQ(r.asset[em->offset + 7], 2);  // box instance 2
}
