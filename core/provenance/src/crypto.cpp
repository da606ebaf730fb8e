// SPDX-License-Identifier: MIT
#include "atelier/provenance/crypto.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "atelier/base/paths.h"

namespace atelier::provenance {

void PkeyDeleter::operator()(EVP_PKEY* p) const noexcept {
    EVP_PKEY_free(p);
}
void X509Deleter::operator()(X509* p) const noexcept {
    X509_free(p);
}

namespace {

struct BioDeleter {
    void operator()(BIO* b) const noexcept { BIO_free_all(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
struct EcSigDeleter {
    void operator()(ECDSA_SIG* s) const noexcept { ECDSA_SIG_free(s); }
};
using EcSigPtr = std::unique_ptr<ECDSA_SIG, EcSigDeleter>;
struct BnDeleter {
    void operator()(BIGNUM* b) const noexcept { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
struct NameDeleter {
    void operator()(X509_NAME* n) const noexcept { X509_NAME_free(n); }
};
struct StoreDeleter {
    void operator()(X509_STORE* s) const noexcept { X509_STORE_free(s); }
};
struct StoreCtxDeleter {
    void operator()(X509_STORE_CTX* s) const noexcept { X509_STORE_CTX_free(s); }
};
struct StackDeleter {
    void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_free(s); }
};
struct ExtDeleter {
    void operator()(X509_EXTENSION* e) const noexcept { X509_EXTENSION_free(e); }
};
struct EkuDeleter {
    void operator()(EXTENDED_KEY_USAGE* e) const noexcept { EXTENDED_KEY_USAGE_free(e); }
};

/// The OpenSSL error queue as text (cleared). Never contains key material.
std::string ssl_error() {
    std::string s;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!s.empty()) s += "; ";
        s += buf;
    }
    return s.empty() ? "unknown OpenSSL error" : s;
}

Error crypto_fail(const std::string& what) {
    return fail(Errc::internal, what + ": " + ssl_error());
}

std::string bio_string(BIO* b) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(b, &data);
    return std::string(data, n > 0 ? static_cast<std::size_t>(n) : 0);
}

const EVP_MD* alg_md(SigningAlg alg) {
    switch (alg) {
        case SigningAlg::es256:
        case SigningAlg::ps256:
            return EVP_sha256();
        case SigningAlg::es384:
        case SigningAlg::ps384:
            return EVP_sha384();
        case SigningAlg::es512:
        case SigningAlg::ps512:
            return EVP_sha512();
        case SigningAlg::ed25519:
            return nullptr;
    }
    return nullptr;
}
bool is_ecdsa(SigningAlg a) {
    return a == SigningAlg::es256 || a == SigningAlg::es384 || a == SigningAlg::es512;
}
bool is_pss(SigningAlg a) {
    return a == SigningAlg::ps256 || a == SigningAlg::ps384 || a == SigningAlg::ps512;
}

std::string name_entry(X509_NAME* name, int nid) {
    if (!name) return {};
    const int idx = X509_NAME_get_index_by_NID(name, nid, -1);
    if (idx < 0) return {};
    ASN1_STRING* d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, d);
    if (n < 0) return {};
    std::string s(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
    OPENSSL_free(utf8);
    return s;
}

Result<void> add_ext(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    std::unique_ptr<X509_EXTENSION, ExtDeleter> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return crypto_fail(std::string("adding extension ") + value);
    return ok();
}

Result<X509Ptr> new_cert(const Key& subject_key, const Subject& subject, X509* issuer, int days) {
    X509Ptr x(X509_new());
    if (!x || X509_set_version(x.get(), 2) != 1) return crypto_fail("creating a certificate");
    Bytes serial = random_bytes(16);
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    BnPtr bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
    if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get()))) return crypto_fail("serial number");
    X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
    X509_time_adj_ex(X509_getm_notAfter(x.get()), days, 0, nullptr);
    X509_NAME* name = X509_get_subject_name(x.get());
    auto add = [&](const char* field, const std::string& v) {
        if (!v.empty())
            X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(v.c_str()),
                                       -1, -1, 0);
    };
    add("CN", subject.common_name.empty() ? std::string("Atelier user") : subject.common_name);
    add("O", subject.organization);
    if (X509_set_pubkey(x.get(), subject_key.get()) != 1) return crypto_fail("setting the public key");
    if (X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name) != 1)
        return crypto_fail("issuer name");
    return x;
}

