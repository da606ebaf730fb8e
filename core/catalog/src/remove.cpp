// SPDX-License-Identifier: MIT
// Library::remove: deleting assets, their rows in every table and, once
// nothing refers to them, the library's copies of their files.
//
// The statements are kept here (constant text, values bound) rather than in
// sql_p.h so that removing stays one self-contained file.

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "library_p.h"

namespace atelier::catalog {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSelectForRemove = "SELECT hash, storage, path FROM assets WHERE id = ?1";
/// Derivation edges from a parent to its children (the child's own edges go
/// with it through ON DELETE CASCADE; edges to a parent are RESTRICTed).
constexpr std::string_view kChildrenOf = "SELECT child_id FROM derivations WHERE parent_id = ?1";
constexpr std::string_view kDeleteParentEdges = "DELETE FROM derivations WHERE parent_id = ?1";
/// Tags, keywords, generation, collection items, import sources, hashes,
/// embeddings and provenance cascade; triggers keep facet totals and the
/// full-text index in step.
constexpr std::string_view kDeleteAsset = "DELETE FROM assets WHERE id = ?1";
constexpr std::string_view kBlobInUse = "SELECT 1 FROM assets WHERE storage = 'blob' AND path = ?1 LIMIT 1";
constexpr std::string_view kHashInUse = "SELECT 1 FROM assets WHERE hash = ?1 LIMIT 1";

struct Doomed {
    AssetId id = 0;
    std::string hash;
    bool blob = false;
    std::string stored_path;
};

Result<bool> any_row(sql::Database& db, std::string_view q, std::string_view value) {
    auto st = db.cached(q);
    if (!st) return std::move(st).error();
    sql::StatementLease s(*st);
    s->bind(1, value);
    return s->step();
}

// Deletes `file` if it exists; counts it and its size in `report`.
void delete_file(const fs::path& file, RemoveReport& report) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec) return;  // already gone
    if (!fs::remove(file, ec) || ec) {
        report.warnings.push_back("could not delete '" + file.string() + "' (" + ec.message() +
                                  "); delete it by hand to free the space");
        return;
    }
    ++report.files_deleted;
    report.bytes_freed += size;
}

}  // namespace

Result<RemoveReport> Library::remove(std::span<const AssetId> ids) {
    Impl& impl = *m_impl;
    if (impl.options.read_only) return fail(Errc::permission_denied, "the library is open read-only; nothing removed");
    RemoveReport report;
    std::vector<Doomed> doomed;
    std::lock_guard lock(impl.mutex);
    {
        auto tx = sql::Transaction::begin(impl.db);
        if (!tx) return std::move(tx).error();
        std::unordered_set<AssetId> set;
        for (AssetId id : ids) {
            if (!set.insert(id).second) continue;
            auto st = impl.db.cached(kSelectForRemove);
            if (!st) return std::move(st).error();
            sql::StatementLease s(*st);
            s->bind(1, id);
            auto row = s->step();
            if (!row) return std::move(row).error();
            if (!*row)
                return fail(Errc::not_found,
                            "asset " + std::to_string(id) + " is not in the library; nothing was removed");
            doomed.push_back(Doomed{id, s->text(0), s->text_view(1) == "blob", s->text(2)});
        }
        for (const auto& d : doomed) {
            auto st = impl.db.cached(kChildrenOf);
            if (!st) return std::move(st).error();
            {
                sql::StatementLease s(*st);
                s->bind(1, d.id);
                while (true) {
                    auto row = s->step();
                    if (!row) return std::move(row).error();
                    if (!*row) break;
                    if (!set.contains(s->int64(0))) ++report.detached_children;
                }
            }
            auto del = impl.db.cached(kDeleteParentEdges);
            if (!del) return std::move(del).error();
            sql::StatementLease s(*del);
            s->bind(1, d.id);
            ATELIER_TRY(s->run());
        }
        for (const auto& d : doomed) {
            auto st = impl.db.cached(kDeleteAsset);
            if (!st) return std::move(st).error();
            sql::StatementLease s(*st);
            s->bind(1, d.id);
            if (auto r = s->run(); !r) return r.error().with_context("removing asset " + std::to_string(d.id));
            report.removed.push_back(d.id);
        }
        ++impl.writes;
        ATELIER_TRY(tx->commit());
    }
    // The rows are gone; now the files nothing refers to any more. A failure
    // here leaves a stray file (reported), never a row without its file.
    for (const auto& d : doomed) {
        if (d.blob) {
            auto used = any_row(impl.db, kBlobInUse, d.stored_path);
            if (used && !*used) delete_file(impl.resolve("blob", d.stored_path), report);
        }
        auto used = any_row(impl.db, kHashInUse, d.hash);
        if (used && !*used) {
            const fs::path thumbs = impl.dir / "thumbnails";
            std::error_code ec;
            // Every thumbnail version of this content (v1/ab/<hash>.png, ...).
            for (const auto& v : fs::directory_iterator(thumbs, ec)) {
                const fs::path t = v.path() / d.hash.substr(0, 2) / (d.hash + ".png");
                delete_file(t, report);
            }
        }
    }
    return report;
}

}  // namespace atelier::catalog
