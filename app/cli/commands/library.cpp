// SPDX-License-Identifier: MIT
// The asset library from the command line:
//   atelier import PATH... [--reference] [--licence L] [--thumbnails] [--no-tag]
//   atelier search [QUERY...] [--limit N] [--after CURSOR] [--facets]
//   atelier show ID
//   atelier export ID... DIR [--no-sign]   (exports carry signed Content Credentials)
// The library lives in $XDG_DATA_HOME/atelier (config key library.path) unless
// --library DIR says otherwise.

#ifdef ATELIER_HAVE_CATALOG

#include <cstdio>
#include <ctime>

#include "atelier/base/job_queue.h"
#include "atelier/catalog/library.h"
#include "cli.h"
#include "export_sign.h"

namespace atelier::cli {

#ifdef ATELIER_HAVE_AUTOTAG
// retag.cpp: the tagging pass that follows an import's metadata pass.
Result<catalog::TagPassReport> run_tag_pass(Context& ctx, catalog::Library& lib, catalog::TagPassOptions o,
                                            bool moderation);
nlohmann::json tag_pass_json(const catalog::TagPassReport& r);
#endif

namespace {

namespace fs = std::filesystem;
using namespace atelier::catalog;

Result<std::unique_ptr<Library>> open_library(Context& ctx, const std::string& dir, bool create) {
    OpenOptions o;
    o.dir = dir.empty() ? Library::default_dir(ctx.config) : fs::path(dir);
    o.create = create;
    return Library::open(o);
}

std::string date_text(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

// ---- import -------------------------------------------------------------------

struct ImportArgs {
    std::vector<std::string> paths;
    std::string library, licence, source = "imported";
    bool reference = false, no_recursive = false, no_follow = false, thumbnails = false, hidden = false;
    bool no_tag = false, no_moderation = false;
    std::size_t batch_size = 256;
};

int run_import(Context& ctx, const ImportArgs& a) {
    auto lib = open_library(ctx, a.library, true);
    if (!lib) return report(ctx, lib.error());
    ImportOptions o;
    o.storage = a.reference ? Storage::reference : Storage::blob;
    o.recursive = !a.no_recursive;
    o.follow_symlinks = !a.no_follow;
    o.licence = a.licence;
    o.batch_size = a.batch_size;
    o.read_hidden_metadata = a.hidden;
    auto st = parse_source_type(a.source);
    if (!st)
        return report(ctx, fail(Errc::invalid_argument, "--source is generated, imported, purchased or derived"),
                      kUsage);
    o.source = *st;
    auto limits = imageio::ImageLimits::from_config(ctx.config);
    if (!limits) return report(ctx, limits.error());
    o.limits = *limits;
    o.on_file = [&ctx](std::size_t done, std::size_t total, const ImportEntry&) {
        if (total > 0 && (done % 64 == 0 || done == total)) progress(ctx, "importing", double(done) / double(total));
    };
    std::vector<fs::path> paths(a.paths.begin(), a.paths.end());
    auto rep = (*lib)->import(paths, o, ctx.cancel.token());
    if (!rep) return report(ctx, rep.error());

    if (a.thumbnails) {
        std::vector<AssetId> ids;
        for (const auto& e : rep->entries)
            if (e.status == ImportEntry::Status::added) ids.push_back(e.id);
        if (!ids.empty()) {
            JobQueue queue;
            auto job = (*lib)->queue_thumbnails(queue, ids);
            if (!job) return report(ctx, job.error());
            if (auto r = job->wait(); !r) std::fprintf(stderr, "atelier: warning: %s\n", r.error().message.c_str());
        }
    }

    // Tagging runs after the metadata pass has committed: the new assets are
    // searchable at once, and a cancelled or killed tagging pass is simply
    // continued by `atelier retag` (it tags what is not tagged yet).
    std::optional<nlohmann::json> tagging;
#ifdef ATELIER_HAVE_AUTOTAG
    auto tag_on_import = ctx.config.get_bool("library.tag_on_import");
    if (!tag_on_import) return report(ctx, tag_on_import.error());
    if (!a.no_tag && *tag_on_import && !rep->cancelled && !rep->stopped) {
        TagPassOptions to;
        for (const auto& e : rep->entries)
            if (e.status == ImportEntry::Status::added) to.only.push_back(e.id);
        if (!to.only.empty()) {
            auto tr = run_tag_pass(ctx, **lib, to, !a.no_moderation);
            if (!tr) return report(ctx, tr.error().with_context("tagging the imported assets"));
            tagging = tag_pass_json(*tr);
            if (!ctx.json && (tr->failed > 0 || tr->cancelled))
                std::printf("tagging: %zu tagged, %zu failed%s (run `atelier retag` to continue)\n", tr->tagged,
                            tr->failed, tr->cancelled ? ", cancelled" : "");
        }
    }
#endif

    if (ctx.json) {
        nlohmann::json entries = nlohmann::json::array();
        for (const auto& e : rep->entries) {
            nlohmann::json j = {{"path", e.path.string()}, {"status", std::string(import_status_name(e.status))}};
            if (e.id) j["id"] = e.id;
            if (!e.reason.empty()) j["reason"] = e.reason;
            if (!e.warnings.empty()) j["warnings"] = e.warnings;
            entries.push_back(std::move(j));
        }
        nlohmann::json out = {{"library", (*lib)->dir().string()},
                              {"added", rep->added},
                              {"duplicates", rep->duplicates},
                              {"skipped", rep->skipped},
                              {"failed", rep->failed},
                              {"cancelled", rep->cancelled},
                              {"entries", entries}};
        if (rep->stopped)
            out["error"] = {{"code", std::string(errc_name(rep->stopped->code))}, {"message", rep->stopped->message}};
        if (tagging) out["tagging"] = *tagging;
        print_json(out);
    } else {
        for (const auto& e : rep->entries) {
            if (e.status == ImportEntry::Status::skipped || e.status == ImportEntry::Status::failed)
                std::printf("%-9s %s: %s\n", std::string(import_status_name(e.status)).c_str(), e.path.c_str(),
                            e.reason.c_str());
            for (const auto& w : e.warnings)
                std::printf("warning   %s: %s\n", e.path.c_str(), w.c_str());
        }
        std::printf("%zu added, %zu duplicates, %zu skipped, %zu failed%s (library %s)\n", rep->added, rep->duplicates,
                    rep->skipped, rep->failed, rep->cancelled ? ", cancelled" : "", (*lib)->dir().c_str());
        if (rep->stopped) return report(ctx, *rep->stopped);
    }
    if (rep->stopped) return ctx.exit_code = kFailed;
    return rep->cancelled ? kFailed : kOk;
}

// ---- search -------------------------------------------------------------------

struct SearchArgs {
    std::vector<std::string> query;
    std::string library, after;
    int limit = 50;
    bool facets = false;
};

int run_search(Context& ctx, const SearchArgs& a) {
    auto lib = open_library(ctx, a.library, true);
    if (!lib) return report(ctx, lib.error());
    // The words are joined as typed; quote the whole query to keep phrases:
    //   atelier search 'collection:"Spring drop" width>=4096'
    std::string q;
    for (const auto& part : a.query) {
        if (!q.empty()) q += " ";
        q += part;
    }
    SearchRequest req;
    req.query = q;
    req.cursor = a.after;
    req.limit = a.limit;
    req.with_total = true;
    auto page = (*lib)->search(req);
    if (!page) return report(ctx, page.error(), page.error().code == Errc::invalid_argument ? kUsage : kFailed);
    std::optional<FacetCounts> facets;
    if (a.facets) {
        auto f = (*lib)->facets(q);
        if (!f) return report(ctx, f.error());
        facets = std::move(f).value();
    }
    if (ctx.json) {
        nlohmann::json results = nlohmann::json::array();
        for (const auto& it : page->items)
            results.push_back({{"id", it.id},
                               {"title", it.title},
                               {"path", it.path.string()},
                               {"tags", it.tags},
                               {"width", it.width},
                               {"height", it.height},
                               {"format", it.format},
                               {"rating", it.rating},
                               {"hash", it.hash}});
        nlohmann::json out = {{"query", q}, {"total", page->total.value_or(0)}, {"results", results}};
        out["next_cursor"] = page->next_cursor.empty() ? nlohmann::json(nullptr) : nlohmann::json(page->next_cursor);
        if (facets) {
            nlohmann::json f = nlohmann::json::object();
            for (const auto& [name, values] : facets->facets) {
                nlohmann::json v = nlohmann::json::object();
                for (const auto& [value, n] : values)
                    v[value] = n;
                f[name] = v;
            }
            out["facets"] = f;
        }
        print_json(out);
        return kOk;
    }
    std::printf("%lld result%s\n", static_cast<long long>(page->total.value_or(0)), page->total == 1 ? "" : "s");
    for (const auto& it : page->items) {
        std::string tags;
        for (const auto& t : it.tags)
            tags += (tags.empty() ? "" : ", ") + t;
        std::printf("%8lld  %-32.32s %5dx%-5d %s%s%s\n", static_cast<long long>(it.id), it.title.c_str(), it.width,
                    it.height, it.path.c_str(), tags.empty() ? "" : "  [", tags.empty() ? "" : (tags + "]").c_str());
    }
    if (!page->next_cursor.empty()) std::printf("more: --after %s\n", page->next_cursor.c_str());
    if (facets) {
        for (const auto& [name, values] : facets->facets) {
            if (values.empty()) continue;
            std::printf("%s:", name.c_str());
            for (const auto& [value, n] : values)
                std::printf(" %s (%lld)", value.c_str(), static_cast<long long>(n));
            std::printf("\n");
        }
    }
    return kOk;
}

// ---- show ---------------------------------------------------------------------

int run_show(Context& ctx, const std::string& library, AssetId id) {
    auto lib = open_library(ctx, library, false);
    if (!lib) return report(ctx, lib.error());
    auto a = (*lib)->get(id);
    if (!a) return report(ctx, a.error());
    nlohmann::json j = {{"id", a->id},
                        {"hash", a->hash},
                        {"storage", a->storage == Storage::blob ? "blob" : "reference"},
                        {"path", a->path.string()},
                        {"original_path", a->original_path.string()},
                        {"title", a->title},
                        {"description", a->description},
                        {"width", a->width},
                        {"height", a->height},
                        {"format", a->format},
                        {"file_bytes", a->file_bytes},
                        {"source", std::string(source_type_name(a->source))},
                        {"created", date_text(a->created_at)},
                        {"imported", date_text(a->imported_at)},
                        {"licence", a->licence},
                        {"rating", a->rating},
                        {"keywords", a->keywords},
                        {"collections", a->collections},
                        {"thumbnail", (*lib)->thumbnail_path(a->hash).string()}};
    if (a->seamless) j["seamless"] = *a->seamless;
    if (!a->color_family.empty()) j["color"] = a->color_family;
    if (!a->style.empty()) j["style"] = a->style;
    if (!a->model.empty()) j["model"] = a->model;
    if (a->phash) {
        char buf[20];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(*a->phash));
        j["phash"] = buf;
    }
    nlohmann::json tags = nlohmann::json::array();
    for (const auto& t : a->tags)
        tags.push_back({{"name", t.name}, {"value", t.value}, {"confidence", t.confidence}, {"source", t.source}});
    j["tags"] = tags;
    nlohmann::json parents = nlohmann::json::array();
    for (const auto& p : a->parents)
        parents.push_back({{"parent", p.parent}, {"operation", p.operation}, {"parameters", p.parameters}});
    j["parents"] = parents;
    if (a->generation) {
        const auto& g = *a->generation;
        nlohmann::json gj = {{"tool", g.tool},
                             {"model", g.model},
                             {"model_hash", g.model_hash},
                             {"prompt", g.prompt},
                             {"negative_prompt", g.negative_prompt},
                             {"seed", g.seed},
                             {"sampler", g.sampler}};
        if (g.steps) gj["steps"] = *g.steps;
        if (g.cfg_scale) gj["cfg_scale"] = *g.cfg_scale;
        gj["has_workflow"] = !g.workflow.empty();
        j["generation"] = gj;
    }
    if (a->provenance)
        j["provenance"] = {{"claim_generator", a->provenance->claim_generator},
                           {"manifest", a->provenance->manifest_label},
                           {"validation", a->provenance->validation}};
    if (ctx.json) {
        print_json(j);
        return kOk;
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it->is_string() && it->get<std::string>().empty()) continue;
        if (it->is_array() && it->empty()) continue;
        std::printf("%-14s %s\n", (it.key() + ":").c_str(),
                    it->is_string() ? it->get<std::string>().c_str() : it->dump().c_str());
    }
    return kOk;
}

// ---- export -------------------------------------------------------------------

int run_export(Context& ctx, const std::string& library, std::vector<std::string> args, [[maybe_unused]] bool no_sign) {
    if (args.size() < 2)
        return report(ctx, fail(Errc::invalid_argument, "export needs at least one asset id and a folder"), kUsage);
    const fs::path dir = args.back();
    args.pop_back();
    auto lib = open_library(ctx, library, false);
    if (!lib) return report(ctx, lib.error());
    std::error_code ec;
    fs::create_directories(dir, ec);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : args) {
        AssetId id = 0;
        try {
            std::size_t used = 0;
            id = std::stoll(s, &used);
            if (used != s.size()) throw std::invalid_argument(s);
        } catch (...) {
            return report(ctx, fail(Errc::invalid_argument, "'" + s + "' is not an asset id (a number)"), kUsage);
        }
        auto p = (*lib)->export_asset(id, dir);
        if (!p) return report(ctx, p.error());
        nlohmann::json credentials = {{"signed", false}};
#if ATELIER_HAVE_PROVENANCE
        if (auto a = (*lib)->get(id); a && !no_sign) {
            // The library's thumbnail (made now if missing) goes into the credentials.
            auto thumb = (*lib)->ensure_thumbnail(id);
            auto c = sign_library_export(ctx, *p, a->path, a->licence, thumb ? *thumb : fs::path());
            if (!c) return report(ctx, c.error());
            credentials = *c;
        }
#endif
        if (ctx.json)
            out.push_back({{"id", id}, {"path", p->string()}, {"credentials", credentials}});
        else
            std::printf("%lld -> %s%s\n", static_cast<long long>(id), p->c_str(),
                        credentials.value("signed", false) ? " (signed)" : "");
    }
    if (ctx.json) print_json(out);
    return kOk;
}

}  // namespace

