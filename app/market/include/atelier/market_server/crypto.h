// SPDX-License-Identifier: MIT
#pragma once

/// \file crypto.h
/// libsodium wrappers used by the server: Argon2id password hashing (OWASP
/// parameters), random tokens, Ed25519 signing keys, base64url. All functions
/// are thread-safe once `crypto_init()` returned ok.

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "atelier/base/result.h"

namespace atelier::market_server {

/// Initialises libsodium; call once before anything else here.
Result<void> crypto_init();

/// Argon2id with OWASP's minimum recommendation (m = 19 MiB, t = 2, p = 1),
/// as a self-describing `$argon2id$...` string.
Result<std::string> hash_password(std::string_view password);
bool verify_password(std::string_view encoded, std::string_view password);

/// `bytes` random bytes as base64url without padding.
std::string random_token(std::size_t bytes = 32);
/// 128-bit random id as 32 lower-case hex digits.
std::string random_hex_id();

std::string base64url_encode(std::string_view bytes);
/// Decodes base64url (padding optional); error on other characters.
Result<std::string> base64url_decode(std::string_view text);

/// SHA-256 as lower-case hex.
std::string sha256_hex(std::string_view data);
/// Equality in time independent of where the strings differ (sodium_memcmp).
bool constant_time_equal(std::string_view a, std::string_view b);

/// An Ed25519 key pair. The secret key file is created (0600) on first use
/// under `<dir>/ed25519.key`; later starts load it.
class SigningKey {
public:
    static Result<SigningKey> load_or_create(const std::filesystem::path& dir);
    [[nodiscard]] std::string sign(std::string_view message) const;  ///< 64-byte detached signature
    [[nodiscard]] std::string public_key() const;                    ///< 32 raw bytes
    /// First 8 bytes of SHA-256(public key) in hex: names the key in tokens.
    [[nodiscard]] std::string key_id() const;
    static bool verify(std::string_view public_key, std::string_view message, std::string_view signature);

private:
    std::array<unsigned char, 64> m_sk{};
    std::array<unsigned char, 32> m_pk{};
};

}  // namespace atelier::market_server
