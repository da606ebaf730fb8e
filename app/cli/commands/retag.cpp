// SPDX-License-Identifier: MIT
// Auto-tagging of the asset library from the command line:
//   atelier retag [--all] [--thumbnails] [--no-moderation] [--check]
// and what `atelier import` (tagging pass after the metadata pass) and
// `atelier similar FILE --in LIBRARY` (answered from the stored hashes /
// embeddings) share with it. The catalog only knows the AutoTagger hook;
// atelier::autotag wires the core/ops taggers into it.

#if defined(ATELIER_HAVE_AUTOTAG) && defined(ATELIER_HAVE_CATALOG) && ATELIER_HAVE_OPS

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "atelier/autotag/autotag.h"
#include "atelier/catalog/library.h"
#include "atelier/imageio/imageio.h"
#include "atelier/ops/tag_hash.h"
#include "atelier/ops/tagger.h"
#include "cli.h"

namespace atelier::cli {

namespace fs = std::filesystem;
using namespace atelier::catalog;

std::vector<fs::path> model_search_dirs(const Context& ctx);

/// The library's auto-tagger for this invocation (a note on stderr when the
/// moderation model is missing). `workers`: threads that will call it (0 =
/// one per core, as a tagging pass runs); one model instance each on the CPU.
Result<std::shared_ptr<AutoTagger>> library_tagger(Context& ctx, bool moderation, unsigned workers = 0) {
    autotag::Options o;
    o.moderation = moderation;
    o.workers = workers;
    o.model_dirs = model_search_dirs(ctx);
    o.device = ctx.config.get_string("ml.device");
    if (const auto threads = ctx.config.get_int("ml.threads")) o.threads = static_cast<int>(*threads);
    auto limits = imageio::ImageLimits::from_config(ctx.config);
    if (!limits) return limits.error();
    o.limits = *limits;
    std::string note;
    auto t = autotag::make_auto_tagger(o, &note);
    if (t && !note.empty() && !ctx.json && !ctx.quiet) std::fprintf(stderr, "atelier: %s\n", note.c_str());
    return t;
}

/// Runs a tagging pass with a progress bar.
Result<TagPassReport> run_tag_pass(Context& ctx, Library& lib, TagPassOptions o, bool moderation) {
    auto tagger = library_tagger(ctx, moderation);
    if (!tagger) return tagger.error();
    o.on_progress = [&ctx](std::size_t done, std::size_t total) {
        if (total > 0) progress(ctx, "tagging", double(done) / double(total));
    };
    return lib.tag_assets(**tagger, o, ctx.cancel.token());
}

nlohmann::json tag_pass_json(const TagPassReport& r) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& [id, why] : r.problems)
        problems.push_back({{"id", id}, {"problem", why}});
    return {{"tagged", r.tagged},
            {"failed", r.failed},
            {"thumbnails", r.thumbnails},
            {"cancelled", r.cancelled},
            {"problems", problems}};
}

bool is_library_dir(const std::string& dir) {
    std::error_code ec;
    return !dir.empty() && fs::is_regular_file(fs::path(dir) / "library.db", ec);
}