ATELIER_CLI_COMMAND("import", 40, [](CLI::App& app, Context& ctx) {
    auto a = std::make_shared<ImportArgs>();
    auto* cmd = app.add_subcommand("import", "import image files and folders into the asset library");
    cmd->add_option("paths", a->paths, "files or folders (folders are searched recursively)")->required();
    cmd->add_option("--library", a->library, "library folder (default $XDG_DATA_HOME/atelier)");
    cmd->add_flag("--reference", a->reference, "leave the files where they are instead of copying them in");
    cmd->add_option("--licence,--license", a->licence, "licence given to every added asset");
    cmd->add_option("--source", a->source, "generated, imported (default), purchased or derived");
    cmd->add_flag("--no-recursive", a->no_recursive, "do not descend into sub-folders");
    cmd->add_flag("--no-follow", a->no_follow, "do not follow symbolic links inside folders");
    cmd->add_flag("--thumbnails", a->thumbnails, "make the thumbnails of the added assets now");
    cmd->add_flag("--no-tag", a->no_tag,
                  "do not run the auto-taggers after the metadata pass (config library.tag_on_import; "
                  "`atelier retag` tags later)");
    cmd->add_flag("--no-moderation", a->no_moderation, "tag without the nsfwjs moderation/embedding model");
    cmd->add_flag("--hidden-metadata", a->hidden,
                  "also read A1111 'stealth' metadata from the alpha bits of RGBA PNGs (decodes them: slower)");
    cmd->add_option("--batch-size", a->batch_size, "files saved per transaction (default 256)")
        ->check(CLI::Range(1, 100000));
    cmd->callback([&ctx, a] { ctx.exit_code = run_import(ctx, *a); });
});

