// SPDX-License-Identifier: MIT
#pragma once

/// \file library.h
/// The asset library: one folder holding `library.db` (SQLite, WAL mode),
/// `blobs/` (files copied in, named by their SHA-256) and `thumbnails/`.
/// The desktop app's view models and the `atelier` CLI both use this API.
///
/// Thread safety: a `Library` owns one SQLite connection and serialises its
/// own calls with a mutex, so it may be shared between threads; for reads
/// that must never wait behind a long write (the UI while an import runs),
/// open a second `Library` on the same folder: with WAL, readers are not
/// blocked by the writer and see the last committed state.
///
/// Failure: every call returns a `Result`; errors name the file or asset and
/// say what to do. A failed write leaves the database as it was before the
/// call (each write is one transaction; an import commits in batches, so an
/// interrupted import keeps its committed batches and a re-run adds the rest).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/base/cancel.h"
#include "atelier/base/config.h"
#include "atelier/base/job_queue.h"
#include "atelier/base/result.h"
#include "atelier/catalog/provenance_hook.h"
#include "atelier/catalog/tagger_hook.h"
#include "atelier/catalog/types.h"
#include "atelier/imageio/imageio.h"

namespace atelier::catalog {

/// The schema version this build writes. Older databases are migrated one
/// step at a time on open; newer ones are refused.
inline constexpr int kSchemaVersion = 3;
/// Bumped when thumbnails are made differently; older ones are remade.
inline constexpr int kThumbnailVersion = 1;
/// Longest edge of a thumbnail, in pixels.
inline constexpr int kThumbnailSize = 256;
/// The `phashes` source of a dHash computed from a thumbnail of this
/// version ("thumbnail" for version 1, "thumbnail@N" after): a hash of another
/// version is stale, remade with the thumbnail and never compared with these.
std::string thumbnail_hash_source(int version = kThumbnailVersion);

struct OpenOptions {
    std::filesystem::path dir;  ///< the library folder (created when `create`)
    bool create = true;
    bool read_only = false;
    /// Caps the database at this many pages (a quota; 0 = no cap). Writes past
    /// it fail like a full disk.
    std::int64_t max_db_pages = 0;
    /// The in-memory index (`preload_index`) patches itself after up to this
    /// many changed rows; after more it is loaded again on a background
    /// thread while searches answer from SQL.
    std::size_t index_patch_limit = 50000;
    /// Called on that background thread before each such reload starts
    /// (diagnostics; tests hold the reload here). May be empty.
    std::function<void()> on_index_reload;
};

struct ImportOptions {
    Storage storage = Storage::blob;  ///< copy into the library, or reference in place
    bool recursive = true;
    bool follow_symlinks = true;  ///< loops are detected and skipped either way
    SourceType source = SourceType::imported;
    std::string licence;                       ///< licence given to every added asset
    imageio::ImageLimits limits;               ///< files over these are skipped
    std::size_t batch_size = 256;              ///< files per transaction
    std::size_t max_metadata_bytes = 1 << 20;  ///< larger text chunks are ignored with a warning
    /// Also look for A1111 "stealth" metadata in the alpha bits of RGBA PNGs
    /// that carry no other generation metadata. Off by default: it decodes
    /// the pixels of those files, which a metadata import otherwise never does.
    bool read_hidden_metadata = false;
    /// Reads C2PA manifests when the provenance module is linked; null = none.
    std::shared_ptr<ProvenanceReader> provenance;
    /// Called after each file (from the importing thread).
    std::function<void(std::size_t done, std::size_t total, const ImportEntry&)> on_file;
};

/// A tagging pass (`Library::tag_assets`): which assets, how.
struct TagPassOptions {
    /// Tag every asset again, not only those never tagged or tagged by
    /// another set of tagger versions / models.
    bool all = false;
    /// Only these assets (still only the stale ones unless `all`); empty = the whole library.
    std::vector<AssetId> only;
    /// Also make the current-version thumbnail of each visited asset when it is missing.
    bool thumbnails = false;
    unsigned threads = 0;         ///< tagging threads; 0 = one per core
    std::size_t batch_size = 32;  ///< assets per transaction
    /// Called after each batch (from the calling thread).
    std::function<void(std::size_t done, std::size_t total)> on_progress;
};

struct TagPassReport {
    std::size_t tagged = 0;      ///< assets whose tags were (re)written
    std::size_t failed = 0;      ///< files that could not be decoded (recorded; not retried until the taggers change)
    std::size_t thumbnails = 0;  ///< thumbnails made
    std::vector<std::pair<AssetId, std::string>> problems;  ///< failures and per-tagger problems
    bool cancelled = false;
};

/// What `Library::refresh_thumbnails` did.
struct ThumbnailPassReport {
    std::size_t visited = 0;  ///< assets looked at
    std::size_t made = 0;     ///< thumbnails (re)made: missing, or of another thumbnail version
    std::size_t current = 0;  ///< already current: left alone
    std::vector<std::pair<AssetId, std::string>> failed;  ///< files that could not be decoded
    bool cancelled = false;
};

/// A stored perceptual hash (for "more like this" over the library).
struct StoredHash {
    AssetId id = 0;
    PerceptualHashes hashes;
};

/// A search: the query language of query.h plus paging.
struct SearchRequest {
    std::string query;   ///< "" matches everything
    std::string cursor;  ///< from a previous Page::next_cursor; "" = first page
    int limit = 100;     ///< 1..1000
    bool with_total = false;
};

/// What `Library::remove` did.
struct RemoveReport {
    std::vector<AssetId> removed;       ///< in the order given, without repeats
    std::size_t detached_children = 0;  ///< kept assets that lost a removed parent (their own credentials keep it)
    std::size_t files_deleted = 0;      ///< blobs and thumbnails deleted (never a file referenced in place)
    std::uint64_t bytes_freed = 0;
    std::vector<std::string> warnings;  ///< files that could not be deleted (the removal itself stands)
};

class Library {
public:
    /// Opens (and creates, migrates) the library in `options.dir`. Errors:
    /// a database newer than this build (conflict), a damaged or foreign file
    /// (corrupt_data), permissions, a full disk.
    static Result<std::unique_ptr<Library>> open(const OpenOptions& options);
    /// `library.path` from the config, or `$XDG_DATA_HOME/atelier`.
    static std::filesystem::path default_dir(const Config& config);

