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

// Luma composited over white, straight from the preview (f32 RGBA).
Plane luma_over_white(const Image& preview) {
    Plane y(preview.width(), preview.height(), 1);
    for (int j = 0; j < y.h; ++j) {
        const float* q = preview.row_as<float>(j);
        float* o = y.at(0, j);
        for (int i = 0; i < y.w; ++i, q += 4) {
            const float a = q[3], white = 1.0f - a;
            o[i] = 0.2126f * (q[0] * a + white) + 0.7152f * (q[1] * a + white) + 0.0722f * (q[2] * a + white);
        }
    }
    return y;
}

// A luma plane area-averaged to w × h.
Plane luma_small(const Plane& luma, int w, int h) {
    const Plane* y = &luma;
    Plane up;
    if (y->w < w || y->h < h) {
        // Tiny images: nearest-neighbour up to the hash grid first.
        up = Plane(std::max(w, y->w), std::max(h, y->h), 1);
        for (int j = 0; j < up.h; ++j)
            for (int i = 0; i < up.w; ++i)
                up.px[static_cast<std::size_t>(j) * up.w + i] = *y->at(i * y->w / up.w, j * y->h / up.h);
        y = &up;
    }
    return detail::area_downscale(*y, w, h);
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
    const Plane lum = luma_over_white(preview);
    auto c = low_dct(luma_small(lum, 32, 32));
    h.phash = threshold_bits(c);
    // Mirroring x negates the coefficients of odd x-frequency. Our u index
    // starts at frequency 1, so even u holds odd frequencies.
    for (int v = 0; v < 8; ++v)
        for (int u = 0; u < 8; u += 2)
            c[v * 8 + u] = -c[v * 8 + u];
    h.phash_mirrored = threshold_bits(c);
    const Plane d = luma_small(lum, 9, 8);
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
//
// The 64 bits are cut into m substrings of ⌊64/m⌋ or ⌈64/m⌉ bits. Each table
// is a counting-sorted array (CSR): offsets[key] .. offsets[key+1] index the
// entries whose substring equals key, hashes and ids stored contiguously so a
// bucket is one sequential read. Radius r = m·s + a (0 ≤ a < m): if every
// one of the first a+1 substrings differed by more than s and every other by
// more than s−1, the whole hash would differ by at least (a+1)(s+1) + (m−a−1)s
// = r + 1. So probing the first a+1 tables within s and the others within
// s−1 (none when s = 0) finds every match (Norouzi, Punjani & Fleet 2014).
// Hashes added since the last rebuild are scanned linearly; the tables are
// rebuilt when that tail grows past 1/16 of the indexed part.

struct HashIndex::Impl {
    struct Table {
        int shift = 0, bits = 0;
        std::vector<std::uint32_t> offsets;  // 2^bits + 1
        std::vector<std::uint64_t> hashes;   // sorted by substring
        std::vector<std::uint32_t> ids;
    };
    int substrings = HashIndex::kDefaultSubstrings;
    std::vector<std::uint64_t> hashes;  // insertion order
    std::vector<std::uint32_t> ids;
    std::vector<Table> tables;
    std::size_t indexed = 0;  // hashes[0, indexed) are in the tables

    explicit Impl(int m) : substrings(std::clamp(m, 4, 16)) {
        tables.resize(static_cast<std::size_t>(substrings));
        int shift = 0;
        for (int t = 0; t < substrings; ++t) {
            auto& tb = tables[static_cast<std::size_t>(t)];
            tb.bits = 64 / substrings + (t < 64 % substrings ? 1 : 0);
            tb.shift = shift;
            shift += tb.bits;
        }
    }
    static std::uint32_t key(const Table& tb, std::uint64_t h) noexcept {
        return static_cast<std::uint32_t>((h >> tb.shift) & ((1ull << tb.bits) - 1));
    }
    void rebuild() {
        const std::size_t n = hashes.size();
        for (auto& tb : tables) {
            tb.offsets.assign((std::size_t{1} << tb.bits) + 1, 0);
            for (std::size_t i = 0; i < n; ++i)
                ++tb.offsets[key(tb, hashes[i]) + 1];
            for (std::size_t k = 1; k < tb.offsets.size(); ++k)
                tb.offsets[k] += tb.offsets[k - 1];
            tb.hashes.resize(n);
            tb.ids.resize(n);
            std::vector<std::uint32_t> fill(tb.offsets.begin(), tb.offsets.end() - 1);
            for (std::size_t i = 0; i < n; ++i) {
                const std::uint32_t at = fill[key(tb, hashes[i])]++;
                tb.hashes[at] = hashes[i];
                tb.ids[at] = ids[i];
            }
        }
        indexed = n;
    }
};

namespace {
// Calls f(key) for every `bits`-bit key within `radius` bits of `key`.
template <class F>
void for_each_within(std::uint32_t key, int radius, int bits, int first_bit, F& f) {
    f(key);
    if (radius == 0) return;
    for (int b = first_bit; b < bits; ++b)
        for_each_within(key ^ (1u << b), radius - 1, bits, b + 1, f);
}
// Number of `bits`-bit keys within `radius` of a key.
double ball_size(int bits, int radius) {
    double sum = 0, c = 1;
    for (int k = 0; k <= std::min(radius, bits); ++k) {
        sum += c;
        c = c * (bits - k) / (k + 1);
    }
    return sum;
}
}  // namespace

HashIndex::HashIndex() : HashIndex(kDefaultSubstrings) {}
HashIndex::HashIndex(int substrings) : m(std::make_unique<Impl>(substrings)) {}
HashIndex::~HashIndex() = default;
HashIndex::HashIndex(HashIndex&&) noexcept = default;
HashIndex& HashIndex::operator=(HashIndex&&) noexcept = default;

void HashIndex::add(std::uint64_t hash, std::uint32_t id) {
    m->hashes.push_back(hash);
    m->ids.push_back(id);
    if (m->hashes.size() - m->indexed > kMaxUnindexed + m->indexed / 16) m->rebuild();
}

void HashIndex::compact() {
    if (m->indexed != m->hashes.size()) m->rebuild();
}

void HashIndex::reserve(std::size_t n) {
    m->hashes.reserve(n);
    m->ids.reserve(n);
}

std::size_t HashIndex::size() const noexcept {
    return m->hashes.size();
}

int HashIndex::substrings() const noexcept {
    return m->substrings;
}

std::vector<HashIndex::Match> HashIndex::query(std::uint64_t hash, int radius) const {
    radius = std::clamp(radius, 0, 64);
    std::vector<Match> out;
    const auto scan = [&](std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) {
            const int d = hamming(m->hashes[i], hash);
            if (d <= radius) out.push_back({m->ids[i], d});
        }
    };
    scan(m->indexed, m->hashes.size());  // the not yet indexed tail
    const int mm = m->substrings, s = radius / mm, a = radius % mm;
    std::array<int, 16> sub_radius{};
    double probes = 0, candidates = 0;
    for (int t = 0; t < mm; ++t) {
        const auto& tb = m->tables[static_cast<std::size_t>(t)];
        sub_radius[t] = t <= a ? s : s - 1;
        if (sub_radius[t] < 0) continue;
        const double ball = ball_size(tb.bits, sub_radius[t]);
        probes += ball;
        candidates += ball * static_cast<double>(m->indexed) / static_cast<double>(1ull << tb.bits);
    }
    if (probes * 4 + candidates >= static_cast<double>(m->indexed)) {
        scan(0, m->indexed);  // a large radius: probing would touch everything anyway
    } else {
        std::array<std::uint32_t, 16> qkey{};
        for (int t = 0; t < mm; ++t)
            qkey[t] = Impl::key(m->tables[static_cast<std::size_t>(t)], hash);
        for (int t = 0; t < mm; ++t) {
            if (sub_radius[t] < 0) continue;
            const auto& tb = m->tables[static_cast<std::size_t>(t)];
            auto visit = [&](std::uint32_t k) {
                for (std::uint32_t i = tb.offsets[k], e = tb.offsets[k + 1]; i < e; ++i) {
                    const std::uint64_t h = tb.hashes[i];
                    const int d = hamming(h, hash);
                    if (d > radius) continue;
                    // Report each entry once: from the first table where it qualifies.
                    bool earlier = false;
                    for (int p = 0; p < t && !earlier; ++p)
                        earlier = __builtin_popcount(Impl::key(m->tables[static_cast<std::size_t>(p)], h) ^ qkey[p]) <=
                                  sub_radius[p];
                    if (!earlier) out.push_back({tb.ids[i], d});
                }
            };
            for_each_within(qkey[t], sub_radius[t], tb.bits, 0, visit);
        }
    }
    std::sort(out.begin(), out.end(), [](const Match& x, const Match& y) {
        return x.distance != y.distance ? x.distance < y.distance : x.id < y.id;
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
