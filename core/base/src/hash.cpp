// SPDX-License-Identifier: MIT
#include "atelier/base/hash.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include <openssl/evp.h>

namespace atelier {

struct Sha256::Impl {
    struct CtxDeleter {
        void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
    };
    std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx{EVP_MD_CTX_new()};
    void reset() {
        ATELIER_ASSERT(ctx != nullptr, "EVP_MD_CTX_new failed");
        ATELIER_ASSERT(EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1, "EVP_DigestInit_ex failed");
    }
};

Sha256::Sha256() : m_impl(std::make_unique<Impl>()) {
    m_impl->reset();
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::span<const std::uint8_t> data) {
    if (!data.empty()) EVP_DigestUpdate(m_impl->ctx.get(), data.data(), data.size());
}

void Sha256::update(std::string_view data) {
    update(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

Sha256Digest Sha256::finish() {
    Sha256Digest out{};
    unsigned len = 0;
    EVP_DigestFinal_ex(m_impl->ctx.get(), out.data(), &len);
    m_impl->reset();
    return out;
}

Sha256Digest sha256(std::span<const std::uint8_t> data) {
    Sha256 h;
    h.update(data);
    return h.finish();
}

Sha256Digest sha256(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.finish();
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(bytes.size() * 2);
    for (auto b : bytes) {
        s.push_back(digits[b >> 4]);
        s.push_back(digits[b & 15]);
    }
    return s;
}

Result<Sha256Digest> sha256_from_hex(std::string_view hex) {
    if (hex.size() != 64)
        return fail(Errc::invalid_argument,
                    "a SHA-256 is 64 hex digits, got " + std::to_string(hex.size()) + " characters");
    Sha256Digest d{};
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < 32; ++i) {
        int hi = nibble(hex[2 * i]);
        int lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return fail(Errc::invalid_argument, "not a hex digit in SHA-256 '" + std::string(hex) + "'");
        d[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return d;
}

Result<Sha256Digest> sha256_file(const std::filesystem::path& path, const CancelToken& cancel) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(Errc::io_error, "cannot open '" + path.string() + "' for hashing: " + std::strerror(errno));
    Sha256 h;
    constexpr std::size_t kBlock = 1 << 20;
    // Not value-initialised: zeroing 1 MiB per call dominated small files.
    const auto buf = std::make_unique_for_overwrite<char[]>(kBlock);
    while (in) {
        if (cancel.cancelled()) return fail(Errc::cancelled, "hashing '" + path.string() + "' was cancelled");
        in.read(buf.get(), static_cast<std::streamsize>(kBlock));
        auto n = in.gcount();
        if (n > 0) h.update(std::string_view(buf.get(), static_cast<std::size_t>(n)));
    }
    if (in.bad()) return fail(Errc::io_error, "read error while hashing '" + path.string() + "'");
    return h.finish();
}

}  // namespace atelier
