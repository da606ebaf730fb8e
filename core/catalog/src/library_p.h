// SPDX-License-Identifier: MIT
#pragma once

// Private state of a Library, shared by library.cpp, import.cpp, search.cpp.

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "atelier/catalog/library.h"
#include "atelier/catalog/query.h"
#include "sqlite_p.h"

namespace atelier::catalog {

struct Library::Impl {
    OpenOptions options;
    std::filesystem::path dir;
    sql::Database db;
    int schema_version = 0;
    std::mutex mutex;                      // serialises every public call on this connection
    std::atomic<std::uint64_t> writes{0};  // bumped by every write through this Library
    std::mutex mem_mutex;                  // guards `mem`
    std::shared_ptr<struct MemIndex> mem;  // patched in place while `mutex` is held
    // Background reload of `mem` after too many changes (fresh_index starts it).
    std::atomic<bool> reloading{false};  // a reload thread is running
    std::atomic<bool> closing{false};    // the Library is being destroyed: stop the reload
    std::thread reload_thread;           // joined before the next start and by ~Impl
    ~Impl();

    [[nodiscard]] std::filesystem::path blob_path(std::string_view hash, std::string_view ext) const;
    [[nodiscard]] std::filesystem::path resolve(std::string_view storage, std::string_view stored_path) const;

    /// Rebuilds the asset's full-text row; `changed` (an existing asset
    /// edited) also logs it in `asset_changes` for the memory indexes.
    Result<void> refresh_fts(AssetId id, bool changed = true);
    Result<void> insert_generation(AssetId id, const GenerationInfo& g);
    Result<void> insert_tags(AssetId id, std::span<const Tag> tags);
    Result<void> insert_keywords(AssetId id, std::span<const std::string> keywords);
    Result<void> insert_derivations(AssetId child, std::span<const Derivation> parents);
    Result<bool> exists(AssetId id);
    Result<Asset> load(AssetId id);
};

/// Cursor text for the row after which the next page starts (search.cpp).
std::string encode_cursor(SortOrder sort, const AssetSummary& last);
/// The keys stored in a cursor, checked against the sort order.
Result<std::vector<nlohmann::json>> decode_cursor(std::string_view cursor, SortOrder sort);
/// Tags and keywords of a page's items (search.cpp).
Result<void> fill_page_tags(sql::Database& db, Page& page);
/// FTS5 MATCH text for free-text terms (quoted, prefix-matched).
std::string fts_match(const std::vector<std::string>& terms, const char* joiner);

/// Runs a parsed query (search.cpp).
Result<Page> run_search(sql::Database& db, const Library::Impl& impl, const ParsedQuery& q, std::string_view cursor,
                        int limit, bool with_total);
Result<FacetCounts> run_facets(sql::Database& db, const ParsedQuery& q, bool empty_query);

/// Thumbnail making (thumbnails.cpp): decodes `file` (JPEG with DCT
/// shrink-on-load), fits it in kThumbnailSize, writes PNG to `out`, and
/// returns the 64-bit dHash of the picture.
Result<std::uint64_t> make_thumbnail_file(const std::filesystem::path& file, const std::filesystem::path& out,
                                          const imageio::ImageLimits& limits);

std::int64_t now_seconds();

}  // namespace atelier::catalog
