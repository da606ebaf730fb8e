// SPDX-License-Identifier: MIT
#include "atelier/market_server/crypto.h"

#include <fstream>
#include <iterator>
#include <system_error>

#include <sodium.h>
#include <sys/stat.h>

#include "atelier/base/hash.h"

namespace atelier::market_server {

Result<void> crypto_init() {
    if (sodium_init() < 0) return fail(Errc::internal, "libsodium failed to initialise");
    return ok();
}

namespace {
constexpr unsigned long long kOpsLimit = 2;             // OWASP: t = 2
constexpr std::size_t kMemLimit = 19ull * 1024 * 1024;  // OWASP: m = 19 MiB (p = 1 in libsodium)
}  // namespace

Result<std::string> hash_password(std::string_view password) {
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), kOpsLimit, kMemLimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return fail(Errc::busy, "password hashing ran out of memory; retry later");
    return std::string(out);
}

bool verify_password(std::string_view encoded, std::string_view password) {
    std::string enc(encoded);
    return crypto_pwhash_str_verify(enc.c_str(), password.data(), password.size()) == 0;
}

std::string base64url_encode(std::string_view bytes) {
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(std::char_traits<char>::length(out.c_str()));
    return out;
}

Result<std::string> base64url_decode(std::string_view text) {
    while (!text.empty() && text.back() == '=')
        text.remove_suffix(1);
    std::string out(text.size(), '\0');
    std::size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                          &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return fail(Errc::invalid_argument, "not valid base64url");
    out.resize(len);
    return out;
}

std::string random_token(std::size_t bytes) {
    std::string b(bytes, '\0');
    randombytes_buf(b.data(), b.size());
    return base64url_encode(b);
}

std::string random_hex_id() {
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    return to_hex(std::span<const std::uint8_t>(b, sizeof b));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sha256_hex(std::string_view data) {
    auto d = sha256(data);
    return to_hex(d);
}

Result<SigningKey> SigningKey::load_or_create(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(Errc::io_error, "cannot create key folder '" + dir.string() + "': " + ec.message());
    auto path = dir / "ed25519.key";
    SigningKey k;
    if (std::filesystem::exists(path, ec)) {
        std::ifstream in(path, std::ios::binary);
        std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (data.size() != k.m_sk.size())
            return fail(Errc::corrupt_data,
                        "signing key '" + path.string() + "' is damaged (expected 64 bytes); restore it from a backup");
        std::copy(data.begin(), data.end(), k.m_sk.begin());
        crypto_sign_ed25519_sk_to_pk(k.m_pk.data(), k.m_sk.data());
        return k;
    }
    crypto_sign_keypair(k.m_pk.data(), k.m_sk.data());
    auto tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(k.m_sk.data()), static_cast<std::streamsize>(k.m_sk.size()));
        out.flush();
        if (!out) return fail(Errc::io_error, "cannot write signing key '" + tmp.string() + "'");
    }
    ::chmod(tmp.c_str(), 0600);
    std::filesystem::rename(tmp, path, ec);
    if (ec) return fail(Errc::io_error, "cannot store signing key '" + path.string() + "': " + ec.message());
    return k;
}

std::string SigningKey::sign(std::string_view message) const {
    std::string sig(crypto_sign_BYTES, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(message.data()), message.size(), m_sk.data());
    return sig;
}

std::string SigningKey::public_key() const {
    return std::string(reinterpret_cast<const char*>(m_pk.data()), 32);
}

std::string SigningKey::key_id() const {
    return sha256_hex(public_key()).substr(0, 16);
}

bool SigningKey::verify(std::string_view public_key, std::string_view message, std::string_view signature) {
    if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES) return false;
    return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                       reinterpret_cast<const unsigned char*>(public_key.data())) == 0;
}

}  // namespace atelier::market_server
