// SPDX-License-Identifier: MIT
#pragma once

// An in-memory column store of the fields that filters, sort keys and facets
// use (12 bytes of codes + 24 of numbers per asset) plus the rows of each tag
// name and value (~4 bytes per tag): ~60 MB at a million assets, plus the
// free-text index (TextIndex: ~26 MB for the benchmark's million assets).
// With it, a filtered search or facet count scans arrays instead of doing a
// B-tree lookup per matching row, and the id sets of tag/keyword/collection/
// full-text filters come straight from their indexes. Loaded on request
// (Library::preload_index, on a worker thread). Kept current without a
// reload: before each use it catches up with the writes of every connection
// (new rows by id, changed and removed rows from the `asset_changes` log);
// after too many changes the Library loads it again on a background thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "atelier/catalog/library.h"
#include "atelier/catalog/query.h"
#include "sqlite_p.h"

namespace atelier::catalog {

struct MemIndex;
/// One bit per index row.
using RowBits = std::vector<std::uint64_t>;

/// FTS5's own tokenizer, configured as assets_fts is (unicode61,
/// remove_diacritics 2), borrowed from a connection that must outlive it.
/// Not thread-safe; cheap to make per use.
class FtsTokenizer {
public:
    static Result<FtsTokenizer> open(sql::Database& db);
    FtsTokenizer(FtsTokenizer&& o) noexcept : m_api(o.m_api), m_tok(o.m_tok) { o.m_tok = nullptr; }
    FtsTokenizer& operator=(FtsTokenizer&&) = delete;
    FtsTokenizer(const FtsTokenizer&) = delete;
    ~FtsTokenizer();
    /// Calls `fn` with each token of `text` (as FTS5 stores it: folded).
    void tokenize(std::string_view text, bool query, const std::function<void(std::string_view)>& fn) const;

private:
    FtsTokenizer() = default;
    fts5_tokenizer m_api{};
    Fts5Tokenizer* m_tok = nullptr;
};

/// Free text answered from memory. The full-text index's vocabulary is read
/// once (fts5vocab): every token held by at least 1/64 of the rows (the
/// common words whose doclists cost tens of ms to read) gets a row bitmap;
/// every other token is kept in a sorted list. A prefix term then is the OR
/// of the common tokens' bitmaps plus one FTS5 query for the exact rare
/// tokens it covers (short doclists), instead of a prefix query that merges
/// the doclists of every token it covers. Kept current by re-tokenizing the
/// full-text columns of changed and new rows with FTS5's own tokenizer.
struct TextIndex {
    std::vector<std::string> common;      ///< sorted
    std::vector<RowBits> common_rows;     ///< parallel to `common`
    std::string rare_text;                ///< the other tokens, sorted, packed end to end
    std::vector<std::uint32_t> rare_end;  ///< end offset of each token in rare_text
    std::set<std::string> rare_added;     ///< tokens first seen in rows written since the load
    bool loaded = false;

    /// Reads the vocabulary and the common tokens' rows (inside the read
    /// transaction of MemIndex::load, after its rows are loaded).
    static Result<TextIndex> load(sql::Database& db, const MemIndex& ix, const std::atomic<bool>* stop);
    /// Re-reads the full-text columns of `rows` (their bits are cleared first
    /// unless `fresh`: rows appended since the last update).
    Result<void> update_rows(sql::Database& db, const MemIndex& ix, std::span<const std::uint32_t> rows, bool fresh);
    /// Sets in `out` the rows matching the FTS5 prefix query `token*`; false
    /// when the token covers too many rare tokens (the caller asks FTS5).
    Result<bool> prefix_rows(sql::Database& db, const MemIndex& ix, std::string_view token, RowBits& out) const;
    [[nodiscard]] std::size_t rare_count() const noexcept { return rare_end.size(); }
    [[nodiscard]] std::string_view rare(std::size_t i) const noexcept {
        const std::uint32_t b = i == 0 ? 0 : rare_end[i - 1];
        return std::string_view(rare_text).substr(b, rare_end[i] - b);
    }
    /// The first rare token not less than `token` (binary search over the sorted list).
    [[nodiscard]] std::size_t rare_lower_bound(std::string_view token) const noexcept;
    [[nodiscard]] bool is_rare(std::string_view token) const;
};

struct MemIndex {
    /// One dictionary-coded text column (codes compare case-insensitively).
    struct Dict {
        std::vector<std::string> values;                       // code -> first spelling seen
        std::unordered_map<std::string, std::uint16_t> codes;  // lower-case -> code
        std::uint16_t code_of(std::string_view v);             // adds when missing
        [[nodiscard]] int find(std::string_view v) const;      // -1 when absent
    };
    enum Col { source, licence, model, color, style, format, kCols };

    std::vector<std::int64_t> id;  // ascending
    std::vector<std::int64_t> created;
    std::vector<std::int32_t> width, height;
    std::vector<std::uint8_t> rating;
    std::vector<std::int8_t> seamless;  // -1 unknown, 0, 1
    std::vector<std::uint8_t> alive;    // 0 once the asset was removed
    std::vector<std::uint16_t> cols[kCols];
    Dict dicts[kCols];

    /// Rows carrying a tag, by lower-case tag name and by lower-case value
    /// (each list ascending, without repeats). Values that are numbers,
    /// `#hex` colours or hex hashes (measurements, palette entries, perceptual
    /// hashes: nearly unique per asset)
    /// are not held here; a `tag:` filter on such a value reads SQL.
    std::unordered_map<std::string, std::vector<std::uint32_t>> tag_names, tag_values;

    std::int64_t data_version = 0;  // PRAGMA data_version of the connection that checks freshness
    std::uint64_t own_writes = 0;   // Impl::writes when last current
    std::int64_t change_seq = 0;    // the last asset_changes entry applied

    /// Free-text term (as an FTS5 match) -> bitmap of the rows it matches;
    /// filled on use, emptied by any change the index catches up with.
    /// Mutable: a cache, only touched with the Library's mutex held.
    mutable std::unordered_map<std::string, RowBits> text_rows;
    /// Common words' rows and the rare-token vocabulary (see TextIndex).
    TextIndex text;

    /// Loads everything (call inside a read transaction). `stop` (may be
    /// null) ends a load early with Errc::cancelled (the library closing).
    static Result<MemIndex> load(sql::Database& db, const std::atomic<bool>* stop = nullptr);
    /// Applies what changed since `change_seq` (inside a read transaction):
    /// new rows, changed rows and their tags, removed rows. false when more
    /// than `max_rows` rows changed, or the log was pruned past `change_seq`:
    /// load again.
    Result<bool> catch_up(sql::Database& db, std::size_t max_rows);
    [[nodiscard]] std::size_t size() const noexcept { return id.size(); }
};

/// Whether a search is faster through the memory index than through SQL:
/// when it has free text or tag/keyword/collection filters (sort:title always
/// goes to SQL). Facet counts always use the index when it is fresh.
/// Whether a tag value is held in MemIndex::tag_values (see there).
bool mem_indexable_tag_value(std::string_view v) noexcept;
/// The row of asset `id`, or -1 when the index does not hold it.
std::int64_t mem_row_of(const MemIndex& ix, std::int64_t id);

bool mem_index_helps_search(const ParsedQuery& q);

Result<Page> mem_search(sql::Database& db, const Library::Impl& impl, const MemIndex& index, const ParsedQuery& q,
                        std::string_view cursor, int limit, bool with_total);
Result<FacetCounts> mem_facets(sql::Database& db, const MemIndex& index, const ParsedQuery& q);

}  // namespace atelier::catalog