Result<void> sign_cert(X509* x, const Key& key) {
    const bool ed = EVP_PKEY_get_id(key.get()) == EVP_PKEY_ED25519;
    if (X509_sign(x, key.get(), ed ? nullptr : EVP_sha256()) <= 0) return crypto_fail("signing the certificate");
    return ok();
}

Result<std::string> read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(Errc::not_found, "cannot read " + file.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Result<void> write_private(const std::filesystem::path& file, const std::string& data, mode_t mode) {
    // A name of our own (no two writers share a temp file); created with
    // `mode` from the start, so key material is never readable by others.
    const auto tmp = file.string() + ".tmp" + std::to_string(::getpid()) + "-" + random_uuid().substr(0, 8);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return fail(Errc::io_error,
                    "cannot create " + tmp + ": check the permissions of " + file.parent_path().string());
    ::fchmod(fd, mode);
    std::size_t off = 0;
    while (off < data.size()) {
        const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n <= 0) {
            ::close(fd);
            ::unlink(tmp.c_str());
            return fail(Errc::io_error, "writing " + tmp + " failed (disk full?)");
        }
        off += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        return fail(Errc::io_error, "writing " + tmp + " failed");
    }
    if (std::rename(tmp.c_str(), file.c_str()) != 0) {
        ::unlink(tmp.c_str());
        return fail(Errc::io_error, "cannot rename " + tmp + " to " + file.string());
    }
    // Make the rename durable before anything is signed with the key.
    const auto parent = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
    if (const int dfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return ok();
}

/// An exclusive advisory lock on `<dir>/.lock` (flock), held while keys are
/// created on first use, so that two processes (or threads) starting at once
/// end up with one CA and one identity, never a key paired with another
/// process's certificate.
class DirLock {
public:
    static Result<DirLock> acquire(const std::filesystem::path& dir) {
        const auto file = dir / ".lock";
        const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) return fail(Errc::io_error, "cannot create " + file.string() + ": check the folder's permissions");
        while (::flock(fd, LOCK_EX) != 0) {
            if (errno != EINTR) {
                ::close(fd);
                return fail(Errc::io_error, "cannot lock " + file.string());
            }
        }
        return DirLock(fd);
    }
    DirLock(DirLock&& o) noexcept : m_fd(std::exchange(o.m_fd, -1)) {}
    DirLock& operator=(DirLock&&) = delete;
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;
    ~DirLock() {
        if (m_fd >= 0) ::close(m_fd);  // closing releases the lock
    }

private:
    explicit DirLock(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

bool both_exist(const std::filesystem::path& a, const std::filesystem::path& b) {
    std::error_code ec;
    return std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec);
}

/// The certificate must be for this private key.
Result<void> check_pair(const Key& key, const Certificate& cert, const std::filesystem::path& dir) {
    if (X509_check_private_key(cert.get(), key.get()) == 1) return ok();
    ERR_clear_error();
    return fail(Errc::corrupt_data, "the key and certificate in " + dir.string() +
                                        " do not belong together; move that folder away to start with new keys "
                                        "(files signed before keep their credentials)");
}

}  // namespace

int cose_alg_id(SigningAlg alg) {
    switch (alg) {
        case SigningAlg::es256:
            return -7;
        case SigningAlg::es384:
            return -35;
        case SigningAlg::es512:
            return -36;
        case SigningAlg::ps256:
            return -37;
        case SigningAlg::ps384:
            return -38;
        case SigningAlg::ps512:
            return -39;
        case SigningAlg::ed25519:
            return -8;
    }
    return 0;
}

std::optional<SigningAlg> alg_from_cose(std::int64_t id) {
    switch (id) {
        case -7:
            return SigningAlg::es256;
        case -35:
            return SigningAlg::es384;
        case -36:
            return SigningAlg::es512;
        case -37:
            return SigningAlg::ps256;
        case -38:
            return SigningAlg::ps384;
        case -39:
            return SigningAlg::ps512;
        case -8:
            return SigningAlg::ed25519;
        default:
            return std::nullopt;
    }
}

