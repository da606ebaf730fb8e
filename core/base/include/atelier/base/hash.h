// SPDX-License-Identifier: MIT
#pragma once

/// \file hash.h
/// SHA-256 through OpenSSL (EVP), streaming so that files of any size hash
/// in constant memory. Content hashes identify assets and model files.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "atelier/base/cancel.h"
#include "atelier/base/result.h"

namespace atelier {

using Sha256Digest = std::array<std::uint8_t, 32>;

/// Lower-case hex of a byte string.
std::string to_hex(std::span<const std::uint8_t> bytes);
/// Parses 64 hex digits; an error otherwise.
Result<Sha256Digest> sha256_from_hex(std::string_view hex);

/// Incremental SHA-256. Not thread-safe; one instance per stream.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(std::span<const std::uint8_t> data);
    void update(std::string_view data);
    /// Finishes and returns the digest; the object is reset for reuse.
    Sha256Digest finish();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

Sha256Digest sha256(std::span<const std::uint8_t> data);
Sha256Digest sha256(std::string_view data);
/// Hashes a file in 1 MiB blocks; cancellable between blocks.
Result<Sha256Digest> sha256_file(const std::filesystem::path& path, const CancelToken& cancel = {});

}  // namespace atelier
