// SPDX-License-Identifier: MIT
// Perceptual hashes (pHash via DCT, dHash) and a multi-index hashing index.

#include "atelier/ops/tag_hash.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "tag_common_p.h"

namespace atelier::ops {

namespace {

using detail::Plane;

// Luma composited over white, area-averaged to w × h.
Plane luma_small(const Image& preview, int w, int h) {
    Plane p = detail::plane_from_preview(preview);  // premultiplied RGBA
    Plane y(p.w, p.h, 1);
    for (std::size_t i = 0, n = static_cast<std::size_t>(p.w) * p.h; i < n; ++i) {
        const float* q = &p.px[i * 4];
        const float white = 1.0f - q[3];
        y.px[i] = 0.2126f * (q[0] + white) + 0.7152f * (q[1] + white) + 0.0722f * (q[2] + white);
    }
    if (y.w < w || y.h < h) {
        // Tiny images: nearest-neighbour up to the hash grid first.
        Plane up(std::max(w, y.w), std::max(h, y.h), 1);
        for (int j = 0; j < up.h; ++j)
            for (int i = 0; i < up.w; ++i)
                up.px[static_cast<std::size_t>(j) * up.w + i] = *y.at(i * y.w / up.w, j * y.h / up.h);
        y = std::move(up);
    }
    return detail::area_downscale(y, w, h);
}

struct DctTable {
    // c[u][x] = cos((2x+1)uπ/64) for u = 1..8.
    std::array<std::array<double, 32>, 8> c{};
    DctTable() {
        for (int u = 0; u < 8; ++u)
            for (int x = 0; x < 32; ++x)
                c[u][x] = std::cos((2 * x + 1) * (u + 1) * std::numbers::pi / 64.0);
    }
};

// The 8×8 DCT coefficients for frequencies 1..8 (no DC row or column).
std::array<double, 64> low_dct(const Plane& l32) {
    static const DctTable t;
    std::array<std::array<double, 32>, 8> rows{};  // [u][y]
    for (int u = 0; u < 8; ++u)
        for (int y = 0; y < 32; ++y) {
            double s = 0;
            for (int x = 0; x < 32; ++x)
                s += l32.px[static_cast<std::size_t>(y) * 32 + x] * t.c[u][x];
            rows[u][y] = s;
        }
    std::array<double, 64> out{};
    for (int v = 0; v < 8; ++v)
        for (int u = 0; u < 8; ++u) {
            double s = 0;
            for (int y = 0; y < 32; ++y)
                s += rows[u][y] * t.c[v][y];
            out[v * 8 + u] = s;
        }
    return out;
}

std::uint64_t threshold_bits(const std::array<double, 64>& c) {
    std::array<double, 64> sorted = c;
    std::nth_element(sorted.begin(), sorted.begin() + 32, sorted.end());
    const double hi = sorted[32];
    const double lo = *std::max_element(sorted.begin(), sorted.begin() + 32);
    const double median = 0.5 * (hi + lo);
    std::uint64_t bits = 0;
    for (int i = 0; i < 64; ++i)
        if (c[i] > median) bits |= 1ull << i;
    return bits;
}

}  // namespace

Result<PerceptualHashes> hashes_from_preview(const Image& preview) {
    if (preview.type() != PixelType::f32 || preview.channels() != 4)
        return fail(Errc::invalid_argument, "hashing needs the f32 RGBA preview from make_preview");
    PerceptualHashes h;
    auto c = low_dct(luma_small(preview, 32, 32));
    h.phash = threshold_bits(c);
    // Mirroring x negates the coefficients of odd x-frequency. Our u index
    // starts at frequency 1, so even u holds odd frequencies.
    for (int v = 0; v < 8; ++v)
        for (int u = 0; u < 8; u += 2)
            c[v * 8 + u] = -c[v * 8 + u];
    h.phash_mirrored = threshold_bits(c);
    const Plane d = luma_small(preview, 9, 8);
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x)
            if (d.px[static_cast<std::size_t>(y) * 9 + x + 1] > d.px[static_cast<std::size_t>(y) * 9 + x])
                h.dhash |= 1ull << (y * 8 + x);
    return h;
}

Result<std::uint64_t> phash(const Image& image) {
    auto p = make_preview(image);
    if (!p) return p.error();
    auto h = hashes_from_preview(*p);
    if (!h) return h.error();
    return h->phash;
}

Result<std::uint64_t> phash_mirrored(const Image& image) {
    auto p = make_preview(image);
    if (!p) return p.error();
    auto h = hashes_from_preview(*p);
    if (!h) return h.error();
    return h->phash_mirrored;
}