    ~Library();
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;

    [[nodiscard]] const std::filesystem::path& dir() const noexcept;
    [[nodiscard]] std::filesystem::path db_path() const;
    [[nodiscard]] int schema_version() const noexcept;

    // ---- import and add ------------------------------------------------
    /// Imports files and folders. Each file is hashed; a file whose content is
    /// already in the library is reported as a duplicate. Unreadable files,
    /// non-images, images over the limits and symlink loops are skipped with a
    /// reason; malformed metadata is ignored with a warning and the file is
    /// still added. Hidden files and folders (names starting with '.') inside
    /// folders are passed over. Commits every `batch_size` files, so a cancelled or killed
    /// import keeps what it committed; running it again adds the rest.
    Result<ImportReport> import(std::span<const std::filesystem::path> paths, const ImportOptions& options = {},
                                const CancelToken& cancel = {});
    /// Adds one asset made by the app (generated or derived), with its
    /// generation metadata, tags and parents, in one transaction. Returns the
    /// existing id when the content is already there (metadata merged in).
    Result<AssetId> add(const NewAsset& asset);

    // ---- read -----------------------------------------------------------
    Result<Asset> get(AssetId id);
    Result<std::optional<AssetId>> find_by_hash(std::string_view sha256_hex);
    /// Runs a query (see query.h); errors: invalid_argument for a bad query or cursor.
    Result<Page> search(const SearchRequest& request);
    /// Counts per facet value for the assets matching `query`.
    Result<FacetCounts> facets(std::string_view query);
    Result<std::int64_t> count();
    /// Assets whose perceptual hash is within `max_distance` bits of `id`'s,
    /// nearest first; only hashes of the same algorithm are compared (the hash
    /// tagger's pHash, or the thumbnail's dHash for assets never tagged).
    Result<std::vector<Neighbour>> similar_by_phash(AssetId id, int limit = 50, int max_distance = 12);
    /// Assets nearest to `id` by cosine distance of embeddings of the same model.
    Result<std::vector<Neighbour>> similar_by_embedding(AssetId id, int limit = 50);
    /// Children (assets derived from `id`).
    Result<std::vector<AssetId>> children(AssetId id);

    /// Every stored perceptual hash made by `source` (the hash tagger's "id@version").
    Result<std::vector<StoredHash>> perceptual_hashes(std::string_view source);
    /// Assets nearest to `vector` among the embeddings of `model`, by cosine distance.
    Result<std::vector<Neighbour>> nearest_by_embedding(std::string_view model, std::span<const float> vector,
                                                        int limit = 50);

    // ---- auto-tagging (tagger_hook.h) ---------------------------------------------
    /// How many assets the taggers of `tagger` have not tagged yet, or tagged
    /// with another set of versions / models (the on-open check).
    Result<std::int64_t> count_needing_tags(const AutoTagger& tagger);
    /// Tags the stale assets (or all, or `options.only`): files decoded and
    /// tagged on worker threads, results written in batches (one transaction
    /// each; a kill loses at most one batch, a re-run continues). Replaces the
    /// tags of earlier versions of the same taggers; stores perceptual hashes
    /// and embeddings; records per asset which taggers tagged it. Undecodable
    /// files are recorded as failed with the reason. This Library's mutex is
    /// held only while a batch is written.
    Result<TagPassReport> tag_assets(AutoTagger& tagger, const TagPassOptions& options = {},
                                     const CancelToken& cancel = {});
    /// `tag_assets` as a low-priority background job through its own connection.
    Result<JobHandle> queue_tagging(JobQueue& queue, std::shared_ptr<AutoTagger> tagger, TagPassOptions options = {});

