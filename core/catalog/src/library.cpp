// SPDX-License-Identifier: MIT
#include "atelier/catalog/library.h"

#include <signal.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>

#include <spdlog/spdlog.h>

#include "atelier/base/paths.h"
#include "library_p.h"
#include "mem_index_p.h"
#include "sql_p.h"

namespace atelier::catalog {

namespace fs = std::filesystem;
using sql::StatementLease;

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string_view source_type_name(SourceType s) noexcept {
    switch (s) {
        case SourceType::generated:
            return "generated";
        case SourceType::imported:
            return "imported";
        case SourceType::purchased:
            return "purchased";
        case SourceType::derived:
            return "derived";
    }
    return "imported";
}

std::optional<SourceType> parse_source_type(std::string_view s) noexcept {
    if (s == "generated") return SourceType::generated;
    if (s == "imported") return SourceType::imported;
    if (s == "purchased") return SourceType::purchased;
    if (s == "derived") return SourceType::derived;
    return std::nullopt;
}

std::string_view import_status_name(ImportEntry::Status s) noexcept {
    switch (s) {
        case ImportEntry::Status::added:
            return "added";
        case ImportEntry::Status::duplicate:
            return "duplicate";
        case ImportEntry::Status::skipped:
            return "skipped";
        case ImportEntry::Status::failed:
            return "failed";
    }
    return "failed";
}

namespace {

Result<std::int64_t> scalar(sql::Database& db, std::string_view q) {
    auto s = db.prepare(q);
    if (!s) return std::move(s).error();
    auto r = s->step();
    if (!r) return std::move(r).error();
    return *r ? s->int64(0) : 0;
}

/// Migrates `db` to kSchemaVersion, one step per transaction.
Result<int> migrate(sql::Database& db, const fs::path& file, bool read_only) {
    auto app_id = scalar(db, sql::kApplicationIdGet);
    if (!app_id) return std::move(app_id).error();
    auto version = scalar(db, sql::kUserVersion);
    if (!version) return std::move(version).error();
    auto tables = scalar(db, sql::kCountTables);
    if (!tables) return std::move(tables).error();
    if ((*app_id != 0 && *app_id != sql::kApplicationId) || (*app_id == 0 && *tables > 0))
        return fail(Errc::corrupt_data, "'" + file.string() +
                                            "' is an SQLite database but not an Atelier library; choose another "
                                            "folder with --library");
    if (*version > kSchemaVersion)
        return fail(Errc::conflict, "the library '" + file.string() + "' was written by a newer Atelier (schema v" +
                                        std::to_string(*version) + "; this build reads up to v" +
                                        std::to_string(kSchemaVersion) +
                                        "); update Atelier to open it — it was left unchanged");
    if (*version == kSchemaVersion) return static_cast<int>(*version);
    if (read_only)
        return fail(Errc::conflict, "the library '" + file.string() + "' uses schema v" + std::to_string(*version) +
                                        " and must be upgraded to v" + std::to_string(kSchemaVersion) +
                                        "; open it once without read-only mode");
    int current = static_cast<int>(*version);
    for (const auto& m : sql::kMigrations) {
        if (m.to <= current) continue;
        auto tx = sql::Transaction::begin(db);
        if (!tx) return std::move(tx).error();
        // Another process may have migrated while we waited for the lock.
        auto again = scalar(db, sql::kUserVersion);
        if (!again) return std::move(again).error();
        if (*again >= m.to) {
            current = static_cast<int>(*again);
            continue;
        }
        const std::string step = "upgrading the library to schema v" + std::to_string(m.to);
        ATELIER_TRY(db.exec(m.sql, step));
        // Constant integers, not user input.
        ATELIER_TRY(db.exec("PRAGMA user_version = " + std::to_string(m.to), step));
        if (m.to == 1) ATELIER_TRY(db.exec("PRAGMA application_id = " + std::to_string(sql::kApplicationId), step));
        ATELIER_TRY(tx->commit());
        current = m.to;
    }
    return current;
}

/// Removes the temp files of blob copies whose process is gone.
void remove_stale_blob_temps(const fs::path& dir) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        const auto dash = name.find('-');
        long pid = 0;
        try {
            pid = dash == std::string::npos ? 0 : std::stol(name.substr(0, dash));
        } catch (...) {
            pid = 0;
        }
        if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0) continue;  // still copying
        if (pid > 0 && errno == EPERM) continue;                           // alive, someone else's
        std::error_code rm_ec;
        fs::remove(e.path(), rm_ec);
        if (rm_ec) spdlog::warn("cannot remove the stale temp file '{}': {}", e.path().string(), rm_ec.message());
    }
}

/// Round-1 builds copied into the blob store through `blobs/xx/.tmp-*` next
/// to the blobs; a killed import left those behind. Swept once per library
/// (the marker file `.swept-blob-dir-temps` in the library folder records
/// it; the temp files now live in `blobs/.tmp/`), files younger than an
/// hour are left for a later open.
void sweep_blob_dir_temps(const fs::path& blobs) {
    const fs::path marker = blobs.parent_path() / ".swept-blob-dir-temps";
    std::error_code ec;
    if (fs::exists(marker, ec)) return;
    bool young_left = false;
    const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(1);
    for (const auto& dir : fs::directory_iterator(blobs, ec)) {
        std::error_code dir_ec;
        const auto name = dir.path().filename().string();
        if (name.size() != 2 || !dir.is_directory(dir_ec)) continue;
        for (const auto& e : fs::directory_iterator(dir.path(), dir_ec)) {
            if (!e.path().filename().string().starts_with(".tmp-")) continue;
            std::error_code f_ec;
            const auto t = fs::last_write_time(e.path(), f_ec);
            if (!f_ec && t > cutoff) {
                young_left = true;
                continue;
            }
            fs::remove(e.path(), f_ec);
            if (f_ec) {
                young_left = true;
                spdlog::warn("cannot remove the stale temp file '{}': {}", e.path().string(), f_ec.message());
            }
        }
    }
    if (ec || young_left) return;
    std::ofstream(marker) << "blobs/xx/.tmp-* swept\n";
}

}  // namespace