std::string alg_name(SigningAlg alg) {
    switch (alg) {
        case SigningAlg::es256:
            return "ES256";
        case SigningAlg::es384:
            return "ES384";
        case SigningAlg::es512:
            return "ES512";
        case SigningAlg::ps256:
            return "PS256";
        case SigningAlg::ps384:
            return "PS384";
        case SigningAlg::ps512:
            return "PS512";
        case SigningAlg::ed25519:
            return "Ed25519";
    }
    return "?";
}

Result<Bytes> digest_ranges(std::string_view alg, ByteView data,
                            const std::vector<std::pair<std::size_t, std::size_t>>& ranges) {
    const EVP_MD* md = alg == "sha256"   ? EVP_sha256()
                       : alg == "sha384" ? EVP_sha384()
                       : alg == "sha512" ? EVP_sha512()
                                         : nullptr;
    if (!md) return fail(Errc::unsupported, "unsupported hash algorithm '" + std::string(alg) + "'");
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) return crypto_fail("digest");
    for (const auto& [off, len] : ranges) {
        if (off > data.size() || len > data.size() - off)
            return fail(Errc::corrupt_data, "hash range runs past the end of the data");
        EVP_DigestUpdate(ctx.get(), data.data() + off, len);
    }
    Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(ctx.get(), out.data(), &n) != 1) return crypto_fail("digest");
    out.resize(n);
    return out;
}

Result<Bytes> digest(std::string_view alg, ByteView data) {
    return digest_ranges(alg, data, {{0, data.size()}});
}

Bytes random_bytes(std::size_t n) {
    Bytes b(n);
    if (n > 0 && RAND_bytes(b.data(), static_cast<int>(n)) != 1)
        ATELIER_ASSERT(false, "the OpenSSL random generator failed");
    return b;
}

std::string random_uuid() {
    Bytes b = random_bytes(16);
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
        s += hex[b[i] >> 4];
        s += hex[b[i] & 15];
    }
    return s;
}

// ---------------------------------------------------------------- Key

Key::Key(const Key& o) : m_key(o.m_key && EVP_PKEY_up_ref(o.m_key.get()) == 1 ? o.m_key.get() : nullptr) {}
Key& Key::operator=(const Key& o) {
    if (this != &o) m_key.reset(o.m_key && EVP_PKEY_up_ref(o.m_key.get()) == 1 ? o.m_key.get() : nullptr);
    return *this;
}

Result<Key> Key::generate(SigningAlg alg) {
    EVP_PKEY* k = nullptr;
    switch (alg) {
        case SigningAlg::es256:
            k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
            break;
        case SigningAlg::es384:
            k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
            break;
        case SigningAlg::es512:
            k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521");
            break;
        case SigningAlg::ps256:
        case SigningAlg::ps384:
        case SigningAlg::ps512:
            k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(3072));
            break;
        case SigningAlg::ed25519:
            k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
            break;
    }
    if (!k) return crypto_fail("generating a " + alg_name(alg) + " key");
    return Key(PkeyPtr(k));
}

namespace {
/// Hands OpenSSL the passphrase (or nothing: never a terminal prompt).
int passphrase_cb(char* buf, int size, int /*rwflag*/, void* u) {
    const auto* pass = static_cast<const std::string_view*>(u);
    if (!pass || pass->empty() || pass->size() > static_cast<std::size_t>(size)) return 0;
    std::memcpy(buf, pass->data(), pass->size());
    return static_cast<int>(pass->size());
}
}  // namespace

Result<Key> Key::from_pem(std::string_view pem, std::string_view passphrase) {
    const bool encrypted = pem.find("ENCRYPTED") != std::string_view::npos;
    if (encrypted && passphrase.empty())
        return fail(Errc::permission_denied,
                    "the key is protected by a passphrase: set ATELIER_KEY_PASSPHRASE (Atelier never prompts)");
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_cb, &passphrase);
    if (!k && encrypted) {
        ERR_clear_error();
        return fail(Errc::permission_denied, "wrong passphrase for the key (ATELIER_KEY_PASSPHRASE)");
    }
    if (!k) {
        ERR_clear_error();
        BioPtr bio2(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
        k = PEM_read_bio_PUBKEY(bio2.get(), nullptr, passphrase_cb, nullptr);
    }
    if (!k) {
        ERR_clear_error();
        return fail(Errc::corrupt_data, "not a PEM key");
    }
    return Key(PkeyPtr(k));
}