Result<std::uint64_t> dhash(const Image& image) {
    auto p = make_preview(image);
    if (!p) return p.error();
    auto h = hashes_from_preview(*p);
    if (!h) return h.error();
    return h->dhash;
}

std::string hash_hex(std::uint64_t h) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

Result<std::uint64_t> parse_hash_hex(std::string_view hex) {
    if (hex.size() != 16)
        return fail(Errc::invalid_argument, "a hash is 16 hex digits, got '" + std::string(hex) + "'");
    std::uint64_t v = 0;
    for (char ch : hex) {
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F')
            d = ch - 'A' + 10;
        else
            return fail(Errc::invalid_argument, "not a hex digit in hash '" + std::string(hex) + "'");
        v = (v << 4) | static_cast<std::uint64_t>(d);
    }
    return v;
}

// ---- Multi-index hashing -------------------------------------------------

struct HashIndex::Impl {
    static constexpr int kTables = 4;
    std::vector<std::uint64_t> hashes;
    std::vector<std::uint32_t> ids;
    // Each bucket holds (hash, entry) pairs inline, so that checking a
    // candidate's full distance needs no second memory access.
    struct Entry {
        std::uint64_t hash;
        std::uint32_t idx;
    };
    std::array<std::vector<std::vector<Entry>>, kTables> buckets;
    Impl() {
        for (auto& b : buckets)
            b.resize(1 << 16);
    }
};

namespace {
inline std::uint16_t sub(std::uint64_t h, int t) {
    return static_cast<std::uint16_t>(h >> (16 * t));
}
// Calls f(key) for every 16-bit key within `radius` bits of `key`.
template <class F>
void for_each_within(std::uint16_t key, int radius, int first_bit, F&& f) {
    f(key);
    if (radius == 0) return;
    for (int b = first_bit; b < 16; ++b)
        for_each_within(static_cast<std::uint16_t>(key ^ (1u << b)), radius - 1, b + 1, f);
}
}  // namespace

HashIndex::HashIndex() : m(std::make_unique<Impl>()) {}
HashIndex::~HashIndex() = default;
HashIndex::HashIndex(HashIndex&&) noexcept = default;
HashIndex& HashIndex::operator=(HashIndex&&) noexcept = default;

void HashIndex::add(std::uint64_t hash, std::uint32_t id) {
    const auto idx = static_cast<std::uint32_t>(m->hashes.size());
    m->hashes.push_back(hash);
    m->ids.push_back(id);
    for (int t = 0; t < Impl::kTables; ++t)
        m->buckets[t][sub(hash, t)].push_back({hash, idx});
}

std::size_t HashIndex::size() const noexcept {
    return m->hashes.size();
}

std::vector<HashIndex::Match> HashIndex::query(std::uint64_t hash, int radius) const {
    radius = std::clamp(radius, 0, 64);
    std::vector<Match> out;
    const int s = radius / Impl::kTables;  // pigeonhole: some substring is within s
    for (int t = 0; t < Impl::kTables; ++t) {
        for_each_within(sub(hash, t), s, 0, [&](std::uint16_t key) {
            for (const auto& [h, idx] : m->buckets[t][key]) {
                const int d = hamming(h, hash);
                if (d > radius) continue;
                // Report each entry once: from the first table where it qualifies.
                bool earlier = false;
                for (int e = 0; e < t && !earlier; ++e)
                    earlier = __builtin_popcount(static_cast<unsigned>(sub(h, e) ^ sub(hash, e))) <= s;
                if (!earlier) out.push_back({m->ids[idx], d});
            }
        });
    }
    std::sort(out.begin(), out.end(), [](const Match& a, const Match& b) {
        return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
    });
    return out;
}

namespace {

class HashTagger final : public Tagger {
public:
    const TaggerInfo& info() const noexcept override { return m_info; }
    Result<std::vector<Tag>> tag(const TagInput& in) const override {
        auto h = hashes_from_preview(in.preview);
        if (!h) return h.error();
        return std::vector<Tag>{make_tag("hash.phash", hash_hex(h->phash)),
                                make_tag("hash.phash_mirrored", hash_hex(h->phash_mirrored)),
                                make_tag("hash.dhash", hash_hex(h->dhash))};
    }

private:
    TaggerInfo m_info{"hash", 1, "perceptual hashes (64-bit DCT pHash, its mirror, dHash) for near-duplicates", ""};
};

}  // namespace

std::unique_ptr<Tagger> make_hash_tagger() {
    return std::make_unique<HashTagger>();
}

}  // namespace atelier::ops