// ---- Impl helpers ------------------------------------------------------------

fs::path Library::Impl::blob_path(std::string_view hash, std::string_view ext) const {
    return dir / "blobs" / std::string(hash.substr(0, 2)) / (std::string(hash) + std::string(ext));
}

fs::path Library::Impl::resolve(std::string_view storage, std::string_view stored) const {
    if (storage == "blob") return dir / fs::path(std::string(stored));
    return fs::path(std::string(stored));
}

Result<void> Library::Impl::refresh_fts(AssetId id, bool changed) {
    if (changed) {
        auto log = db.cached(sql::kLogChange);
        if (!log) return std::move(log).error();
        StatementLease s(*log);
        s->bind(1, id);
        ATELIER_TRY(s->run());
    }
    auto del = db.cached(sql::kDeleteFts);
    if (!del) return std::move(del).error();
    {
        StatementLease s(*del);
        s->bind(1, id);
        ATELIER_TRY(s->run());
    }
    auto ins = db.cached(sql::kInsertFts);
    if (!ins) return std::move(ins).error();
    StatementLease s(*ins);
    s->bind(1, id);
    return s->run();
}

Result<void> Library::Impl::insert_generation(AssetId id, const GenerationInfo& g) {
    auto st = db.cached(sql::kInsertGeneration);
    if (!st) return std::move(st).error();
    StatementLease s(*st);
    s->bind(1, id).bind(2, g.tool).bind(3, g.model).bind(4, g.model_hash).bind(5, g.prompt);
    s->bind(6, g.negative_prompt).bind(7, g.seed);
    if (g.steps)
        s->bind(8, *g.steps);
    else
        s->bind_null(8);
    s->bind(9, g.sampler);
    if (g.cfg_scale && std::isfinite(*g.cfg_scale))
        s->bind(10, *g.cfg_scale);
    else
        s->bind_null(10);
    s->bind(11, g.workflow).bind(12, g.raw);
    ATELIER_TRY(s->run());
    if (!g.model.empty()) {
        auto m = db.cached(sql::kSetModel);
        if (!m) return std::move(m).error();
        StatementLease ms(*m);
        ms->bind(1, id).bind(2, g.model);
        ATELIER_TRY(ms->run());
    }
    return ok();
}

Result<void> Library::Impl::insert_tags(AssetId id, std::span<const Tag> tags) {
    auto st = db.cached(sql::kInsertTag);
    if (!st) return std::move(st).error();
    for (const auto& t : tags) {
        if (t.name.empty()) return fail(Errc::invalid_argument, "a tag needs a name");
        StatementLease s(*st);
        s->bind(1, id).bind(2, t.source.empty() ? std::string("user") : t.source).bind(3, t.name).bind(4, t.value);
        s->bind(5, std::clamp(t.confidence, 0.0, 1.0)).bind(6, t.model_hash);
        ATELIER_TRY(s->run());
    }
    auto f = db.cached(sql::kRefreshTagFacets);
    if (!f) return std::move(f).error();
    StatementLease s(*f);
    s->bind(1, id);
    return s->run();
}

Result<void> Library::Impl::insert_keywords(AssetId id, std::span<const std::string> keywords) {
    auto st = db.cached(sql::kInsertKeyword);
    if (!st) return std::move(st).error();
    for (const auto& k : keywords) {
        if (k.empty()) continue;
        StatementLease s(*st);
        s->bind(1, id).bind(2, k);
        ATELIER_TRY(s->run());
    }
    return ok();
}

Result<void> Library::Impl::insert_derivations(AssetId child, std::span<const Derivation> parents) {
    auto st = db.cached(sql::kInsertDerivation);
    if (!st) return std::move(st).error();
    int ordinal = 0;
    for (const auto& d : parents) {
        if (d.parent == child) return fail(Errc::invalid_argument, "an asset cannot be derived from itself");
        auto e = exists(d.parent);
        if (!e) return std::move(e).error();
        if (!*e) return fail(Errc::not_found, "parent asset " + std::to_string(d.parent) + " is not in the library");
        if (d.operation.empty()) return fail(Errc::invalid_argument, "a derivation needs an operation name");
        StatementLease s(*st);
        s->bind(1, child).bind(2, d.parent).bind(3, ordinal++).bind(4, d.operation);
        s->bind(5, d.parameters.empty() ? std::string("{}") : d.parameters);
        ATELIER_TRY(s->run());
    }
    return ok();
}

Result<bool> Library::Impl::exists(AssetId id) {
    auto st = db.cached(sql::kAssetExists);
    if (!st) return std::move(st).error();
    StatementLease s(*st);
    s->bind(1, id);
    return s->step();
}