Result<Key> Key::load(const std::filesystem::path& file, std::string_view passphrase) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return fail(Errc::not_found, "key file " + file.string() + " does not exist");
    if (st.st_mode & 077)
        return fail(Errc::permission_denied,
                    "key file " + file.string() + " is readable by other users; run `chmod 600` on it and try again");
    auto text = read_text(file);
    if (!text) return text.error();
    auto k = from_pem(*text, passphrase);
    if (!k) return k.error().with_context("reading " + file.string());
    return k;
}

Result<void> Key::save(const std::filesystem::path& file, std::string_view passphrase) const {
    if (passphrase.empty()) return write_private(file, private_pem(), 0600);
    // Encrypted PKCS#8: PBES2 with scrypt (N = 2^14, r = 8, p = 1, as `openssl pkcs8 -scrypt`) and AES-256-CBC.
    X509_ALGOR* pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), nullptr, 0, nullptr, 1 << 14, 8, 1);
    PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(m_key.get());
    X509_SIG* sig =
        (pbe && p8) ? PKCS8_set0_pbe(passphrase.data(), static_cast<int>(passphrase.size()), p8, pbe) : nullptr;
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (!sig) {
        X509_ALGOR_free(pbe);  // PKCS8_set0_pbe takes it only on success
        return crypto_fail("encrypting the private key");
    }
    BioPtr bio(BIO_new(BIO_s_mem()));
    const bool written = PEM_write_bio_PKCS8(bio.get(), sig) == 1;
    X509_SIG_free(sig);
    if (!written) return crypto_fail("encoding the encrypted private key");
    return write_private(file, bio_string(bio.get()), 0600);
}

std::string Key::private_pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PrivateKey(bio.get(), m_key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    return bio_string(bio.get());
}

std::string Key::public_pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PUBKEY(bio.get(), m_key.get());
    return bio_string(bio.get());
}

// ---------------------------------------------------------------- Certificate

Certificate::Certificate(const Certificate& o) : m_cert(o.m_cert ? X509_dup(o.m_cert.get()) : nullptr) {}
Certificate& Certificate::operator=(const Certificate& o) {
    if (this != &o) m_cert.reset(o.m_cert ? X509_dup(o.m_cert.get()) : nullptr);
    return *this;
}

Result<Certificate> Certificate::from_der(ByteView der) {
    const unsigned char* p = der.data();
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    if (!x || p != der.data() + der.size()) {
        X509_free(x);
        ERR_clear_error();
        return fail(Errc::corrupt_data, "not a DER X.509 certificate");
    }
    return Certificate(X509Ptr(x));
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
    auto all = bundle_from_pem(pem);
    if (!all) return all.error();
    return std::move(all->front());
}

Result<std::vector<Certificate>> Certificate::bundle_from_pem(std::string_view pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    std::vector<Certificate> out;
    while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        out.emplace_back(X509Ptr(x));
    ERR_clear_error();
    if (out.empty()) return fail(Errc::corrupt_data, "no PEM certificate found");
    return out;
}

Result<std::vector<Certificate>> Certificate::load_bundle(const std::filesystem::path& file) {
    auto text = read_text(file);
    if (!text) return text.error();
    auto b = bundle_from_pem(*text);
    if (!b) return b.error().with_context(file.string());
    return b;
}

Bytes Certificate::der() const {
    unsigned char* buf = nullptr;
    const int n = i2d_X509(m_cert.get(), &buf);
    if (n <= 0) return {};
    Bytes b(buf, buf + n);
    OPENSSL_free(buf);
    return b;
}

std::string Certificate::pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), m_cert.get());
    return bio_string(bio.get());
}

std::string Certificate::subject() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(bio.get(), X509_get_subject_name(m_cert.get()), 0, XN_FLAG_RFC2253);
    return bio_string(bio.get());
}
std::string Certificate::common_name() const {
    return name_entry(X509_get_subject_name(m_cert.get()), NID_commonName);
}
std::string Certificate::issuer_common_name() const {
    return name_entry(X509_get_issuer_name(m_cert.get()), NID_commonName);
}
std::string Certificate::serial_decimal() const {
    BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(m_cert.get()), nullptr));
    if (!bn) return {};
    char* dec = BN_bn2dec(bn.get());
    std::string s = dec ? dec : "";
    OPENSSL_free(dec);
    return s;
}
Key Certificate::public_key() const {
    return Key(PkeyPtr(X509_get_pubkey(m_cert.get())));
}

