// SPDX-License-Identifier: MIT
#include "atelier/market_server/merkle.h"

#include "atelier/base/hash.h"

namespace atelier::market_server::merkle {

namespace {
std::string digest_str(const Sha256Digest& d) {
    return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

// Largest power of two strictly less than n (n > 1).
std::size_t split_point(std::size_t n) {
    std::size_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

std::string mth(const std::vector<std::string>& d, std::size_t lo, std::size_t hi) {
    std::size_t n = hi - lo;
    if (n == 1) return d[lo];
    std::size_t k = split_point(n);
    return node_hash(mth(d, lo, lo + k), mth(d, lo + k, hi));
}

void path(const std::vector<std::string>& d, std::size_t m, std::size_t lo, std::size_t hi,
          std::vector<std::string>& out) {
    std::size_t n = hi - lo;
    if (n <= 1) return;
    std::size_t k = split_point(n);
    if (m < k) {
        path(d, m, lo, lo + k, out);
        out.push_back(mth(d, lo + k, hi));
    } else {
        path(d, m - k, lo + k, hi, out);
        out.push_back(mth(d, lo, lo + k));
    }
}

void subproof(const std::vector<std::string>& d, std::size_t m, std::size_t lo, std::size_t hi, bool b,
              std::vector<std::string>& out) {
    std::size_t n = hi - lo;
    if (m == n) {
        if (!b) out.push_back(mth(d, lo, hi));
        return;
    }
    std::size_t k = split_point(n);
    if (m <= k) {
        subproof(d, m, lo, lo + k, b, out);
        out.push_back(mth(d, lo + k, hi));
    } else {
        subproof(d, m - k, lo + k, hi, false, out);
        out.push_back(mth(d, lo, lo + k));
    }
}
}  // namespace

std::string leaf_hash(std::string_view data) {
    Sha256 h;
    const std::uint8_t prefix = 0x00;
    h.update(std::span<const std::uint8_t>(&prefix, 1));
    h.update(data);
    return digest_str(h.finish());
}

std::string node_hash(std::string_view left, std::string_view right) {
    Sha256 h;
    const std::uint8_t prefix = 0x01;
    h.update(std::span<const std::uint8_t>(&prefix, 1));
    h.update(left);
    h.update(right);
    return digest_str(h.finish());
}

std::string root(const std::vector<std::string>& leaves, std::size_t n) {
    if (n == 0) return digest_str(sha256(std::string_view()));
    return mth(leaves, 0, n);
}

std::vector<std::string> inclusion_proof(const std::vector<std::string>& leaves, std::size_t m, std::size_t n) {
    std::vector<std::string> out;
    if (m < n && n <= leaves.size()) path(leaves, m, 0, n, out);
    return out;
}

std::vector<std::string> consistency_proof(const std::vector<std::string>& leaves, std::size_t m, std::size_t n) {
    std::vector<std::string> out;
    if (m > 0 && m < n && n <= leaves.size()) subproof(leaves, m, 0, n, true, out);
    return out;
}

}  // namespace atelier::market_server::merkle