Result<Asset> Library::Impl::load(AssetId id) {
    Asset a;
    {
        auto st = db.cached(sql::kSelectAsset);
        if (!st) return std::move(st).error();
        StatementLease s(*st);
        s->bind(1, id);
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (!*row) return fail(Errc::not_found, "asset " + std::to_string(id) + " is not in the library");
        a.id = s->int64(0);
        a.hash = s->text(1);
        const std::string storage = s->text(2);
        a.storage = storage == "blob" ? Storage::blob : Storage::reference;
        a.path = resolve(storage, s->text_view(3));
        a.original_path = s->text(4);
        a.title = s->text(5);
        a.description = s->text(6);
        a.width = static_cast<int>(s->int64(7));
        a.height = static_cast<int>(s->int64(8));
        a.format = s->text(9);
        a.file_bytes = static_cast<std::uint64_t>(s->int64(10));
        a.source = parse_source_type(s->text_view(11)).value_or(SourceType::imported);
        a.created_at = s->int64(12);
        a.imported_at = s->int64(13);
        a.licence = s->text(14);
        a.rating = static_cast<int>(s->int64(15));
        if (!s->is_null(16)) a.seamless = s->int64(16) != 0;
        a.color_family = s->text(17);
        a.style = s->text(18);
        a.model = s->text(19);
    }
    {
        auto st = db.cached(sql::kSelectGeneration);
        if (!st) return std::move(st).error();
        StatementLease s(*st);
        s->bind(1, id);
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (*row) {
            GenerationInfo g;
            g.tool = s->text(0);
            g.model = s->text(1);
            g.model_hash = s->text(2);
            g.prompt = s->text(3);
            g.negative_prompt = s->text(4);
            g.seed = s->text(5);
            if (!s->is_null(6)) g.steps = static_cast<int>(s->int64(6));
            g.sampler = s->text(7);
            if (!s->is_null(8)) g.cfg_scale = s->real(8);
            g.workflow = s->text(9);
            g.raw = s->text(10);
            a.generation = std::move(g);
        }
    }
    auto each = [&](std::string_view q, auto&& fn) -> Result<void> {
        auto st = db.cached(q);
        if (!st) return std::move(st).error();
        StatementLease s(*st);
        s->bind(1, id);
        while (true) {
            auto row = s->step();
            if (!row) return std::move(row).error();
            if (!*row) return ok();
            fn(**st);
        }
    };
    ATELIER_TRY(each(sql::kSelectTags, [&](sql::Statement& s) {
        a.tags.push_back(Tag{s.text(0), s.text(1), s.real(2), s.text(3), s.text(4)});
    }));
    ATELIER_TRY(each(sql::kSelectKeywords, [&](sql::Statement& s) { a.keywords.push_back(s.text(0)); }));
    ATELIER_TRY(each(sql::kAssetCollections, [&](sql::Statement& s) { a.collections.push_back(s.text(0)); }));
    ATELIER_TRY(each(sql::kSelectParents, [&](sql::Statement& s) {
        a.parents.push_back(Derivation{s.int64(0), s.text(1), s.text(2)});
    }));
    ATELIER_TRY(each(sql::kSelectPhash, [&](sql::Statement& s) { a.phash = static_cast<std::uint64_t>(s.int64(0)); }));
    ATELIER_TRY(each(sql::kSelectProvenance, [&](sql::Statement& s) {
        a.provenance = ProvenanceSummary{s.text(0), s.text(1), s.text(2), s.text(3)};
    }));
    return a;
}

// ---- Library -------------------------------------------------------------------