// ---------------------------------------------------------------- CA

Result<CertificateAuthority> CertificateAuthority::create(const Subject& subject, int days) {
    auto key = Key::generate(SigningAlg::es256);
    if (!key) return key.error();
    auto x = new_cert(*key, subject, nullptr, days);
    if (!x) return x.error();
    X509* c = x->get();
    ATELIER_TRY(add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
    ATELIER_TRY(add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"));
    ATELIER_TRY(add_ext(c, c, NID_subject_key_identifier, "hash"));
    ATELIER_TRY(add_ext(c, c, NID_authority_key_identifier, "keyid:always"));
    ATELIER_TRY(sign_cert(c, *key));
    return CertificateAuthority(std::move(*key), Certificate(std::move(*x)));
}

Result<CertificateAuthority> CertificateAuthority::from_pem(std::string_view key_pem, std::string_view cert_pem) {
    auto key = Key::from_pem(key_pem);
    if (!key) return key.error().with_context("CA key");
    auto cert = Certificate::from_pem(cert_pem);
    if (!cert) return cert.error().with_context("CA certificate");
    if (X509_check_private_key(cert->get(), key->get()) != 1) {
        ERR_clear_error();
        return fail(Errc::invalid_argument, "the CA key does not match the CA certificate");
    }
    return CertificateAuthority(std::move(*key), std::move(*cert));
}

Result<Certificate> CertificateAuthority::issue_signing_cert(const Key& subject_key, const Subject& subject,
                                                             int days) const {
    auto x = new_cert(subject_key, subject, m_cert.get(), days);
    if (!x) return x.error();
    X509* c = x->get();
    ATELIER_TRY(add_ext(c, m_cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
    ATELIER_TRY(add_ext(c, m_cert.get(), NID_key_usage, "critical,digitalSignature"));
    ATELIER_TRY(add_ext(c, m_cert.get(), NID_ext_key_usage, "emailProtection"));
    ATELIER_TRY(add_ext(c, m_cert.get(), NID_subject_key_identifier, "hash"));
    ATELIER_TRY(add_ext(c, m_cert.get(), NID_authority_key_identifier, "keyid:always"));
    if (!subject.email.empty())
        ATELIER_TRY(add_ext(c, m_cert.get(), NID_subject_alt_name, ("email:" + subject.email).c_str()));
    ATELIER_TRY(sign_cert(c, m_key));
    return Certificate(std::move(*x));
}

// ---------------------------------------------------------------- KeyStore

KeyStore::KeyStore(std::filesystem::path dir) : m_dir(std::move(dir)) {
    if (const char* p = std::getenv("ATELIER_KEY_PASSPHRASE")) m_passphrase = p;
}
KeyStore::KeyStore(std::filesystem::path dir, std::string passphrase)
    : m_dir(std::move(dir)), m_passphrase(std::move(passphrase)) {}

std::filesystem::path KeyStore::default_dir() {
    return paths::data_dir() / "keys";
}

namespace {
Result<void> ensure_private_dir(const std::filesystem::path& dir) {
    ATELIER_TRY(paths::ensure_dir(dir));
    ::chmod(dir.c_str(), 0700);
    return ok();
}
}  // namespace

Result<CertificateAuthority> KeyStore::authority(const Subject& ca_subject) const {
    const auto key_file = m_dir / "ca.key";
    const auto cert_file = m_dir / "ca.pem";
    auto load = [&]() -> Result<CertificateAuthority> {
        auto key = Key::load(key_file, m_passphrase);
        if (!key) return key.error();
        auto pem = read_text(cert_file);
        if (!pem) return pem.error();
        auto ca = CertificateAuthority::from_pem(key->private_pem(), *pem);
        if (!ca) return ca.error().with_context("reading " + cert_file.string());
        ATELIER_TRY(check_pair(ca->key(), ca->certificate(), m_dir));
        return ca;
    };
    if (both_exist(key_file, cert_file)) return load();
    // First use: create under the lock, unless another process just did.
    ATELIER_TRY(ensure_private_dir(m_dir));
    auto lock = DirLock::acquire(m_dir);
    if (!lock) return lock.error();
    if (both_exist(key_file, cert_file)) return load();
    auto ca = CertificateAuthority::create(ca_subject);
    if (!ca) return ca.error();
    // The certificate is written last: its presence means the pair is complete.
    ATELIER_TRY(ca->key().save(key_file, m_passphrase));
    ATELIER_TRY(write_private(cert_file, ca->certificate().pem(), 0644));
    return ca;
}

Result<SigningIdentity> KeyStore::identity(SigningAlg alg, const Subject& who) const {
    if (alg != SigningAlg::es256 && alg != SigningAlg::ed25519)
        return fail(Errc::unsupported, "the key store makes ES256 or Ed25519 identities, not " + alg_name(alg));
    const std::string stem = alg == SigningAlg::es256 ? "signer-es256" : "signer-ed25519";
    const auto key_file = m_dir / (stem + ".key");
    const auto cert_file = m_dir / (stem + ".pem");
    auto load = [&]() -> Result<SigningIdentity> {
        auto key = Key::load(key_file, m_passphrase);
        if (!key) return key.error();
        auto certs = Certificate::load_bundle(cert_file);
        if (!certs) return certs.error();
        ATELIER_TRY(check_pair(*key, certs->front(), m_dir));
        return SigningIdentity{std::move(*key), alg, std::move(*certs)};
    };
    if (both_exist(key_file, cert_file)) return load();
    auto ca = authority();
    if (!ca) return ca.error();
    auto lock = DirLock::acquire(m_dir);
    if (!lock) return lock.error();
    if (both_exist(key_file, cert_file)) return load();
    auto key = Key::generate(alg);
    if (!key) return key.error();
    Subject s = who;
    if (s.common_name.empty()) {
        const char* user = std::getenv("USER");
        s.common_name = std::string("Atelier creator ") + (user ? user : "local");
    }
    if (s.organization.empty()) s.organization = "Atelier";
    auto cert = ca->issue_signing_cert(*key, s);
    if (!cert) return cert.error();
    ATELIER_TRY(key->save(key_file, m_passphrase));
    ATELIER_TRY(write_private(cert_file, cert->pem() + ca->certificate().pem(), 0644));
    return SigningIdentity{std::move(*key), alg, {std::move(*cert), ca->certificate()}};
}

// ---------------------------------------------------------------- signatures

Result<Bytes> sign_bytes(const Key& key, SigningAlg alg, ByteView data) {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (EVP_DigestSignInit(ctx.get(), &pctx, alg_md(alg), nullptr, key.get()) != 1)
        return crypto_fail("initialising " + alg_name(alg) + " signing");
    if (is_pss(alg)) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
            return crypto_fail("RSA-PSS parameters");
    }
    std::size_t len = 0;
    if (EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) != 1) return crypto_fail("signing");
    Bytes sig(len);
    if (EVP_DigestSign(ctx.get(), sig.data(), &len, data.data(), data.size()) != 1) return crypto_fail("signing");
    sig.resize(len);
    if (!is_ecdsa(alg)) return sig;
    const unsigned char* p = sig.data();
    EcSigPtr es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
    if (!es) return crypto_fail("decoding the ECDSA signature");
    const auto n = static_cast<std::size_t>((EVP_PKEY_get_bits(key.get()) + 7) / 8);
    Bytes raw(2 * n);
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(es.get(), &r, &s);
    if (BN_bn2binpad(r, raw.data(), static_cast<int>(n)) < 0 ||
        BN_bn2binpad(s, raw.data() + n, static_cast<int>(n)) < 0)
        return crypto_fail("encoding the ECDSA signature");
    return raw;
}

Result<bool> verify_bytes(const Key& public_key, SigningAlg alg, ByteView data, ByteView signature) {
    if (!public_key.get()) return fail(Errc::verification_failed, "the certificate has no usable public key");
    Bytes der;
    ByteView sig = signature;
    const int key_id = EVP_PKEY_get_id(public_key.get());
    if (is_ecdsa(alg)) {
        if (key_id != EVP_PKEY_EC) return fail(Errc::verification_failed, "the certificate key is not an EC key");
        const auto n = static_cast<std::size_t>((EVP_PKEY_get_bits(public_key.get()) + 7) / 8);
        if (signature.size() != 2 * n) return false;
        EcSigPtr es(ECDSA_SIG_new());
        BIGNUM* r = BN_bin2bn(signature.data(), static_cast<int>(n), nullptr);
        BIGNUM* s = BN_bin2bn(signature.data() + n, static_cast<int>(n), nullptr);
        if (!r || !s || ECDSA_SIG_set0(es.get(), r, s) != 1) {
            BN_free(r);
            BN_free(s);
            return crypto_fail("ECDSA signature");
        }
        unsigned char* buf = nullptr;
        const int len = i2d_ECDSA_SIG(es.get(), &buf);
        if (len <= 0) return crypto_fail("ECDSA signature");
        der.assign(buf, buf + len);
        OPENSSL_free(buf);
        sig = der;
    } else if (is_pss(alg) && key_id != EVP_PKEY_RSA && key_id != EVP_PKEY_RSA_PSS) {
        return fail(Errc::verification_failed, "the certificate key is not an RSA key");
    } else if (alg == SigningAlg::ed25519 && key_id != EVP_PKEY_ED25519) {
        return fail(Errc::verification_failed, "the certificate key is not an Ed25519 key");
    }
    MdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (EVP_DigestVerifyInit(ctx.get(), &pctx, alg_md(alg), nullptr, public_key.get()) != 1)
        return crypto_fail("initialising verification");
    if (is_pss(alg)) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
            return crypto_fail("RSA-PSS parameters");
    }
    const int rc = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), data.data(), data.size());
    ERR_clear_error();
    return rc == 1;
}

