// SPDX-License-Identifier: MIT
#pragma once

// An in-memory column store of the fields that filters, sort keys and facets
// use (12 bytes of codes + 24 of numbers per asset) plus the rows of each tag
// name and value (~4 bytes per tag): ~60 MB at a million assets.
// With it, a filtered search or facet count scans arrays instead of doing a
// B-tree lookup per matching row, and the id sets of tag/keyword/collection/
// full-text filters come straight from their indexes. Loaded on request
// (Library::preload_index, on a worker thread). Kept current without a
// reload: before each use it catches up with the writes of every connection
// (new rows by id, changed and removed rows from the `asset_changes` log).

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "atelier/catalog/library.h"
#include "atelier/catalog/query.h"
#include "sqlite_p.h"

namespace atelier::catalog {

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
    /// (each list ascending, without repeats). Values that are numbers or
    /// `#hex` colours (measurements, palette entries: nearly unique per asset)
    /// are not held here; a `tag:` filter on such a value reads SQL.
    std::unordered_map<std::string, std::vector<std::uint32_t>> tag_names, tag_values;

    std::int64_t data_version = 0;  // PRAGMA data_version of the connection that checks freshness
    std::uint64_t own_writes = 0;   // Impl::writes when last current
    std::int64_t change_seq = 0;    // the last asset_changes entry applied

    /// Free-text term (as an FTS5 match) -> bitmap of the rows it matches;
    /// filled on use, emptied by any change the index catches up with.
    /// Mutable: a cache, only touched with the Library's mutex held.
    mutable std::unordered_map<std::string, std::vector<std::uint64_t>> text_rows;

    /// Loads everything (call inside a read transaction).
    static Result<MemIndex> load(sql::Database& db);
    /// Applies what changed since `change_seq` (inside a read transaction):
    /// new rows, changed rows and their tags, removed rows. false when too
    /// much changed, or the log was pruned past `change_seq`: load again.
    Result<bool> catch_up(sql::Database& db);
    [[nodiscard]] std::size_t size() const noexcept { return id.size(); }
};

/// Whether a search is faster through the memory index than through SQL:
/// when it has free text or tag/keyword/collection filters (sort:title always
/// goes to SQL). Facet counts always use the index when it is fresh.
/// Whether a tag value is held in MemIndex::tag_values (see there).
bool mem_indexable_tag_value(std::string_view v) noexcept;

bool mem_index_helps_search(const ParsedQuery& q);

Result<Page> mem_search(sql::Database& db, const Library::Impl& impl, const MemIndex& index, const ParsedQuery& q,
                        std::string_view cursor, int limit, bool with_total);
Result<FacetCounts> mem_facets(sql::Database& db, const MemIndex& index, const ParsedQuery& q);

}  // namespace atelier::catalog