    // ---- edit -------------------------------------------------------------
    Result<void> set_rating(AssetId id, int rating);  ///< 0..5
    Result<void> set_keywords(AssetId id, std::span<const std::string> keywords);
    Result<void> set_title(AssetId id, std::string_view title, std::string_view description);
    Result<void> set_licence(AssetId id, std::string_view licence);
    /// Replaces the tags from `source` (a tagger id+version) with `tags`.
    Result<void> set_tags(AssetId id, std::string_view source, std::span<const Tag> tags);
    /// Stores a hash as the thumbnail-algorithm hash (source
    /// `thumbnail_hash_source()`), replacing any hash of the asset; the
    /// tagging pass stores its own.
    Result<void> set_phash(AssetId id, std::uint64_t phash);
    Result<void> set_embedding(AssetId id, std::string_view model, std::span<const float> vector);
    Result<void> add_derivation(AssetId child, std::span<const Derivation> parents);

    /// Removes assets from the library in one transaction: their tags,
    /// keywords, generation metadata, collection memberships, credentials
    /// summary and the derivation edges to their parents go with them; a
    /// derived asset that is kept loses the link to a removed parent (counted
    /// in `detached_children`). After the commit, the library's copy of each
    /// file (its blob) and its thumbnail are deleted when no asset refers to
    /// them any more; files referenced in place are never touched. All or
    /// nothing: an unknown id (not_found) or a failed write removes nothing.
    Result<RemoveReport> remove(std::span<const AssetId> ids);

    Result<std::int64_t> create_collection(std::string_view name);
    Result<void> add_to_collection(std::string_view collection, std::span<const AssetId> ids);
    Result<void> remove_from_collection(std::string_view collection, std::span<const AssetId> ids);
    /// Collection names with their sizes.
    Result<std::vector<std::pair<std::string, std::int64_t>>> collections();

    // ---- files -----------------------------------------------------------
    /// Copies the asset's file to `dir` as `<title or hash>.<ext>`; returns the path.
    Result<std::filesystem::path> export_asset(AssetId id, const std::filesystem::path& dir);
    /// Where the current-version thumbnail of content `hash` lives (may not exist yet).
    [[nodiscard]] std::filesystem::path thumbnail_path(std::string_view hash) const;
    /// Makes the thumbnail now unless it is current: a file of
    /// kThumbnailVersion exists and the asset's perceptual hash is a tagger's
    /// or the dHash of a thumbnail of this version (a dHash of another version
    /// is remade with it). Returns its path.
    Result<std::filesystem::path> ensure_thumbnail(AssetId id);
    /// Remakes exactly the stale thumbnails (see `ensure_thumbnail`) of the
    /// assets in `only` (empty = the whole library), visiting the rest
    /// without decoding anything: after a thumbnail version change, or when
    /// files were lost. Cancellable between assets.
    Result<ThumbnailPassReport> refresh_thumbnails(std::span<const AssetId> only = {}, const CancelToken& cancel = {});
    /// Queues `ensure_thumbnail` for each id on `queue` (low priority). The
    /// job opens its own connection, so it never blocks this Library's callers.
    Result<JobHandle> queue_thumbnails(JobQueue& queue, std::vector<AssetId> ids,
                                       std::function<void(AssetId, const std::filesystem::path&)> on_done = {});

    // ---- speed ----------------------------------------------------------------
    /// Loads the in-memory index of filter, sort and facet columns, tag
    /// lists and common words' rows (about 90 bytes per asset; ~8 s at a
    /// million assets on a busy 2-core machine)
    /// through its own connection, so other calls on this Library are not
    /// blocked while it loads: run it on a worker thread after opening. Until
    /// it is loaded, searches and facet counts run in SQL: always correct,
    /// slower for broad filters at a million assets. Once loaded it stays
    /// current by itself: before each use it applies the writes of every
    /// connection since its last use (new assets by id; edited, re-tagged and
    /// removed ones from the `asset_changes` log written by triggers). After
    /// more than `OpenOptions::index_patch_limit` changed rows it is loaded
    /// again on a background thread (owned by this Library, stopped and
    /// joined by its destructor): until that is done, searches and facet
    /// counts answer from SQL and `index_ready()` is false.
    Result<void> preload_index();
    /// Whether the in-memory index is loaded (and, after catching up with
    /// any writes, usable).
    [[nodiscard]] bool index_ready();

    // ---- maintenance ---------------------------------------------------------
    /// `PRAGMA integrity_check` plus foreign keys; "ok" when sound.
    Result<std::string> integrity_check();

    /// Implementation detail (shared by the module's source files).
    struct Impl;

private:
    explicit Library(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace atelier::catalog