// ---------------------------------------------------------------- chain

ChainCheck check_chain(const std::vector<Certificate>& chain, const std::vector<Certificate>& anchors) {
    ChainCheck out;
    if (chain.empty()) {
        out.profile_problem = "no certificate";
        out.trust_problem = "no certificate";
        return out;
    }
    X509* ee = chain.front().get();
    const uint32_t flags = X509_get_extension_flags(ee);
    if (X509_get_version(ee) != 2)
        out.profile_problem = "the signing certificate is not X.509 version 3";
    else if (!(flags & EXFLAG_KUSAGE) || !(X509_get_key_usage(ee) & KU_DIGITAL_SIGNATURE))
        out.profile_problem = "the signing certificate lacks the digitalSignature key usage";
    else if (flags & EXFLAG_CA)
        out.profile_problem = "the signing certificate is a CA certificate";
    else if (!(flags & EXFLAG_XKUSAGE))
        out.profile_problem = "the signing certificate has no extended key usage";
    else {
        const uint32_t xku = X509_get_extended_key_usage(ee);
        bool allowed = (xku & (XKU_SMIME | XKU_TIMESTAMP | XKU_OCSP_SIGN)) != 0;
        std::unique_ptr<EXTENDED_KEY_USAGE, EkuDeleter> eku(
            static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(ee, NID_ext_key_usage, nullptr, nullptr)));
        for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
            char oid[80];
            OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(eku.get(), i), 1);
            const std::string o = oid;
            if (o == "1.3.6.1.5.5.7.3.36" || o == "1.3.6.1.4.1.62558.2.1") allowed = true;
            if (o == "2.5.29.37.0") {
                allowed = false;
                break;
            }
        }
        if (!allowed) out.profile_problem = "the signing certificate's extended key usage is not one C2PA allows";
    }
    out.profile_ok = out.profile_problem.empty();
    out.expired =
        X509_cmp_current_time(X509_get0_notAfter(ee)) < 0 || X509_cmp_current_time(X509_get0_notBefore(ee)) > 0;

    if (anchors.empty()) {
        out.trust_problem = "no trust anchors configured";
        return out;
    }
    std::unique_ptr<X509_STORE, StoreDeleter> store(X509_STORE_new());
    for (const auto& a : anchors)
        X509_STORE_add_cert(store.get(), a.get());
    std::unique_ptr<STACK_OF(X509), StackDeleter> untrusted(sk_X509_new_null());
    for (std::size_t i = 1; i < chain.size(); ++i)
        sk_X509_push(untrusted.get(), chain[i].get());
    std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
    if (X509_STORE_CTX_init(ctx.get(), store.get(), ee, untrusted.get()) != 1) {
        out.trust_problem = "cannot set up chain verification";
        ERR_clear_error();
        return out;
    }
    X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_PARTIAL_CHAIN);
    if (X509_verify_cert(ctx.get()) == 1) {
        out.trusted = true;
    } else {
        out.trust_problem = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
    }
    ERR_clear_error();
    return out;
}

}  // namespace atelier::provenance
