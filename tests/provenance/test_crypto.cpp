// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "atelier/provenance/cose.h"
#include "atelier/provenance/crypto.h"

using namespace atelier;
using namespace atelier::provenance;

namespace {
std::filesystem::path temp_dir(const std::string& name) {
    auto d = std::filesystem::temp_directory_path() / ("atelier-prov-" + name + "-" + random_uuid());
    std::filesystem::create_directories(d);
    return d;
}
}  // namespace

TEST(Crypto, CaIssuesCertificatesThatMeetTheC2paProfile) {
    auto ca = CertificateAuthority::create({"Test CA", "Atelier tests", ""});
    ASSERT_TRUE(ca.ok()) << ca.error().message;
    auto key = Key::generate(SigningAlg::es256);
    ASSERT_TRUE(key.ok());
    auto cert = ca->issue_signing_cert(*key, {"Alice", "Studio", "alice@example.com"});
    ASSERT_TRUE(cert.ok()) << cert.error().message;
    EXPECT_EQ(cert->common_name(), "Alice");
    EXPECT_EQ(cert->issuer_common_name(), "Test CA");
    const std::vector<Certificate> chain = {*cert, ca->certificate()};
    auto untrusted = check_chain(chain, {});
    EXPECT_TRUE(untrusted.profile_ok) << untrusted.profile_problem;
    EXPECT_FALSE(untrusted.trusted);
    auto trusted = check_chain(chain, {ca->certificate()});
    EXPECT_TRUE(trusted.trusted) << trusted.trust_problem;
    // Another CA is not an anchor for it.
    auto other = CertificateAuthority::create({"Other CA", "", ""});
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(check_chain(chain, {other->certificate()}).trusted);
    // The CA certificate itself is no signing certificate.
    EXPECT_FALSE(check_chain({ca->certificate()}, {}).profile_ok);
    // Round trip through PEM.
    auto again = CertificateAuthority::from_pem(ca->key().private_pem(), ca->certificate().pem());
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(CertificateAuthority::from_pem(other->key().private_pem(), ca->certificate().pem()).ok());
}

TEST(Crypto, CoseSign1RoundTripsForEs256AndEd25519) {
    auto ca = CertificateAuthority::create({"Test CA", "", ""});
    ASSERT_TRUE(ca.ok());
    for (SigningAlg alg : {SigningAlg::es256, SigningAlg::ed25519, SigningAlg::es384}) {
        auto key = Key::generate(alg);
        ASSERT_TRUE(key.ok());
        auto cert = ca->issue_signing_cert(*key, {"Signer", "", ""});
        ASSERT_TRUE(cert.ok());
        SigningIdentity id{std::move(*key), alg, {*cert, ca->certificate()}};
        const Bytes claim = {'c', 'l', 'a', 'i', 'm'};
        auto cose = cose_sign1_detached(id, claim);
        ASSERT_TRUE(cose.ok()) << cose.error().message;
        auto msg = cose_sign1_parse(*cose);
        ASSERT_TRUE(msg.ok()) << msg.error().message;
        EXPECT_EQ(msg->alg_id, cose_alg_id(alg));
        ASSERT_EQ(msg->x5chain.size(), 2u);
        EXPECT_FALSE(msg->payload.has_value());
        auto leaf = Certificate::from_der(msg->x5chain[0]);
        ASSERT_TRUE(leaf.ok());
        auto good = cose_sign1_verify(*msg, leaf->public_key(), claim);
        ASSERT_TRUE(good.ok());
        EXPECT_TRUE(*good) << alg_name(alg);
        const Bytes other = {'c', 'l', 'a', 'i', 'M'};
        EXPECT_FALSE(*cose_sign1_verify(*msg, leaf->public_key(), other));
        auto bad = *msg;
        bad.signature[3] ^= 0x01;
        EXPECT_FALSE(*cose_sign1_verify(bad, leaf->public_key(), claim));
        bad = *msg;
        bad.alg_id = -999;
        auto unsupported = cose_sign1_verify(bad, leaf->public_key(), claim);
        ASSERT_FALSE(unsupported.ok());
        EXPECT_EQ(unsupported.error().code, Errc::unsupported);
    }
}

TEST(Crypto, CoseParserRejectsMalformedMessages) {
    EXPECT_FALSE(cose_sign1_parse(cbor_encode(Cbor::tagged(17, Cbor::array()))).ok());
    EXPECT_FALSE(cose_sign1_parse(cbor_encode(Cbor::array({Cbor::uint(1)}))).ok());
    EXPECT_FALSE(
        cose_sign1_parse(cbor_encode(Cbor::array({Cbor::text("x"), Cbor::map(), Cbor::null(), Cbor::bytes(Bytes{})})))
            .ok());
    auto r = cose_sign1_parse(
        cbor_encode(Cbor::array({Cbor::bytes(Bytes{0x01}), Cbor::map(), Cbor::null(), Cbor::bytes(Bytes{})})));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("protected header"), std::string::npos);
}