Library::Library(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Library::~Library() = default;

Library::Impl::~Impl() {
    closing = true;
    if (reload_thread.joinable()) reload_thread.join();
}

fs::path Library::default_dir(const Config& config) {
    const std::string p = config.get_string("library.path");
    if (!p.empty()) return p;
    return paths::data_dir();
}

Result<std::unique_ptr<Library>> Library::open(const OpenOptions& options) {
    if (options.dir.empty()) return fail(Errc::invalid_argument, "no library folder given");
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->dir = options.dir;
    std::error_code ec;
    if (!fs::is_directory(options.dir, ec)) {
        if (!options.create || options.read_only)
            return fail(Errc::not_found, "there is no library at '" + options.dir.string() +
                                             "'; import something first or pass --library with an existing folder");
        ATELIER_TRY(paths::ensure_dir(options.dir));
    }
    const fs::path file = options.dir / "library.db";
    if (options.read_only && !fs::exists(file, ec))
        return fail(Errc::not_found, "there is no library database at '" + file.string() + "'");
    auto db = sql::Database::open(
        file, options.read_only ? sql::Database::Mode::read_only : sql::Database::Mode::read_write_create);
    if (!db) return std::move(db).error();
    impl->db = std::move(db).value();
    if (options.read_only) {
        ATELIER_TRY(impl->db.exec("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA query_only = 1",
                                  "opening the library"));
    } else {
        ATELIER_TRY(impl->db.exec(sql::kPragmas, "opening the library '" + file.string() + "'"));
    }
    if (options.max_db_pages > 0)
        ATELIER_TRY(impl->db.exec("PRAGMA max_page_count = " + std::to_string(options.max_db_pages),
                                  "setting the library size cap"));
    auto version = migrate(impl->db, file, options.read_only);
    if (!version) return std::move(version).error();
    impl->schema_version = *version;
    if (!options.read_only) {
        ATELIER_TRY(paths::ensure_dir(options.dir / "blobs"));
        ATELIER_TRY(paths::ensure_dir(options.dir / "thumbnails"));
        // Blob copies a killed import left half-written (blobs/.tmp/<pid>-*).
        remove_stale_blob_temps(options.dir / "blobs" / ".tmp");
        sweep_blob_dir_temps(options.dir / "blobs");
        ATELIER_TRY(impl->db.exec(sql::kPruneChanges, "pruning the change log"));
        // Thumbnails of other versions are never read again: drop them.
        std::error_code dir_ec;
        const std::string current = "v" + std::to_string(kThumbnailVersion);
        for (const auto& e : fs::directory_iterator(options.dir / "thumbnails", dir_ec)) {
            const auto name = e.path().filename().string();
            if (name.size() > 1 && name[0] == 'v' && name != current &&
                name.find_first_not_of("0123456789", 1) == std::string::npos) {
                std::error_code rm_ec;
                fs::remove_all(e.path(), rm_ec);
                if (rm_ec) spdlog::warn("cannot remove old thumbnails in '{}': {}", e.path().string(), rm_ec.message());
            }
        }
    }
    return std::unique_ptr<Library>(new Library(std::move(impl)));
}

const fs::path& Library::dir() const noexcept {
    return m_impl->dir;
}
fs::path Library::db_path() const {
    return m_impl->dir / "library.db";
}
int Library::schema_version() const noexcept {
    return m_impl->schema_version;
}

Result<Asset> Library::get(AssetId id) {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->load(id);
}

Result<std::optional<AssetId>> Library::find_by_hash(std::string_view hex) {
    std::lock_guard lock(m_impl->mutex);
    auto st = m_impl->db.cached(sql::kFindByHash);
    if (!st) return std::move(st).error();
    StatementLease s(*st);
    s->bind(1, hex);
    auto row = s->step();
    if (!row) return std::move(row).error();
    if (!*row) return std::optional<AssetId>{};
    return std::optional<AssetId>{s->int64(0)};
}

Result<std::int64_t> Library::count() {
    std::lock_guard lock(m_impl->mutex);
    return scalar(m_impl->db, sql::kCountAssets);
}

namespace {

/// Loads the memory index through a connection of its own (read-only, one
/// read transaction). `stop` ends it early.
Result<std::shared_ptr<MemIndex>> load_index(const fs::path& db_path, const std::atomic<bool>* stop) {
    auto db = sql::Database::open(db_path, sql::Database::Mode::read_only);
    if (!db) return std::move(db).error();
    ATELIER_TRY(db->exec("PRAGMA busy_timeout = 5000; BEGIN", "loading the library index"));
    auto ix = MemIndex::load(*db, stop);
    if (!ix) return std::move(ix).error();
    ATELIER_TRY(db->exec("COMMIT", "loading the library index"));
    // Never current for the caller's connection: its first use catches up
    // with whatever was written since the load's snapshot.
    ix->data_version = -1;
    return std::make_shared<MemIndex>(std::move(ix).value());
}

/// Starts loading the index again on the Library's reload thread (caller
/// holds impl.mutex; `mem` is already reset). One reload at a time.
void start_reload(Library::Impl& impl) {
    if (impl.reloading.exchange(true)) return;
    if (impl.reload_thread.joinable()) impl.reload_thread.join();  // the previous one, finished
    impl.reload_thread = std::thread([&impl] {
        if (impl.options.on_index_reload) impl.options.on_index_reload();
        auto ix = load_index(impl.dir / "library.db", &impl.closing);
        if (ix) {
            std::lock_guard l(impl.mem_mutex);
            impl.mem = std::move(ix).value();
        } else if (ix.error().code != Errc::cancelled) {
            spdlog::warn("the in-memory index could not be loaded again: {}; searches use SQL", ix.error().message);
        }
        impl.reloading = false;
    });
}

/// The in-memory index, brought up to date with every write since it was
/// last used (caller holds impl.mutex); null when not loaded, while it is
/// loaded again after too many changes (on the reload thread), or when
/// catching up failed (SQL answers then).
std::shared_ptr<MemIndex> fresh_index(Library::Impl& impl) {
    std::shared_ptr<MemIndex> ix;
    {
        std::lock_guard l(impl.mem_mutex);
        ix = impl.mem;
    }
    if (!ix) return nullptr;
    auto dv = scalar(impl.db, sql::kDataVersion);
    if (!dv) return nullptr;
    const std::uint64_t writes = impl.writes.load();
    if (ix->own_writes == writes && *dv == ix->data_version) return ix;
    // One read transaction: the log, the rows and the tags from one snapshot.
    if (!impl.db.exec("BEGIN", "reading the library changes")) return nullptr;
    auto caught = ix->catch_up(impl.db, impl.options.index_patch_limit);
    auto dv2 = scalar(impl.db, sql::kDataVersion);
    (void)impl.db.exec("COMMIT", "reading the library changes");
    if (!caught || !*caught || !dv2) {
        if (!caught) spdlog::warn("the in-memory index could not catch up: {}", caught.error().message);
        {
            std::lock_guard l(impl.mem_mutex);
            if (impl.mem == ix) impl.mem.reset();  // a half-patched index is never used again
        }
        // Too much changed (a large import): load it all again, off this call.
        if (caught && !*caught) start_reload(impl);
        return nullptr;
    }
    ix->data_version = *dv2;
    ix->own_writes = writes;
    return ix;
}
}  // namespace

Result<void> Library::preload_index() {
    auto ix = load_index(db_path(), &m_impl->closing);
    if (!ix) return std::move(ix).error();
    std::lock_guard l(m_impl->mem_mutex);
    m_impl->mem = std::move(ix).value();
    return ok();
}

bool Library::index_ready() {
    std::lock_guard lock(m_impl->mutex);
    return fresh_index(*m_impl) != nullptr;
}

Result<Page> Library::search(const SearchRequest& request) {
    if (request.limit < 1 || request.limit > 1000)
        return fail(Errc::invalid_argument,
                    "a page holds 1 to 1000 results (limit " + std::to_string(request.limit) + ")");
    auto q = parse_query(request.query);
    if (!q) return std::move(q).error();
    std::lock_guard lock(m_impl->mutex);
    if (mem_index_helps_search(*q))
        if (auto ix = fresh_index(*m_impl))
            return mem_search(m_impl->db, *m_impl, *ix, *q, request.cursor, request.limit, request.with_total);
    return run_search(m_impl->db, *m_impl, *q, request.cursor, request.limit, request.with_total);
}

Result<FacetCounts> Library::facets(std::string_view query) {
    auto q = parse_query(query);
    if (!q) return std::move(q).error();
    const bool empty = q->text.empty() && q->excluded_text.empty() && q->filters.empty();
    std::lock_guard lock(m_impl->mutex);
    if (!empty)
        if (auto ix = fresh_index(*m_impl)) return mem_facets(m_impl->db, *ix, *q);
    return run_facets(m_impl->db, *q, empty);
}

Result<std::vector<Neighbour>> Library::similar_by_phash(AssetId id, int limit, int max_distance) {
    std::lock_guard lock(m_impl->mutex);
    auto& db = m_impl->db;
    std::optional<std::uint64_t> mine;
    std::string source;  // hashes of other algorithms are never compared
    {
        auto st = db.cached(sql::kSelectPhash);
        if (!st) return std::move(st).error();
        StatementLease s(*st);
        s->bind(1, id);
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (*row) {
            mine = static_cast<std::uint64_t>(s->int64(0));
            source = s->text(1);
        }
    }
    if (!mine)
        return fail(Errc::not_found, "asset " + std::to_string(id) +
                                         " has no perceptual hash yet; make its thumbnail (or run the tagger) first");
    std::vector<Neighbour> out;
    auto st = db.cached(sql::kAllPhashes);
    if (!st) return std::move(st).error();
    StatementLease s(*st);
    s->bind(1, id).bind(2, source);
    while (true) {
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        const int d = std::popcount(*mine ^ static_cast<std::uint64_t>(s->int64(1)));
        if (d <= max_distance) out.push_back({s->int64(0), static_cast<double>(d)});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.distance < b.distance || (a.distance == b.distance && a.id < b.id);
    });
    if (out.size() > static_cast<std::size_t>(std::max(0, limit)))
        out.resize(static_cast<std::size_t>(std::max(0, limit)));
    return out;
}

