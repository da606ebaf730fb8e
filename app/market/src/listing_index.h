// SPDX-License-Identifier: MIT
#pragma once

// Private to atelier-market: the in-memory index of live listings that
// answers browse and search (GET /v1/listings) without touching the database.
//
// What it holds: one entry per live listing — the filter fields (seq,
// creator, currency, price, tags), the words of its title, description and
// tags (lower-cased, sorted, for prefix matching), and its API JSON already
// serialised (so a page is a concatenation, no DOM, no re-parse).
//
// How it stays in sync with the database (which several server instances may
// share): every listing write records a row in `changes` (seq from the
// `changes` counter, whose row lock orders seqs in commit order). The index
// keeps the last seq it applied and reads `changes WHERE kind='listing' AND
// seq > cursor`, re-reading those listings. It does so
//  - at once (blocking that request) after this process wrote a listing
//    (`note_local_write`, called after the commit): read-your-writes;
//  - otherwise at most every `poll_interval` (one request refreshes; others
//    keep answering from the current state meanwhile): other instances'
//    writes show up within that interval.
//
// Thread safety: all members are thread-safe. Queries hold a shared lock
// while they scan and serialise; a refresh prepares entries without the lock
// and applies them under the exclusive lock (microseconds).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "atelier/base/result.h"
#include "atelier/market_server/db.h"

namespace atelier::market_server {

/// A browse/search query (already validated).
struct ListingQuery {
    std::vector<std::string> words;  ///< lower-cased; every word must prefix-match a word of the listing
    std::string tag;                 ///< exact tag (lower-cased), empty = any
    std::string creator_id, currency;
    std::int64_t min_price = -1, max_price = -1;  ///< -1 = unbounded
    std::int64_t cursor = -1;                     ///< keyset: only seq < cursor; -1 = first page
    std::int64_t limit = 20;
};

class ListingIndex {
public:
    explicit ListingIndex(std::chrono::milliseconds poll_interval = std::chrono::milliseconds(100))
        : m_poll_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(poll_interval).count()) {}

    /// Brings the index up to date as described above. Errors: the database's
    /// (the index then keeps its previous state; a first load that fails
    /// leaves it unloaded and the caller answers 503).
    Result<void> sync(Db& db);

    /// The response body of GET /v1/listings for `q`: {"facets", "items",
    /// "next_cursor", "total"} with keys in the same order nlohmann::json
    /// writes them. Facets and total cover the whole filtered set (not the page).
    /// `etag` gets a strong validator derived from the content (per-listing
    /// hashes computed at indexing time, so no hashing of the whole body).
    [[nodiscard]] std::string query(const ListingQuery& q, std::string& etag) const;

    /// Live listings indexed (for tests and /metrics).
    [[nodiscard]] std::size_t size() const;
    /// True once the first full load succeeded (later refresh failures keep the previous state).
    [[nodiscard]] bool ready() const { return m_ready.load(); }

    /// A listing write of this process committed: the next `sync` refreshes
    /// before answering. Process-wide (cheap; other indexes just refresh too).
    static void note_local_write();

    /// Splits text into words the way the index does (lower-case ASCII; bytes
    /// >= 0x80 are word characters; everything else separates words).
    static std::vector<std::string> words_of(std::string_view text);

private:
    struct Entry {
        std::string id;
        std::int64_t seq = 0;
        std::string creator_id, currency;
        std::int64_t price = 0;
        std::vector<std::string> tags;
        std::vector<std::uint32_t> tag_ids;  ///< into m_tag_names
        std::vector<std::string> words;      ///< sorted, unique
        std::string json;                    ///< listing_json(row).dump()
        std::uint64_t hash = 0;              ///< of `json`
    };
    static Result<std::shared_ptr<Entry>> entry_from_row(const Row& row);
    Result<void> refresh(Db& db);
    [[nodiscard]] bool matches(const Entry& e, const ListingQuery& q) const;

    mutable std::shared_mutex m_data_mu;
    std::map<std::int64_t, std::shared_ptr<const Entry>, std::greater<>> m_by_seq;  ///< newest first
    std::unordered_map<std::string, std::int64_t> m_seq_of;                         ///< id → seq
    /// Tag names by id (for facet counting without hashing strings per
    /// request). Grows only; ids are assigned under the exclusive lock.
    std::vector<std::string> m_tag_names;
    std::unordered_map<std::string, std::uint32_t> m_tag_ids;
    void assign_tag_ids(Entry& e);
    std::int64_t m_cursor = 0;  ///< last `changes.seq` applied (under m_refresh_mu)
    bool m_loaded = false;      ///< under m_refresh_mu

    std::mutex m_refresh_mu;
    std::atomic<bool> m_ready{false};
    std::atomic<std::int64_t> m_applied_writes{-1};
    std::atomic<std::int64_t> m_polled_ns{0};
    const std::int64_t m_poll_ns;
};

}  // namespace atelier::market_server