ATELIER_CLI_COMMAND("search", 41, [](CLI::App& app, Context& ctx) {
    auto a = std::make_shared<SearchArgs>();
    auto* cmd = app.add_subcommand(
        "search",
        "search the library: free text and filters such as tag:floral color:navy seamless:yes width>=4096 "
        "source:generated model:NAME licence:commercial rating>=4 after:2026-01-01 sort:newest");
    cmd->add_option("query", a->query, "the query (empty: everything)");
    cmd->add_option("--library", a->library, "library folder (default $XDG_DATA_HOME/atelier)");
    cmd->add_option("--limit", a->limit, "results per page (1-1000, default 50)")->check(CLI::Range(1, 1000));
    cmd->add_option("--after", a->after, "the cursor printed by the previous page");
    cmd->add_flag("--facets", a->facets, "also print facet counts");
    cmd->callback([&ctx, a] { ctx.exit_code = run_search(ctx, *a); });
});

ATELIER_CLI_COMMAND("show", 42, [](CLI::App& app, Context& ctx) {
    auto library = std::make_shared<std::string>();
    auto id = std::make_shared<AssetId>(0);
    auto* cmd = app.add_subcommand("show", "show everything the library knows about an asset");
    cmd->add_option("id", *id, "asset id")->required();
    cmd->add_option("--library", *library, "library folder (default $XDG_DATA_HOME/atelier)");
    cmd->callback([&ctx, library, id] { ctx.exit_code = run_show(ctx, *library, *id); });
});

ATELIER_CLI_COMMAND("export", 43, [](CLI::App& app, Context& ctx) {
    auto library = std::make_shared<std::string>();
    auto args = std::make_shared<std::vector<std::string>>();
    auto no_sign = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("export", "copy assets out of the library: export ID... DIR");
    cmd->add_option("args", *args, "asset ids followed by the target folder")->required()->expected(2, -1);
    cmd->add_option("--library", *library, "library folder (default $XDG_DATA_HOME/atelier)");
    cmd->add_flag("--no-sign", *no_sign, "copy as is, without signed Content Credentials");
    cmd->callback([&ctx, library, args, no_sign] { ctx.exit_code = run_export(ctx, *library, *args, *no_sign); });
});

}  // namespace atelier::cli

#endif  // ATELIER_HAVE_CATALOG