namespace {
/// Cosine distance of `mine` to every embedding of `model` but `exclude`'s, nearest first (caller holds the mutex).
Result<std::vector<Neighbour>> nearest_embeddings(sql::Database& db, const std::string& model,
                                                  std::span<const float> mine, AssetId exclude, int limit) {
    double norm_a = 0;
    for (float v : mine)
        norm_a += double(v) * v;
    norm_a = std::sqrt(norm_a);
    std::vector<Neighbour> out;
    auto st = db.cached(sql::kEmbeddingsOfModel);
    if (!st) return std::move(st).error();
    StatementLease s(*st);
    s->bind(1, model).bind(2, exclude);
    std::vector<float> other(mine.size());
    while (true) {
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        auto b = s->blob_view(1);
        if (b.size() != mine.size() * sizeof(float)) continue;
        std::memcpy(other.data(), b.data(), b.size());
        double dot = 0, norm_b = 0;
        for (std::size_t i = 0; i < mine.size(); ++i) {
            dot += double(mine[i]) * other[i];
            norm_b += double(other[i]) * other[i];
        }
        const double denom = norm_a * std::sqrt(norm_b);
        out.push_back({s->int64(0), denom > 0 ? 1.0 - dot / denom : 1.0});
    }
    const auto n = std::min(out.size(), static_cast<std::size_t>(std::max(0, limit)));
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), out.end(),
                      [](const auto& a, const auto& b) {
                          return a.distance < b.distance || (a.distance == b.distance && a.id < b.id);
                      });
    out.resize(n);
    return out;
}
}  // namespace

Result<std::vector<Neighbour>> Library::similar_by_embedding(AssetId id, int limit) {
    std::lock_guard lock(m_impl->mutex);
    auto& db = m_impl->db;
    std::string model;
    std::vector<float> mine;
    {
        auto st = db.cached(sql::kSelectEmbedding);
        if (!st) return std::move(st).error();
        StatementLease s(*st);
        s->bind(1, id);
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (!*row)
            return fail(Errc::not_found, "asset " + std::to_string(id) + " has no embedding yet; run the tagger");
        model = s->text(0);
        auto b = s->blob_view(1);
        mine.resize(b.size() / sizeof(float));
        std::memcpy(mine.data(), b.data(), mine.size() * sizeof(float));
    }
    return nearest_embeddings(db, model, mine, id, limit);
}