/// `atelier similar FILE --in LIBRARY`: near-duplicates from the stored pHashes
/// (through the ops hash index) or the nearest stored embeddings.
int run_similar_library(Context& ctx, const std::string& file, const std::string& dir, int radius,
                        const std::string& by, int top) {
    OpenOptions oo;
    oo.dir = dir;
    oo.create = false;
    auto lib = Library::open(oo);
    if (!lib) return report(ctx, lib.error());
    auto limits = imageio::ImageLimits::from_config(ctx.config);
    if (!limits) return report(ctx, limits.error());
    struct Hit {
        AssetId id;
        double distance;
        bool mirrored;
    };
    std::vector<Hit> hits;
    nlohmann::json head{{"file", file}, {"library", dir}, {"by", by}};
    std::size_t searched = 0;
    if (by == "embedding") {
        auto tagger = library_tagger(ctx, true, 1);  // one query image: one model instance
        if (!tagger) return report(ctx, tagger.error());
        auto q = (*tagger)->tag(file, ctx.cancel.token());
        if (!q) return report(ctx, q.error());
        if (q->embedding.empty())
            return report(ctx, fail(Errc::not_found,
                                    "similar --by embedding needs the nsfwjs-mobilenetv2 model; "
                                    "install it with ./installer/setup.sh models"));
        auto near = (*lib)->nearest_by_embedding(q->embedding_model, q->embedding, std::max(1, top));
        if (!near) return report(ctx, near.error());
        if (near->empty())
            return report(ctx, fail(Errc::not_found, "the library has no embeddings from " + q->embedding_model +
                                                         " yet; run `atelier retag` first"));
        for (const auto& n : *near)
            hits.push_back({n.id, 1.0 - n.distance, false});  // shown as cosine similarity
        head["model"] = q->embedding_model;
    } else {
        auto img = imageio::load(file, *limits);
        if (!img) return report(ctx, img.error());
        auto preview = ops::make_preview(*img);
        if (!preview) return report(ctx, preview.error());
        auto query = ops::hashes_from_preview(*preview);
        if (!query) return report(ctx, query.error());
        const std::string source = ops::make_hash_tagger()->info().qualified();
        auto stored = (*lib)->perceptual_hashes(source);
        if (!stored) return report(ctx, stored.error());
        if (stored->empty())
            return report(ctx, fail(Errc::not_found, "the library has no perceptual hashes from " + source +
                                                         " yet; run `atelier retag` first"));
        ops::HashIndex index;
        for (std::size_t i = 0; i < stored->size(); ++i)
            index.add((*stored)[i].hashes.phash, static_cast<std::uint32_t>(i));
        searched = index.size();
        for (const auto& m : index.query(query->phash, radius))
            hits.push_back({(*stored)[m.id].id, double(m.distance), false});
        for (const auto& m : index.query(query->phash_mirrored, radius)) {
            const AssetId id = (*stored)[m.id].id;
            auto it = std::find_if(hits.begin(), hits.end(), [&](const Hit& h) { return h.id == id; });
            if (it == hits.end())
                hits.push_back({id, double(m.distance), true});
            else if (m.distance < it->distance)
                *it = {id, double(m.distance), true};
        }
        std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
            return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
        });
        head["phash"] = ops::hash_hex(query->phash);
        head["radius"] = radius;
        head["searched"] = searched;
    }
    nlohmann::json matches = nlohmann::json::array();
    for (const auto& h : hits) {
        auto a = (*lib)->get(h.id);
        if (!a) continue;
        nlohmann::json m{{"id", h.id}, {"title", a->title}, {"path", a->path.string()}};
        if (by == "embedding") {
            m["similarity"] = h.distance;
        } else {
            m["distance"] = static_cast<int>(h.distance);
            m["mirrored"] = h.mirrored;
        }
        matches.push_back(std::move(m));
    }
    if (ctx.json) {
        head["matches"] = matches;
        print_json(head);
        return kOk;
    }
    if (by == "embedding")
        std::printf("%s  most similar in %s by MobileNetV2 embedding (cosine):\n", file.c_str(), dir.c_str());
    else
        std::printf("%s  pHash %s: %zu match%s within %d bits among %zu assets of %s\n", file.c_str(),
                    head["phash"].get<std::string>().c_str(), matches.size(), matches.size() == 1 ? "" : "es", radius,
                    searched, dir.c_str());
    for (const auto& m : matches) {
        if (by == "embedding")
            std::printf("  %.3f  %8lld  %s\n", m["similarity"].get<double>(),
                        static_cast<long long>(m["id"].get<AssetId>()), m["path"].get<std::string>().c_str());
        else
            std::printf("  %2d  %8lld  %s%s\n", m["distance"].get<int>(),
                        static_cast<long long>(m["id"].get<AssetId>()), m["path"].get<std::string>().c_str(),
                        m["mirrored"].get<bool>() ? "  (mirrored)" : "");
    }
    return kOk;
}

namespace {

struct RetagArgs {
    std::string library;
    bool all = false, thumbnails = false, no_moderation = false, check = false;
};

int run_retag(Context& ctx, const RetagArgs& a) {
    OpenOptions oo;
    oo.dir = a.library.empty() ? Library::default_dir(ctx.config) : fs::path(a.library);
    oo.create = false;
    auto lib = Library::open(oo);
    if (!lib) return report(ctx, lib.error());
    if (a.check) {
        auto tagger = library_tagger(ctx, !a.no_moderation, 1);  // only its stamps are used
        if (!tagger) return report(ctx, tagger.error());
        auto n = (*lib)->count_needing_tags(**tagger);
        if (!n) return report(ctx, n.error());
        nlohmann::json stamps = nlohmann::json::array();
        for (const auto& s : (*tagger)->taggers())
            stamps.push_back(s.qualified());
        if (ctx.json)
            print_json({{"needing_tags", *n}, {"taggers", stamps}});
        else
            std::printf("%lld asset%s to tag with %s\n", static_cast<long long>(*n), *n == 1 ? "" : "s",
                        stamps.dump().c_str());
        return kOk;
    }
    TagPassOptions o;
    o.all = a.all;
    o.thumbnails = a.thumbnails;
    auto r = run_tag_pass(ctx, **lib, o, !a.no_moderation);
    if (!r) return report(ctx, r.error());
    if (ctx.json) {
        print_json(tag_pass_json(*r));
    } else {
        for (const auto& [id, why] : r->problems)
            std::printf("problem   asset %lld: %s\n", static_cast<long long>(id), why.c_str());
        std::printf("%zu tagged, %zu failed, %zu thumbnails made%s\n", r->tagged, r->failed, r->thumbnails,
                    r->cancelled ? ", cancelled" : "");
    }
    return r->cancelled ? kFailed : kOk;
}

}  // namespace

ATELIER_CLI_COMMAND("retag", 44, [](CLI::App& app, Context& ctx) {
    auto a = std::make_shared<RetagArgs>();
    auto* cmd = app.add_subcommand(
        "retag",
        "run the auto-taggers over the library's assets that are untagged or were tagged by older tagger versions "
        "or models");
    cmd->add_option("--library", a->library, "library folder (default $XDG_DATA_HOME/atelier)");
    cmd->add_flag("--all", a->all, "tag every asset again");
    cmd->add_flag("--thumbnails", a->thumbnails, "also make the missing thumbnails of the current version");
    cmd->add_flag("--no-moderation", a->no_moderation, "without the nsfwjs moderation/embedding model");
    cmd->add_flag("--check", a->check, "only count the assets that need tagging");
    cmd->callback([&ctx, a] { ctx.exit_code = run_retag(ctx, *a); });
});

}  // namespace atelier::cli

#endif
