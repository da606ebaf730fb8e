// SPDX-License-Identifier: MIT
// Import of files and folders, and adding assets the app made.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <set>

#include "atelier/base/hash.h"
#include "atelier/base/log.h"
#include "atelier/catalog/library.h"
#include "atelier/catalog/metadata.h"
#include "library_p.h"
#include "sql_p.h"

namespace atelier::catalog {

namespace fs = std::filesystem;
using sql::StatementLease;

namespace {

std::string storage_name(Storage s) {
    return s == Storage::blob ? "blob" : "reference";
}

std::string lower_ext(const fs::path& p) {
    std::string e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return e;
}

struct Candidate {
    fs::path path;
    std::string skip_reason;  ///< non-empty: report as skipped without reading
};

/// Walks the inputs. Directories are identified by (device, inode) so that
/// symlink loops (and the same folder reached twice) are visited once.
void collect(const fs::path& root, const ImportOptions& o, std::vector<Candidate>& out,
             std::set<std::pair<dev_t, ino_t>>& visited_dirs, std::set<std::pair<dev_t, ino_t>>& seen_files, int depth,
             bool top) {
    struct stat lst {};
    if (::lstat(root.c_str(), &lst) != 0) {
        out.push_back({root, std::string("cannot read it: ") + std::strerror(errno)});
        return;
    }
    struct stat st = lst;
    if (S_ISLNK(lst.st_mode)) {
        if (!o.follow_symlinks && !top) {
            out.push_back({root, "symbolic link not followed (links are not followed in this import)"});
            return;
        }
        if (::stat(root.c_str(), &st) != 0) {
            out.push_back(
                {root, errno == ELOOP ? "symbolic link loop" : "broken symbolic link (its target is missing)"});
            return;
        }
    }
    if (S_ISDIR(st.st_mode)) {
        if (!top && !o.recursive) return;
        if (depth > 256) {
            out.push_back({root, "folder nesting deeper than 256 levels; skipped"});
            return;
        }
        if (!visited_dirs.insert({st.st_dev, st.st_ino}).second) {
            out.push_back({root, S_ISLNK(lst.st_mode) ? "symbolic link loop (this folder was already visited)"
                                                      : "folder already visited"});
            return;
        }
        std::error_code ec;
        fs::directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
        if (ec) {
            out.push_back({root, "cannot list the folder: " + ec.message()});
            return;
        }
        std::vector<fs::path> children;
        for (; it != fs::directory_iterator(); it.increment(ec)) {
            if (ec) break;
            const auto name = it->path().filename().string();
            if (!name.empty() && name[0] == '.') continue;  // hidden files and our own temp files
            children.push_back(it->path());
        }
        std::sort(children.begin(), children.end());
        for (const auto& c : children)
            collect(c, o, out, visited_dirs, seen_files, depth + 1, false);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        out.push_back({root, "not a regular file"});
        return;
    }
    if (!seen_files.insert({st.st_dev, st.st_ino}).second) return;  // the same file through two links
    out.push_back({root, {}});
}

/// Copies `src` into the blob store (temp file + rename: never half a blob).
Result<void> copy_to_blob(const fs::path& src, const fs::path& dst) {
    std::error_code ec;
    if (fs::exists(dst, ec)) return ok();
    fs::create_directories(dst.parent_path(), ec);
    if (ec)
        return fail(Errc::io_error,
                    "cannot create the blob folder '" + dst.parent_path().string() + "': " + ec.message());
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    // blobs/.tmp/<pid>-<random>: what a killed import leaves there is removed
    // by the next open (Library::open checks that the pid is gone).
    const fs::path tmp_dir = dst.parent_path().parent_path() / ".tmp";
    fs::create_directories(tmp_dir, ec);
    if (ec) return fail(Errc::io_error, "cannot create '" + tmp_dir.string() + "': " + ec.message());
    const fs::path tmp =
        tmp_dir / (std::to_string(::getpid()) + "-" + std::to_string(rng()) + dst.extension().string());
    fs::copy_file(src, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) {
        const bool full = ec == std::errc::no_space_on_device || ec == std::errc::file_too_large;
        fs::remove(tmp, ec);
        return fail(full ? Errc::io_error : Errc::io_error,
                    full ? "the disk holding the library is full; free some space and import again — nothing "
                           "already imported was lost"
                         : "cannot copy '" + src.string() + "' into the library: " + ec.message());
    }
    fs::rename(tmp, dst, ec);
    if (ec) {
        fs::remove(tmp, ec);
        return fail(Errc::io_error, "cannot move '" + dst.string() + "' into place: " + ec.message());
    }
    return ok();
}

/// Hex SHA-256 of a file (base's streaming hash; it no longer zeroes its
/// buffer per call, which used to dominate small-file imports).
Result<std::string> hash_file(const fs::path& path, const CancelToken& cancel) {
    auto digest = sha256_file(path, cancel);
    if (!digest) return std::move(digest).error();
    return to_hex(*digest);
}

bool is_disk_full(const Error& e) {
    return e.message.find("disk holding the library is full") != std::string::npos;
}

}  // namespace

Result<ImportReport> Library::import(std::span<const fs::path> paths, const ImportOptions& options,
                                     const CancelToken& cancel) {
    ImportReport report;
    std::vector<Candidate> files;
    {
        std::set<std::pair<dev_t, ino_t>> dirs, seen;
        for (const auto& p : paths)
            collect(p, options, files, dirs, seen, 0, true);
    }
    const std::size_t total = files.size();
    const std::size_t batch = std::max<std::size_t>(1, options.batch_size);
    Impl& impl = *m_impl;
    std::lock_guard lock(impl.mutex);

    std::optional<sql::Transaction> tx;
    std::size_t batch_start = 0;  // index in report.entries of the first entry of the open batch

    auto finish_entry = [&](ImportEntry e) {
        switch (e.status) {
            case ImportEntry::Status::added:
                ++report.added;
                break;
            case ImportEntry::Status::duplicate:
                ++report.duplicates;
                break;
            case ImportEntry::Status::skipped:
                ++report.skipped;
                break;
            case ImportEntry::Status::failed:
                ++report.failed;
                break;
        }
        report.entries.push_back(std::move(e));
        if (options.on_file) options.on_file(report.entries.size(), total, report.entries.back());
    };
    // A failed commit rolls the whole batch back: its entries become failures.
    auto fail_batch = [&](const Error& why) {
        for (std::size_t i = batch_start; i < report.entries.size(); ++i) {
            auto& e = report.entries[i];
            if (e.status == ImportEntry::Status::added || e.status == ImportEntry::Status::duplicate) {
                if (e.status == ImportEntry::Status::added)
                    --report.added;
                else
                    --report.duplicates;
                ++report.failed;
                e.status = ImportEntry::Status::failed;
                e.reason = "not saved: " + why.message;
                e.id = 0;
            }
        }
        report.stopped = why;
    };
    auto commit = [&]() -> bool {
        if (!tx) return true;
        ++impl.writes;
        auto r = tx->commit();
        tx.reset();
        if (!r) {
            fail_batch(r.error());
            return false;
        }
        batch_start = report.entries.size();
        return true;
    };

    std::size_t in_batch = 0;
    for (const auto& c : files) {
        if (cancel.cancelled()) {
            report.cancelled = true;
            break;
        }
        ImportEntry entry;
        entry.path = c.path;
        if (!c.skip_reason.empty()) {
            entry.status = ImportEntry::Status::skipped;
            entry.reason = c.skip_reason;
            finish_entry(std::move(entry));
            continue;
        }
        if (!tx) {
            auto t = sql::Transaction::begin(impl.db);
            if (!t) {
                report.stopped = t.error();
                break;
            }
            tx.emplace(std::move(t).value());
            in_batch = 0;
        }
        // Work for one file; an Error from the database stops the import.
        auto step = [&]() -> Result<void> {
            std::error_code ec;
            const fs::path abs = fs::absolute(c.path, ec).lexically_normal();
            struct stat st {};
            if (::stat(c.path.c_str(), &st) != 0) {
                entry.status = ImportEntry::Status::skipped;
                entry.reason = std::string("cannot read it: ") + std::strerror(errno);
                return ok();
            }
            const std::int64_t mtime_ns = std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
            // Known file, unchanged since its import: no need to hash it again.
            {
                auto fs_st = impl.db.cached(sql::kFindSource);
                if (!fs_st) return std::move(fs_st).error();
                StatementLease s(*fs_st);
                s->bind(1, abs.string());
                auto row = s->step();
                if (!row) return std::move(row).error();
                if (*row && s->int64(0) == st.st_size && s->int64(1) == mtime_ns) {
                    entry.status = ImportEntry::Status::duplicate;
                    entry.id = s->int64(2);
                    entry.reason = "already in the library (imported before from this path)";
                    return ok();
                }
            }
            auto info = imageio::probe(c.path, options.limits);
            if (!info) {
                entry.status = ImportEntry::Status::skipped;
                entry.reason = info.error().message;
                return ok();
            }
            auto digest = hash_file(c.path, cancel);
            if (!digest) {
                entry.status = ImportEntry::Status::skipped;
                entry.reason = digest.error().message;
                return ok();
            }
            const std::string hash = *digest;
            AssetId existing = 0;
            {
                auto fh = impl.db.cached(sql::kFindByHash);
                if (!fh) return std::move(fh).error();
                StatementLease s(*fh);
                s->bind(1, hash);
                auto row = s->step();
                if (!row) return std::move(row).error();
                if (*row) existing = s->int64(0);
            }
            auto remember_source = [&](AssetId id) -> Result<void> {
                auto us = impl.db.cached(sql::kUpsertSource);
                if (!us) return std::move(us).error();
                StatementLease s(*us);
                s->bind(1, abs.string()).bind(2, static_cast<std::int64_t>(st.st_size)).bind(3, mtime_ns).bind(4, id);
                return s->run();
            };
            if (existing != 0) {
                entry.status = ImportEntry::Status::duplicate;
                entry.id = existing;
                entry.reason = "same content as asset " + std::to_string(existing);
                return remember_source(existing);
            }
            FileMetadata meta = read_file_metadata(c.path, info->attributes, options.max_metadata_bytes);
            if (options.read_hidden_metadata && !meta.generation && info->has_alpha && info->format == "png") {
                auto pixels = imageio::load(c.path, options.limits);
                if (pixels) {
                    if (pixels->type() == PixelType::u8 && pixels->channels() == 4)
                        meta.generation = parse_stealth_a1111(*pixels, &meta.warnings);
                } else {
                    meta.warnings.push_back("could not decode the pixels to look for hidden metadata: " +
                                            pixels.error().message);
                }
            }
            entry.warnings = std::move(meta.warnings);
            std::optional<ProvenanceSummary> prov;
            if (options.provenance) {
                auto p = options.provenance->read(c.path);
                if (p)
                    prov = std::move(p).value();
                else
                    entry.warnings.push_back("ignored the C2PA manifest: " + p.error().message);
            }
            std::string stored = abs.string();
            if (options.storage == Storage::blob) {
                const fs::path blob = impl.blob_path(hash, lower_ext(c.path));
                auto r = copy_to_blob(c.path, blob);
                if (!r) {
                    if (is_disk_full(r.error())) return std::move(r).error();
                    entry.status = ImportEntry::Status::failed;
                    entry.reason = r.error().message;
                    return ok();
                }
                stored = blob.lexically_relative(impl.dir).string();
            }
            SourceType source = options.source;
            if (source == SourceType::imported && meta.generation) source = SourceType::generated;
            const std::string title = meta.title.empty() ? c.path.stem().string() : meta.title;
            const std::string licence = !options.licence.empty() ? options.licence : meta.licence;
            AssetId id = 0;
            {
                auto ins = impl.db.cached(sql::kInsertAsset);
                if (!ins) return std::move(ins).error();
                StatementLease s(*ins);
                s->bind(1, hash).bind(2, storage_name(options.storage)).bind(3, stored).bind(4, abs.string());
                s->bind(5, title).bind(6, meta.description).bind(7, info->width).bind(8, info->height);
                s->bind(9, info->format).bind(10, static_cast<std::int64_t>(info->file_bytes));
                s->bind(11, source_type_name(source)).bind(12, static_cast<std::int64_t>(st.st_mtim.tv_sec));
                s->bind(13, now_seconds()).bind(14, licence);
                s->bind_null(15).bind(16, "").bind(17, "").bind(18, meta.generation ? meta.generation->model : "");
                ATELIER_TRY(s->run());
                id = impl.db.last_insert_rowid();
            }
            if (meta.generation) ATELIER_TRY(impl.insert_generation(id, *meta.generation));
            ATELIER_TRY(impl.insert_keywords(id, meta.keywords));
            if (prov) {
                auto ps = impl.db.cached(sql::kUpsertProvenance);
                if (!ps) return std::move(ps).error();
                StatementLease s(*ps);
                s->bind(1, id).bind(2, prov->claim_generator).bind(3, prov->manifest_label).bind(4, prov->validation);
                s->bind(5, prov->manifest_json);
                ATELIER_TRY(s->run());
            }
            ATELIER_TRY(impl.refresh_fts(id, false));
            ATELIER_TRY(remember_source(id));
            entry.status = ImportEntry::Status::added;
            entry.id = id;
            return ok();
        };
        auto r = step();
        if (!r) {
            entry.status = ImportEntry::Status::failed;
            entry.reason = r.error().message;
            finish_entry(std::move(entry));
            tx.reset();  // roll back the batch
            fail_batch(r.error());
            break;
        }
        finish_entry(std::move(entry));
        if (++in_batch >= batch && !commit()) break;
    }
    if (!report.stopped) commit();
    if (report.stopped) spdlog::warn("import stopped: {}", report.stopped->message);
    return report;
}

Result<AssetId> Library::add(const NewAsset& asset) {
    auto info = imageio::probe(asset.file);
    if (!info) return std::move(info).error();
    auto digest = sha256_file(asset.file);
    if (!digest) return std::move(digest).error();
    const std::string hash = to_hex(*digest);
    Impl& impl = *m_impl;
    std::lock_guard lock(impl.mutex);
    std::error_code ec;
    const fs::path abs = fs::absolute(asset.file, ec).lexically_normal();
    std::string stored = abs.string();
    if (asset.storage == Storage::blob) {
        const fs::path blob = impl.blob_path(hash, lower_ext(asset.file));
        ATELIER_TRY(copy_to_blob(asset.file, blob));
        stored = blob.lexically_relative(impl.dir).string();
    }
    auto tx = sql::Transaction::begin(impl.db);
    if (!tx) return std::move(tx).error();
    AssetId id = 0;
    {
        auto fh = impl.db.cached(sql::kFindByHash);
        if (!fh) return std::move(fh).error();
        StatementLease s(*fh);
        s->bind(1, hash);
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (*row) id = s->int64(0);
    }
    const bool existed = id != 0;
    if (id == 0) {
        auto ins = impl.db.cached(sql::kInsertAsset);
        if (!ins) return std::move(ins).error();
        StatementLease s(*ins);
        const std::int64_t now = now_seconds();
        s->bind(1, hash).bind(2, storage_name(asset.storage)).bind(3, stored).bind(4, abs.string());
        s->bind(5, asset.title.empty() ? asset.file.stem().string() : asset.title).bind(6, asset.description);
        s->bind(7, info->width).bind(8, info->height).bind(9, info->format);
        s->bind(10, static_cast<std::int64_t>(info->file_bytes)).bind(11, source_type_name(asset.source));
        s->bind(12, now).bind(13, now).bind(14, asset.licence).bind_null(15).bind(16, "").bind(17, "");
        s->bind(18, asset.generation ? asset.generation->model : "");
        ATELIER_TRY(s->run());
        id = impl.db.last_insert_rowid();
    }
    if (asset.generation) ATELIER_TRY(impl.insert_generation(id, *asset.generation));
    ATELIER_TRY(impl.insert_tags(id, asset.tags));
    ATELIER_TRY(impl.insert_keywords(id, asset.keywords));
    ATELIER_TRY(impl.insert_derivations(id, asset.parents));
    ATELIER_TRY(impl.refresh_fts(id, existed));
    ++impl.writes;
    ATELIER_TRY(tx->commit());
    return id;
}

}  // namespace atelier::catalog