Result<std::vector<Neighbour>> Library::nearest_by_embedding(std::string_view model, std::span<const float> vector,
                                                             int limit) {
    if (vector.empty()) return fail(Errc::invalid_argument, "an empty embedding has no neighbours");
    std::lock_guard lock(m_impl->mutex);
    return nearest_embeddings(m_impl->db, std::string(model), vector, 0, limit);
}

Result<std::vector<StoredHash>> Library::perceptual_hashes(std::string_view source) {
    std::lock_guard lock(m_impl->mutex);
    auto st = m_impl->db.cached(sql::kHashesOfSource);
    if (!st) return std::move(st).error();
    StatementLease s(*st);
    s->bind(1, source);
    std::vector<StoredHash> out;
    while (true) {
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (!*row) return out;
        out.push_back({s->int64(0),
                       {static_cast<std::uint64_t>(s->int64(1)), static_cast<std::uint64_t>(s->int64(2)),
                        static_cast<std::uint64_t>(s->int64(3))}});
    }
}

Result<std::vector<AssetId>> Library::children(AssetId id) {
    std::lock_guard lock(m_impl->mutex);
    auto st = m_impl->db.cached(sql::kSelectChildren);
    if (!st) return std::move(st).error();
    StatementLease s(*st);
    s->bind(1, id);
    std::vector<AssetId> out;
    while (true) {
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (!*row) return out;
        out.push_back(s->int64(0));
    }
}

namespace {
/// Runs `fn` in one transaction after checking that asset `id` exists.
template <class Fn>
Result<void> edit(Library::Impl& impl, AssetId id, Fn&& fn) {
    std::lock_guard lock(impl.mutex);
    auto tx = sql::Transaction::begin(impl.db);
    if (!tx) return std::move(tx).error();
    auto e = impl.exists(id);
    if (!e) return std::move(e).error();
    if (!*e) return fail(Errc::not_found, "asset " + std::to_string(id) + " is not in the library");
    ATELIER_TRY(fn());
    ++impl.writes;
    return tx->commit();
}
Result<void> run_with_id(sql::Database& db, std::string_view q, AssetId id) {
    auto st = db.cached(q);
    if (!st) return std::move(st).error();
    StatementLease s(*st);
    s->bind(1, id);
    return s->run();
}
}  // namespace

Result<void> Library::set_rating(AssetId id, int rating) {
    if (rating < 0 || rating > 5) return fail(Errc::invalid_argument, "a rating is 0 (none) to 5 stars");
    return edit(*m_impl, id, [&]() -> Result<void> {
        auto st = m_impl->db.cached(sql::kSetRating);
        if (!st) return std::move(st).error();
        StatementLease s(*st);
        s->bind(1, id).bind(2, rating);
        return s->run();
    });
}

Result<void> Library::set_keywords(AssetId id, std::span<const std::string> keywords) {
    return edit(*m_impl, id, [&]() -> Result<void> {
        ATELIER_TRY(run_with_id(m_impl->db, sql::kDeleteKeywords, id));
        ATELIER_TRY(m_impl->insert_keywords(id, keywords));
        return m_impl->refresh_fts(id);
    });
}

Result<void> Library::set_title(AssetId id, std::string_view title, std::string_view description) {
    return edit(*m_impl, id, [&]() -> Result<void> {
        auto st = m_impl->db.cached(sql::kSetTitle);
        if (!st) return std::move(st).error();
        {
            StatementLease s(*st);
            s->bind(1, id).bind(2, title).bind(3, description);
            ATELIER_TRY(s->run());
        }
        return m_impl->refresh_fts(id);
    });
}

Result<void> Library::set_licence(AssetId id, std::string_view licence) {
    return edit(*m_impl, id, [&]() -> Result<void> {
        auto st = m_impl->db.cached(sql::kSetLicence);
        if (!st) return std::move(st).error();
        StatementLease s(*st);
        s->bind(1, id).bind(2, licence);
        return s->run();
    });
}

Result<void> Library::set_tags(AssetId id, std::string_view source, std::span<const Tag> tags) {
    if (source.empty()) return fail(Errc::invalid_argument, "tags need a source (the tagger's id and version)");
    std::vector<Tag> own(tags.begin(), tags.end());
    for (auto& t : own)
        t.source = std::string(source);
    return edit(*m_impl, id, [&]() -> Result<void> {
        auto st = m_impl->db.cached(sql::kDeleteTagsFromSource);
        if (!st) return std::move(st).error();
        {
            StatementLease s(*st);
            s->bind(1, id).bind(2, source);
            ATELIER_TRY(s->run());
        }
        ATELIER_TRY(m_impl->insert_tags(id, own));
        return m_impl->refresh_fts(id, false);  // insert_tags' UPDATE logged the change
    });
}

Result<void> Library::set_phash(AssetId id, std::uint64_t phash) {
    return edit(*m_impl, id, [&]() -> Result<void> {
        auto st = m_impl->db.cached(sql::kUpsertPhash);
        if (!st) return std::move(st).error();
        StatementLease s(*st);
        s->bind(1, id).bind(2, static_cast<std::int64_t>(phash)).bind(3, thumbnail_hash_source());
        return s->run();
    });
}

