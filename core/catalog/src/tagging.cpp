// SPDX-License-Identifier: MIT
// The auto-tagging pass: finds the assets not tagged by the current set of
// taggers (tag_state.stamps differs), decodes and tags them on worker threads
// through the AutoTagger hook, and writes each batch in one transaction.
#include <algorithm>
#include <atomic>
#include <thread>

#include "atelier/base/paths.h"
#include "atelier/catalog/library.h"
#include "library_p.h"
#include "sql_p.h"

namespace atelier::catalog {

namespace fs = std::filesystem;
using sql::StatementLease;

std::string stamps_key(const std::vector<TaggerStamp>& stamps) {
    std::vector<std::string> parts;
    for (const auto& s : stamps)
        parts.push_back(s.qualified() + (s.model_hash.empty() ? "" : "#" + s.model_hash.substr(0, 16)));
    std::sort(parts.begin(), parts.end());
    std::string key;
    for (const auto& p : parts)
        key += (key.empty() ? "" : ",") + p;
    return key;
}

namespace {

struct Work {
    AssetId id = 0;
    fs::path file;
    std::string hash;
    Result<AutoTagResult> result = fail(Errc::internal, "not tagged");
    bool thumbnail_made = false;
    std::optional<std::uint64_t> thumbnail_dhash;
    std::string thumbnail_problem;
};

Result<std::int64_t> scalar_bound(sql::Database& db, std::string_view q, std::string_view text) {
    auto st = db.cached(q);
    if (!st) return std::move(st).error();
    StatementLease s(*st);
    s->bind(1, text);
    auto row = s->step();
    if (!row) return std::move(row).error();
    return *row ? s->int64(0) : 0;
}

/// The sources ("id@version") in a stored stamps key.
std::vector<std::string> sources_of(std::string_view key) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= key.size() && !key.empty()) {
        const auto end = std::min(key.find(',', start), key.size());
        std::string part(key.substr(start, end - start));
        if (auto h = part.find('#'); h != std::string::npos) part.resize(h);
        if (!part.empty()) out.push_back(std::move(part));
        start = end + 1;
    }
    return out;
}

Result<void> write_result(Library::Impl& impl, const Work& w, const std::string& key,
                          const std::vector<TaggerStamp>& stamps) {
    auto& db = impl.db;
    if (w.thumbnail_dhash) {
        auto st = db.cached(sql::kInsertThumbnailHash);
        if (!st) return std::move(st).error();
        StatementLease s(*st);
        s->bind(1, w.id).bind(2, static_cast<std::int64_t>(*w.thumbnail_dhash)).bind(3, thumbnail_hash_source());
        ATELIER_TRY(s->run());
    }
    std::string problems;
    if (!w.result) {
        problems = w.result.error().message;
    } else {
        const AutoTagResult& r = *w.result;
        // Drop the tags of the taggers that tagged it before (older versions
        // included) and of the current ones; other sources ("user") stay.
        std::vector<std::string> sources;
        {
            auto st = db.cached(sql::kTagStateOf);
            if (!st) return std::move(st).error();
            StatementLease s(*st);
            s->bind(1, w.id);
            auto row = s->step();
            if (!row) return std::move(row).error();
            if (*row) sources = sources_of(s->text_view(0));
        }
        for (const auto& s : stamps)
            sources.push_back(s.qualified());
        std::sort(sources.begin(), sources.end());
        sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
        auto del = db.cached(sql::kDeleteTagsFromSource);
        if (!del) return std::move(del).error();
        for (const auto& src : sources) {
            StatementLease s(*del);
            s->bind(1, w.id).bind(2, src);
            ATELIER_TRY(s->run());
        }
        ATELIER_TRY(impl.insert_tags(w.id, r.tags));
        if (r.hashes) {
            auto st = db.cached(sql::kUpsertTaggerHashes);
            if (!st) return std::move(st).error();
            StatementLease s(*st);
            s->bind(1, w.id).bind(2, static_cast<std::int64_t>(r.hashes->phash));
            s->bind(3, static_cast<std::int64_t>(r.hashes->phash_mirrored));
            s->bind(4, static_cast<std::int64_t>(r.hashes->dhash));
            s->bind(5, r.hashes_source.empty() ? std::string("tagger") : r.hashes_source);
            ATELIER_TRY(s->run());
        }
        if (!r.embedding.empty() && !r.embedding_model.empty()) {
            auto st = db.cached(sql::kUpsertEmbedding);
            if (!st) return std::move(st).error();
            StatementLease s(*st);
            s->bind(1, w.id).bind(2, r.embedding_model).bind(3, static_cast<std::int64_t>(r.embedding.size()));
            s->bind_blob(
                4, {reinterpret_cast<const std::uint8_t*>(r.embedding.data()), r.embedding.size() * sizeof(float)});
            ATELIER_TRY(s->run());
        }
        for (const auto& p : r.problems)
            problems += (problems.empty() ? "" : "\n") + p;
        ATELIER_TRY(impl.refresh_fts(w.id, false));  // insert_tags' UPDATE logged the change
    }
    auto st = db.cached(sql::kUpsertTagState);
    if (!st) return std::move(st).error();
    StatementLease s(*st);
    s->bind(1, w.id).bind(2, key).bind(3, now_seconds()).bind(4, problems);
    return s->run();
}

}  // namespace

