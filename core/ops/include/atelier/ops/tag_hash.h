// SPDX-License-Identifier: MIT
#pragma once

/// \file tag_hash.h
/// Perceptual hashes for near-duplicate detection ("hash" tagger) and an
/// index for Hamming-radius queries.
///
/// pHash: luma area-averaged to 32×32, 2-D DCT-II, the 8×8 lowest
/// frequencies compared with their median (DC excluded from the median) →
/// 64 bits. dHash: luma 9×8, one bit per horizontal neighbour comparison.
/// A horizontally mirrored copy has its own hash: query with both
/// (`phash_mirrored`) to catch mirrored re-uploads.

#include <cstdint>
#include <memory>
#include <vector>

#include "atelier/ops/tagger.h"

namespace atelier::ops {

/// 64-bit DCT pHash of an image (any type/channels; alpha composited on white).
Result<std::uint64_t> phash(const Image& image);
/// pHash of the horizontally mirrored image (computed without copying it).
Result<std::uint64_t> phash_mirrored(const Image& image);
/// 64-bit difference hash.
Result<std::uint64_t> dhash(const Image& image);

/// Both hashes from a preview made by `make_preview` (what the tagger uses).
struct PerceptualHashes {
    std::uint64_t phash = 0, phash_mirrored = 0, dhash = 0;
};
Result<PerceptualHashes> hashes_from_preview(const Image& preview);

inline int hamming(std::uint64_t a, std::uint64_t b) noexcept {
    return __builtin_popcountll(a ^ b);
}
/// Lower-case 16-digit hex, and back (errors on malformed text).
std::string hash_hex(std::uint64_t h);
Result<std::uint64_t> parse_hash_hex(std::string_view hex);

/// Multi-index hashing (Norouzi, Punjani & Fleet): the 64 bits are split
/// into m substrings (4 × 16 bits by default), each indexed by its own
/// bucket table. A query within radius r = m·s + a probes, in the first a+1
/// tables, every key within s of the query's substring and in the others
/// every key within s−1 (pigeonhole), then checks full distances. Exact:
/// returns every stored hash within the radius, once. A radius so large that
/// probing would touch most entries falls back to a linear scan (still
/// exact). Hashes added since the tables were last built are scanned
/// linearly; `add` rebuilds the tables when that tail exceeds
/// `kMaxUnindexed` + 1/16 of the indexed hashes (amortised O(1) per add), and
/// `compact` indexes everything now (call it after loading in bulk).
///
/// Thread safety: concurrent `query` calls are safe; `add`, `compact` and
/// `reserve` must not run concurrently with anything else.
class HashIndex {
public:
    struct Match {
        std::uint32_t id;  ///< the value given to `add`
        int distance;
    };
    static constexpr int kDefaultSubstrings = 4;
    static constexpr std::size_t kMaxUnindexed = 4096;

    HashIndex();
    /// `substrings` (clamped to 4..16): how many tables the hash is split
    /// over; 4 (16-bit tables) is the fastest for ~10^5–10^7 hashes at radius
    /// ≤ 12 (see docs/PERFORMANCE.md).
    explicit HashIndex(int substrings);
    ~HashIndex();
    HashIndex(HashIndex&&) noexcept;
    HashIndex& operator=(HashIndex&&) noexcept;

    /// Adds a hash with a caller-chosen id (ids need not be unique or dense).
    void add(std::uint64_t hash, std::uint32_t id);
    /// Builds the tables over every hash added so far.
    void compact();
    /// Reserves room for `n` hashes in total.
    void reserve(std::size_t n);
    [[nodiscard]] std::size_t size() const noexcept;
    [[nodiscard]] int substrings() const noexcept;
    /// Every stored hash within `radius` (clamped to 0..64) of `hash`, nearest
    /// first (ties by id).
    [[nodiscard]] std::vector<Match> query(std::uint64_t hash, int radius) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

/// Tags: hash.phash, hash.phash_mirrored, hash.dhash (16 hex digits).
std::unique_ptr<Tagger> make_hash_tagger();

}  // namespace atelier::ops