Result<void> Library::set_embedding(AssetId id, std::string_view model, std::span<const float> vector) {
    if (vector.empty() || model.empty())
        return fail(Errc::invalid_argument, "an embedding needs a model id and at least one value");
    return edit(*m_impl, id, [&]() -> Result<void> {
        auto st = m_impl->db.cached(sql::kUpsertEmbedding);
        if (!st) return std::move(st).error();
        StatementLease s(*st);
        s->bind(1, id).bind(2, model).bind(3, static_cast<std::int64_t>(vector.size()));
        s->bind_blob(4, {reinterpret_cast<const std::uint8_t*>(vector.data()), vector.size_bytes()});
        return s->run();
    });
}

Result<void> Library::add_derivation(AssetId child, std::span<const Derivation> parents) {
    return edit(*m_impl, child, [&]() { return m_impl->insert_derivations(child, parents); });
}

Result<std::int64_t> Library::create_collection(std::string_view name) {
    if (name.empty()) return fail(Errc::invalid_argument, "a collection needs a name");
    std::lock_guard lock(m_impl->mutex);
    auto tx = sql::Transaction::begin(m_impl->db);
    if (!tx) return std::move(tx).error();
    {
        auto st = m_impl->db.cached(sql::kInsertCollection);
        if (!st) return std::move(st).error();
        StatementLease s(*st);
        s->bind(1, name).bind(2, now_seconds());
        ATELIER_TRY(s->run());
    }
    auto st = m_impl->db.cached(sql::kFindCollection);
    if (!st) return std::move(st).error();
    std::int64_t cid = 0;
    {
        StatementLease s(*st);
        s->bind(1, name);
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (!*row) return fail(Errc::internal, "collection vanished after insert");
        cid = s->int64(0);
    }
    ATELIER_TRY(tx->commit());
    return cid;
}

namespace {
Result<void> collection_op(Library::Impl& impl, std::string_view name, std::span<const AssetId> ids, std::string_view q,
                           bool must_exist_assets) {
    std::lock_guard lock(impl.mutex);
    auto tx = sql::Transaction::begin(impl.db);
    if (!tx) return std::move(tx).error();
    auto st = impl.db.cached(sql::kFindCollection);
    if (!st) return std::move(st).error();
    std::int64_t cid = 0;
    {
        StatementLease s(*st);
        s->bind(1, name);
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (!*row)
            return fail(Errc::not_found, "there is no collection named '" + std::string(name) + "'; create it first");
        cid = s->int64(0);
    }
    auto op = impl.db.cached(q);
    if (!op) return std::move(op).error();
    for (AssetId id : ids) {
        if (must_exist_assets) {
            auto e = impl.exists(id);
            if (!e) return std::move(e).error();
            if (!*e) return fail(Errc::not_found, "asset " + std::to_string(id) + " is not in the library");
        }
        StatementLease s(*op);
        s->bind(1, cid).bind(2, id);
        if (must_exist_assets) s->bind(3, now_seconds());
        ATELIER_TRY(s->run());
    }
    ++impl.writes;
    return tx->commit();
}
}  // namespace

Result<void> Library::add_to_collection(std::string_view collection, std::span<const AssetId> ids) {
    return collection_op(*m_impl, collection, ids, sql::kAddToCollection, true);
}
Result<void> Library::remove_from_collection(std::string_view collection, std::span<const AssetId> ids) {
    return collection_op(*m_impl, collection, ids, sql::kRemoveFromCollection, false);
}

Result<std::vector<std::pair<std::string, std::int64_t>>> Library::collections() {
    std::lock_guard lock(m_impl->mutex);
    auto st = m_impl->db.cached(sql::kListCollections);
    if (!st) return std::move(st).error();
    StatementLease s(*st);
    std::vector<std::pair<std::string, std::int64_t>> out;
    while (true) {
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (!*row) return out;
        out.emplace_back(s->text(0), s->int64(1));
    }
}

