// SPDX-License-Identifier: MIT
#pragma once
/// \file crypto.h
/// Keys, X.509 certificates and the local certificate authority, all through
/// OpenSSL 3. Every OpenSSL handle is owned by an RAII type here; private key
/// material never reaches a log line or an error message.
///
/// `CertificateAuthority` is deliberately independent of where keys live, so
/// that the marketplace server can act as a CA for creators with the same
/// code (`issue_signing_cert` for a public key it receives).
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "atelier/provenance/cbor.h"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;

namespace atelier::provenance {

/// COSE signature algorithms C2PA allows (RFC 9053 identifiers).
enum class SigningAlg { es256, es384, es512, ps256, ps384, ps512, ed25519 };
/// COSE identifier (-7 for ES256, -8 for EdDSA, ...).
int cose_alg_id(SigningAlg alg);
/// Maps a COSE identifier back; nullopt for anything C2PA does not allow.
std::optional<SigningAlg> alg_from_cose(std::int64_t id);
/// "ES256", "Ed25519", ...
std::string alg_name(SigningAlg alg);

struct PkeyDeleter {
    void operator()(EVP_PKEY* p) const noexcept;
};
struct X509Deleter {
    void operator()(X509* p) const noexcept;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

/// A private (or public-only) key. Copies share the immutable OpenSSL key
/// (reference-counted).
class Key {
public:
    /// A fresh key for `alg` (P-256/384/521, RSA-3072 for PS*, Ed25519).
    static Result<Key> generate(SigningAlg alg);
    /// Parses a PEM private or public key. An encrypted PKCS#8 key needs its
    /// `passphrase` (OpenSSL is never allowed to prompt): without one it is
    /// Errc::permission_denied naming ATELIER_KEY_PASSPHRASE; a wrong one too.
    static Result<Key> from_pem(std::string_view pem, std::string_view passphrase = {});
    /// Reads a PEM private key file; refuses a file readable by others.
    static Result<Key> load(const std::filesystem::path& file, std::string_view passphrase = {});
    /// Writes the PEM private key with mode 0600 (temp file + rename). With a
    /// passphrase: encrypted PKCS#8 (PBES2: scrypt N=2^14, r=8, p=1; AES-256-CBC).
    Result<void> save(const std::filesystem::path& file, std::string_view passphrase = {}) const;
    std::string private_pem() const;
    std::string public_pem() const;
    EVP_PKEY* get() const noexcept { return m_key.get(); }
    explicit Key(PkeyPtr k) : m_key(std::move(k)) {}
    Key(const Key& o);
    Key& operator=(const Key& o);
    Key(Key&&) noexcept = default;
    Key& operator=(Key&&) noexcept = default;

private:
    PkeyPtr m_key;
};

/// An X.509 certificate. Copyable (shares the reference-counted handle).
class Certificate {
public:
    static Result<Certificate> from_der(ByteView der);
    static Result<Certificate> from_pem(std::string_view pem);
    /// Every certificate in a PEM bundle.
    static Result<std::vector<Certificate>> bundle_from_pem(std::string_view pem);
    static Result<std::vector<Certificate>> load_bundle(const std::filesystem::path& file);
    Bytes der() const;
    std::string pem() const;
    std::string subject() const;  ///< one-line RFC 2253 form
    std::string common_name() const;
    std::string issuer_common_name() const;
    std::string serial_decimal() const;
    X509* get() const noexcept { return m_cert.get(); }
    /// The public key (owned by the returned Key).
    Key public_key() const;
    explicit Certificate(X509Ptr c) : m_cert(std::move(c)) {}
    Certificate(const Certificate& o);
    Certificate& operator=(const Certificate& o);
    Certificate(Certificate&&) noexcept = default;
    Certificate& operator=(Certificate&&) noexcept = default;

private:
    X509Ptr m_cert;
};

/// Who a signing certificate is for.
struct Subject {
    std::string common_name;
    std::string organization;
    std::string email;  ///< optional; becomes a subjectAltName rfc822Name
};

/// A certificate authority: a key and its self-signed root. Issues C2PA
/// signing certificates (X.509 v3, keyUsage critical digitalSignature,
/// extendedKeyUsage emailProtection + c2pa-kp-claimSigning, basicConstraints
/// CA:FALSE, subject and authority key identifiers). Not thread-safe.
class CertificateAuthority {
public:
    /// A new CA with an ES256 key and a root valid for `days`.
    static Result<CertificateAuthority> create(const Subject& subject, int days = 3650);
    static Result<CertificateAuthority> from_pem(std::string_view key_pem, std::string_view cert_pem);
    /// Issues a certificate for `subject_key` (a public or private key).
    Result<Certificate> issue_signing_cert(const Key& subject_key, const Subject& subject, int days = 730) const;
    const Certificate& certificate() const noexcept { return m_cert; }
    const Key& key() const noexcept { return m_key; }

private:
    CertificateAuthority(Key k, Certificate c) : m_key(std::move(k)), m_cert(std::move(c)) {}
    Key m_key;
    Certificate m_cert;
};

/// A signer: private key plus the chain, end-entity first.
struct SigningIdentity {
    Key key;
    SigningAlg alg = SigningAlg::es256;
    std::vector<Certificate> chain;
};

/// The user's keys under a directory (default `$XDG_DATA_HOME/atelier/keys`):
/// `ca.key`/`ca.pem` (the local CA) and `signer-<alg>.key`/`.pem`, created
/// on first use. Key files are written 0600, the directory 0700.
///
/// Optional passphrase: when the environment variable ATELIER_KEY_PASSPHRASE
/// is set (or one is passed), keys created on first use are stored encrypted
/// and encrypted keys are read with it. Nothing ever prompts, so the CLI stays
/// non-interactive; an encrypted key without the variable is a clear error.
class KeyStore {
public:
    /// The passphrase comes from ATELIER_KEY_PASSPHRASE (empty: none).
    explicit KeyStore(std::filesystem::path dir);
    KeyStore(std::filesystem::path dir, std::string passphrase);
    /// `paths::data_dir()/keys`.
    static std::filesystem::path default_dir();
    /// Loads (or creates on first use) the CA.
    Result<CertificateAuthority> authority(const Subject& ca_subject = {"Atelier Local CA", "Atelier", ""}) const;
    /// Loads (or creates on first use) the user's identity for `alg`
    /// (ES256 or Ed25519), its certificate issued by the local CA.
    Result<SigningIdentity> identity(SigningAlg alg = SigningAlg::es256, const Subject& who = {}) const;
    /// Path of the CA certificate (the trust anchor to hand to verifiers).
    std::filesystem::path ca_cert_path() const { return m_dir / "ca.pem"; }
    const std::filesystem::path& dir() const noexcept { return m_dir; }

private:
    std::filesystem::path m_dir;
    std::string m_passphrase;
};

/// Signs `data` (hash + sign for ECDSA/RSA-PSS, pure for Ed25519). ECDSA
/// signatures are returned in the COSE raw r||s form.
Result<Bytes> sign_bytes(const Key& key, SigningAlg alg, ByteView data);
/// Verifies a COSE-form signature; false (not an error) on mismatch.
Result<bool> verify_bytes(const Key& public_key, SigningAlg alg, ByteView data, ByteView signature);

/// Outcome of checking a chain against trust anchors.
struct ChainCheck {
    bool profile_ok = false;  ///< the end-entity cert meets the C2PA signing profile
    std::string profile_problem;
    bool trusted = false;  ///< the chain ends in one of the anchors
    std::string trust_problem;
    bool expired = false;  ///< outside its validity period now
};
/// Checks the end-entity certificate profile and, when anchors are given,
/// builds the chain to them with OpenSSL.
ChainCheck check_chain(const std::vector<Certificate>& chain, const std::vector<Certificate>& anchors);

/// Digest of the bytes of `data` inside `ranges` ((offset, length) pairs, in
/// order) with "sha256", "sha384" or "sha512"; Errc::unsupported otherwise.
Result<Bytes> digest_ranges(std::string_view alg, ByteView data,
                            const std::vector<std::pair<std::size_t, std::size_t>>& ranges);
/// Digest of all of `data`.
Result<Bytes> digest(std::string_view alg, ByteView data);

/// Random bytes from the OpenSSL DRBG.
Bytes random_bytes(std::size_t n);
/// An RFC 4122 version 4 UUID in lower-case text.
std::string random_uuid();

}  // namespace atelier::provenance