TEST(Crypto, KeyStoreCreatesPrivateKeysOnFirstUseAndReusesThem) {
    const auto dir = temp_dir("keys");
    KeyStore store(dir / "keys");
    auto id = store.identity(SigningAlg::es256);
    ASSERT_TRUE(id.ok()) << id.error().message;
    struct stat st {};
    ASSERT_EQ(::stat((dir / "keys" / "signer-es256.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((dir / "keys" / "ca.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(::stat((dir / "keys").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    auto again = store.identity(SigningAlg::es256);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->chain.front().der(), id->chain.front().der());
    auto anchors = Certificate::load_bundle(store.ca_cert_path());
    ASSERT_TRUE(anchors.ok());
    EXPECT_TRUE(check_chain(id->chain, *anchors).trusted);
    auto ed = store.identity(SigningAlg::ed25519);
    ASSERT_TRUE(ed.ok()) << ed.error().message;
    EXPECT_TRUE(check_chain(ed->chain, *anchors).trusted);
    // A key file readable by others is refused with advice.
    ::chmod((dir / "keys" / "signer-es256.key").c_str(), 0644);
    auto refused = store.identity(SigningAlg::es256);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::permission_denied);
    EXPECT_NE(refused.error().message.find("chmod 600"), std::string::npos);
    // The message never carries key material.
    EXPECT_EQ(refused.error().message.find("PRIVATE KEY"), std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST(Crypto, KeyStoreFirstUseIsAtomicAcrossConcurrentCallers) {
    // Eight callers on a fresh folder (as parallel exports at first launch):
    // one CA and one identity come out, every caller gets the same, and the
    // files on disk pair up.
    const auto dir = temp_dir("keys-race");
    std::vector<std::thread> threads;
    std::vector<Result<SigningIdentity>> got(8, fail(Errc::internal, "not run"));
    for (std::size_t i = 0; i < got.size(); ++i)
        threads.emplace_back([&, i] { got[i] = KeyStore(dir / "keys").identity(SigningAlg::es256); });
    for (auto& t : threads)
        t.join();
    for (const auto& g : got) {
        ASSERT_TRUE(g.ok()) << g.error().message;
        EXPECT_EQ(g->chain.front().der(), got[0]->chain.front().der());
        EXPECT_EQ(g->chain.back().der(), got[0]->chain.back().der());
    }
    auto stored = KeyStore(dir / "keys").identity(SigningAlg::es256);
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    EXPECT_EQ(stored->chain.front().der(), got[0]->chain.front().der());
    auto anchors = Certificate::load_bundle(dir / "keys" / "ca.pem");
    ASSERT_TRUE(anchors.ok());
    EXPECT_TRUE(check_chain(stored->chain, *anchors).trusted);
    // No temp file is left behind; every private file is 0600.
    for (const auto& e : std::filesystem::directory_iterator(dir / "keys")) {
        EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
        struct stat st {};
        ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
        if (e.path().extension() == ".key" || e.path().filename() == ".lock") {
            EXPECT_EQ(st.st_mode & 0777, 0600u) << e.path();
        }
    }
    std::filesystem::remove_all(dir);
}

TEST(Crypto, KeyStoreRefusesAKeyPairedWithAnotherCertificate) {
    const auto dir = temp_dir("keys-mix");
    KeyStore store(dir / "keys");
    ASSERT_TRUE(store.identity(SigningAlg::es256).ok());
    // Someone copies another key over ours.
    auto other = Key::generate(SigningAlg::es256);
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE(other->save(dir / "keys" / "signer-es256.key").ok());
    auto mixed = store.identity(SigningAlg::es256);
    ASSERT_FALSE(mixed.ok());
    EXPECT_EQ(mixed.error().code, Errc::corrupt_data);
    EXPECT_NE(mixed.error().message.find("do not belong together"), std::string::npos);
    EXPECT_EQ(mixed.error().message.find("PRIVATE KEY"), std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST(Crypto, PassphraseProtectedKeysNeverPrompt) {
    const auto dir = temp_dir("keys-pass");
    // First use with a passphrase: both private keys are stored encrypted (PKCS#8, scrypt).
    KeyStore locked(dir / "keys", "correct horse");
    auto id = locked.identity(SigningAlg::es256);
    ASSERT_TRUE(id.ok()) << id.error().message;
    for (const char* f : {"ca.key", "signer-es256.key"}) {
        std::ifstream in(dir / "keys" / f);
        const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        EXPECT_NE(pem.find("BEGIN ENCRYPTED PRIVATE KEY"), std::string::npos) << f;
    }
    // Without it: a clear error naming the variable, at once (no terminal prompt).
    auto none = KeyStore(dir / "keys", "").identity(SigningAlg::es256);
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().code, Errc::permission_denied);
    EXPECT_NE(none.error().message.find("ATELIER_KEY_PASSPHRASE"), std::string::npos);
    auto wrong = KeyStore(dir / "keys", "wrong").identity(SigningAlg::es256);
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message.find("wrong passphrase"), std::string::npos);
    EXPECT_EQ(wrong.error().message.find("PRIVATE KEY"), std::string::npos);
    // With it: the same identity, usable for signing.
    auto again = KeyStore(dir / "keys", "correct horse").identity(SigningAlg::es256);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->chain.front().der(), id->chain.front().der());
    auto sig = sign_bytes(again->key, SigningAlg::es256, Bytes{1, 2, 3});
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(verify_bytes(id->chain.front().public_key(), SigningAlg::es256, Bytes{1, 2, 3}, *sig).value());
    std::filesystem::remove_all(dir);
}