Result<fs::path> Library::export_asset(AssetId id, const fs::path& dir) {
    auto a = get(id);
    if (!a) return std::move(a).error();
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        return fail(Errc::not_found, "export folder '" + dir.string() + "' does not exist; create it first");
    if (!fs::exists(a->path, ec))
        return fail(Errc::not_found, "the file of asset " + std::to_string(id) + " is missing at '" + a->path.string() +
                                         "'" +
                                         (a->storage == Storage::reference ? " (it was referenced in place and has "
                                                                             "been moved or deleted)"
                                                                           : ""));
    std::string stem;
    for (char c : a->title)
        stem.push_back((std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_');
    if (stem.empty() || stem.find_first_not_of("._") == std::string::npos) stem = a->hash.substr(0, 16);
    std::string ext = a->path.extension().string();
    fs::path target = dir / (stem + ext);
    if (fs::exists(target, ec)) target = dir / (stem + "-" + std::to_string(id) + ext);
    const fs::path tmp = dir / ("." + target.filename().string() + ".part");
    fs::copy_file(a->path, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) {
        fs::remove(tmp, ec);
        return fail(Errc::io_error,
                    "cannot copy asset " + std::to_string(id) + " to '" + dir.string() + "': " + ec.message());
    }
    fs::rename(tmp, target, ec);
    if (ec) {
        fs::remove(tmp, ec);
        return fail(Errc::io_error, "cannot move the exported file into place at '" + target.string() + "'");
    }
    return target;
}

fs::path Library::thumbnail_path(std::string_view hash) const {
    return m_impl->dir / "thumbnails" / ("v" + std::to_string(kThumbnailVersion)) / std::string(hash.substr(0, 2)) /
           (std::string(hash) + ".png");
}

std::string thumbnail_hash_source(int version) {
    return version == 1 ? std::string("thumbnail") : "thumbnail@" + std::to_string(version);
}

namespace {
/// Whether a perceptual-hash source is stale for the current thumbnails:
/// a thumbnail hash of another version, or no hash at all.
bool thumbnail_hash_stale(const std::optional<std::string>& source) {
    if (!source) return true;
    const bool thumbnail = *source == "thumbnail" || source->starts_with("thumbnail@");
    return thumbnail && *source != thumbnail_hash_source();
}
}  // namespace

Result<fs::path> Library::ensure_thumbnail(AssetId id) {
    auto a = get(id);
    if (!a) return std::move(a).error();
    std::optional<std::string> source;
    {
        std::lock_guard lock(m_impl->mutex);
        auto st = m_impl->db.cached(sql::kPhashSource);
        if (!st) return std::move(st).error();
        StatementLease s(*st);
        s->bind(1, id);
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (*row) source = s->text(0);
    }
    const fs::path out = thumbnail_path(a->hash);
    std::error_code ec;
    const bool stale_hash = thumbnail_hash_stale(source);
    if (fs::exists(out, ec) && !stale_hash) return out;
    ATELIER_TRY(paths::ensure_dir(out.parent_path()));
    auto dhash = make_thumbnail_file(a->path, out, imageio::ImageLimits{});
    if (!dhash) return dhash.error().with_context("making the thumbnail of asset " + std::to_string(id));
    if (stale_hash) {
        std::lock_guard lock(m_impl->mutex);
        auto st = m_impl->db.cached(sql::kInsertThumbnailHash);
        if (!st) return std::move(st).error();
        StatementLease s(*st);
        s->bind(1, id).bind(2, static_cast<std::int64_t>(*dhash)).bind(3, thumbnail_hash_source());
        ATELIER_TRY(s->run());
        ++m_impl->writes;
    }
    return out;
}

Result<ThumbnailPassReport> Library::refresh_thumbnails(std::span<const AssetId> only, const CancelToken& cancel) {
    ThumbnailPassReport report;
    std::vector<AssetId> wanted(only.begin(), only.end());
    std::sort(wanted.begin(), wanted.end());
    AssetId after = 0;
    constexpr std::int64_t kBatch = 1024;
    while (!cancel.cancelled()) {
        // A batch of (id, hash, hash source), read under the lock; files are checked and made without it.
        std::vector<std::tuple<AssetId, std::string, std::optional<std::string>>> batch;
        {
            std::lock_guard lock(m_impl->mutex);
            auto st = m_impl->db.cached(sql::kThumbnailStates);
            if (!st) return std::move(st).error();
            StatementLease s(*st);
            s->bind(1, after).bind(2, kBatch);
            while (true) {
                auto row = s->step();
                if (!row) return std::move(row).error();
                if (!*row) break;
                batch.emplace_back(s->int64(0), s->text(1),
                                   s->is_null(2) ? std::nullopt : std::optional<std::string>(s->text(2)));
            }
        }
        if (batch.empty()) break;
        after = std::get<0>(batch.back());
        for (const auto& [id, hash, source] : batch) {
            if (cancel.cancelled()) break;
            if (!wanted.empty() && !std::binary_search(wanted.begin(), wanted.end(), id)) continue;
            ++report.visited;
            std::error_code ec;
            if (fs::exists(thumbnail_path(hash), ec) && !thumbnail_hash_stale(source)) {
                ++report.current;
                continue;
            }
            auto made = ensure_thumbnail(id);
            if (made)
                ++report.made;
            else
                report.failed.emplace_back(id, made.error().message);
        }
    }
    report.cancelled = cancel.cancelled();
    return report;
}

Result<JobHandle> Library::queue_thumbnails(JobQueue& queue, std::vector<AssetId> ids,
                                            std::function<void(AssetId, const fs::path&)> on_done) {
    OpenOptions o = m_impl->options;
    o.create = false;
    JobSpec spec;
    spec.name = "thumbnails (" + std::to_string(ids.size()) + ")";
    spec.priority = -10;
    spec.fn = [o, ids = std::move(ids), on_done = std::move(on_done)](JobContext& ctx) -> Result<void> {
        auto lib = Library::open(o);  // own connection: never blocks the caller's
        if (!lib) return std::move(lib).error();
        std::optional<Error> first_error;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (ctx.cancelled()) return fail(Errc::cancelled, "thumbnails cancelled");
            auto p = (*lib)->ensure_thumbnail(ids[i]);
            if (p && on_done) on_done(ids[i], *p);
            if (!p && !first_error) first_error = p.error();
            ctx.progress(double(i + 1) / double(ids.size()));
        }
        if (first_error) return *first_error;
        return ok();
    };
    return queue.submit(std::move(spec));
}

Result<std::string> Library::integrity_check() {
    std::lock_guard lock(m_impl->mutex);
    auto s = m_impl->db.prepare(sql::kIntegrityCheck);
    if (!s) return std::move(s).error();
    std::string result;
    while (true) {
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        if (!result.empty()) result += "\n";
        result += s->text(0);
    }
    auto fk = m_impl->db.prepare(sql::kForeignKeyCheck);
    if (!fk) return std::move(fk).error();
    auto row = fk->step();
    if (!row) return std::move(row).error();
    if (*row) result += (result == "ok" ? "\n" : "") + std::string("foreign key violation in ") + fk->text(0);
    return result;
}

}  // namespace atelier::catalog