Result<std::int64_t> Library::count_needing_tags(const AutoTagger& tagger) {
    const std::string key = stamps_key(tagger.taggers());
    std::lock_guard lock(m_impl->mutex);
    std::int64_t total = 0;
    {
        auto st = m_impl->db.cached(sql::kCountAssets);
        if (!st) return std::move(st).error();
        StatementLease s(*st);
        auto row = s->step();
        if (!row) return std::move(row).error();
        total = *row ? s->int64(0) : 0;
    }
    auto current = scalar_bound(m_impl->db, sql::kCountTagCurrent, key);
    if (!current) return std::move(current).error();
    return total - *current;
}

Result<TagPassReport> Library::tag_assets(AutoTagger& tagger, const TagPassOptions& options,
                                          const CancelToken& cancel) {
    const auto stamps = tagger.taggers();
    const std::string key = stamps_key(stamps);
    const std::size_t batch = std::max<std::size_t>(1, options.batch_size);
    const unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    Impl& impl = *m_impl;
    TagPassReport report;

    std::size_t total = 0;
    if (!options.only.empty()) {
        total = options.only.size();
    } else {
        auto n = options.all ? count() : count_needing_tags(tagger);
        if (!n) return std::move(n).error();
        total = static_cast<std::size_t>(std::max<std::int64_t>(0, *n));
    }
    std::size_t done = 0;
    std::size_t only_pos = 0;
    AssetId after = 0;
    while (!cancel.cancelled()) {
        // The next batch: ids, files (under the lock, briefly).
        std::vector<Work> work;
        {
            std::lock_guard lock(impl.mutex);
            std::vector<AssetId> ids;
            if (!options.only.empty()) {
                while (ids.size() < batch && only_pos < options.only.size()) {
                    const AssetId id = options.only[only_pos++];
                    if (!options.all) {
                        auto st = impl.db.cached(sql::kTagStateOf);
                        if (!st) return std::move(st).error();
                        StatementLease s(*st);
                        s->bind(1, id);
                        auto row = s->step();
                        if (!row) return std::move(row).error();
                        if (*row && s->text_view(0) == key) {
                            ++done;
                            continue;
                        }
                    }
                    ids.push_back(id);
                }
            } else {
                auto st = impl.db.cached(options.all ? sql::kAssetsAfter : sql::kStaleAssets);
                if (!st) return std::move(st).error();
                StatementLease s(*st);
                if (options.all)
                    s->bind(1, after).bind(2, static_cast<std::int64_t>(batch));
                else
                    s->bind(1, after).bind(2, key).bind(3, static_cast<std::int64_t>(batch));
                while (true) {
                    auto row = s->step();
                    if (!row) return std::move(row).error();
                    if (!*row) break;
                    ids.push_back(s->int64(0));
                }
            }
            if (ids.empty()) break;
            after = ids.back();
            auto st = impl.db.cached(sql::kAssetFileAndHash);
            if (!st) return std::move(st).error();
            for (AssetId id : ids) {
                StatementLease s(*st);
                s->bind(1, id);
                auto row = s->step();
                if (!row) return std::move(row).error();
                if (!*row) continue;  // removed meanwhile
                Work w;
                w.id = id;
                w.file = impl.resolve(s->text_view(0), s->text_view(1));
                w.hash = s->text(2);
                work.push_back(std::move(w));
            }
        }
        // Tag (and thumbnail) on worker threads, without the lock.
        std::atomic<std::size_t> next{0};
        auto worker = [&] {
            for (std::size_t i; (i = next.fetch_add(1)) < work.size() && !cancel.cancelled();) {
                Work& w = work[i];
                w.result = tagger.tag(w.file, cancel);
                if (options.thumbnails) {
                    const fs::path out = thumbnail_path(w.hash);
                    std::error_code ec;
                    if (!fs::exists(out, ec)) {
                        auto made = paths::ensure_dir(out.parent_path());
                        auto d = made ? make_thumbnail_file(w.file, out, imageio::ImageLimits{})
                                      : Result<std::uint64_t>(made.error());
                        if (d) {
                            w.thumbnail_made = true;
                            w.thumbnail_dhash = *d;
                        } else {
                            w.thumbnail_problem = "thumbnail: " + d.error().message;
                        }
                    }
                }
            }
        };
        {
            const unsigned n = std::min<unsigned>(threads, static_cast<unsigned>(work.size()));
            std::vector<std::thread> pool;
            for (unsigned t = 1; t < n; ++t)
                pool.emplace_back(worker);
            worker();
            for (auto& t : pool)
                t.join();
        }
        if (cancel.cancelled()) {
            report.cancelled = true;
            break;
        }
        {
            std::lock_guard lock(impl.mutex);
            auto tx = sql::Transaction::begin(impl.db);
            if (!tx) return std::move(tx).error();
            for (const auto& w : work) {
                auto e = impl.exists(w.id);
                if (!e) return std::move(e).error();
                if (!*e) continue;
                ATELIER_TRY(write_result(impl, w, key, stamps));
            }
            ++impl.writes;
            ATELIER_TRY(tx->commit());
        }
        for (const auto& w : work) {
            if (w.result) {
                ++report.tagged;
                for (const auto& p : w.result->problems)
                    report.problems.emplace_back(w.id, p);
            } else {
                ++report.failed;
                report.problems.emplace_back(w.id, w.result.error().message);
            }
            if (w.thumbnail_made) ++report.thumbnails;
            if (!w.thumbnail_problem.empty()) report.problems.emplace_back(w.id, w.thumbnail_problem);
        }
        done += work.size();
        if (options.on_progress) options.on_progress(std::min(done, total), total);
    }
    if (cancel.cancelled()) report.cancelled = true;
    return report;
}

Result<JobHandle> Library::queue_tagging(JobQueue& queue, std::shared_ptr<AutoTagger> tagger, TagPassOptions options) {
    if (!tagger) return fail(Errc::invalid_argument, "no tagger to run");
    OpenOptions o = m_impl->options;
    o.create = false;
    JobSpec spec;
    spec.name = "auto-tagging";
    spec.priority = -20;  // after thumbnails: the grid needs those first
    spec.fn = [o, tagger = std::move(tagger), options = std::move(options)](JobContext& ctx) mutable -> Result<void> {
        auto lib = Library::open(o);  // own connection: never blocks the caller's
        if (!lib) return std::move(lib).error();
        auto user_progress = options.on_progress;
        options.on_progress = [&ctx, user_progress](std::size_t done, std::size_t total) {
            if (total > 0) ctx.progress(double(done) / double(total));
            if (user_progress) user_progress(done, total);
        };
        auto r = (*lib)->tag_assets(*tagger, options, ctx.cancel_token());
        if (!r) return std::move(r).error();
        if (r->cancelled) return fail(Errc::cancelled, "auto-tagging cancelled");
        return ok();
    };
    return queue.submit(std::move(spec));
}

}  // namespace atelier::catalog
