// SPDX-License-Identifier: MIT
#pragma once

/// \file merkle.h
/// RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing over SHA-256:
/// leaf = H(0x00 || data), node = H(0x01 || left || right), the tree hash
/// MTH, inclusion paths PATH(m, D[n]) and consistency proofs PROOF(m, D[n])
/// (RFC 9162 §2.1). Hashes are 32-byte binary strings. Pure functions,
/// thread-safe. Each call is O(n) over the leaf hashes it is given.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::market_server::merkle {

std::string leaf_hash(std::string_view data);
std::string node_hash(std::string_view left, std::string_view right);
/// MTH(D[0:n]); the hash of the empty string for n = 0.
std::string root(const std::vector<std::string>& leaves, std::size_t n);
/// Audit path for leaf `m` in the tree of the first `n` leaves (m < n).
std::vector<std::string> inclusion_proof(const std::vector<std::string>& leaves, std::size_t m, std::size_t n);
/// Consistency proof between the trees of the first `m` and `n` leaves (0 < m <= n).
std::vector<std::string> consistency_proof(const std::vector<std::string>& leaves, std::size_t m, std::size_t n);

}  // namespace atelier::market_server::merkle
