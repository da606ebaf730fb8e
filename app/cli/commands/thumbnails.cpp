// SPDX-License-Identifier: MIT
// atelier thumbnails [ID...] [--library DIR]
// Remakes exactly the stale thumbnails of the library (missing files, or made
// by an older thumbnail version) without decoding the current ones — after a
// thumbnail version change, a lost cache folder or a restore from backup.

#ifdef ATELIER_HAVE_CATALOG

#include <cstdio>

#include "atelier/catalog/library.h"
#include "cli.h"

namespace atelier::cli {

namespace {

struct ThumbnailsArgs {
    std::vector<std::int64_t> ids;
    std::string library;
};

int run_thumbnails(Context& ctx, const ThumbnailsArgs& a) {
    catalog::OpenOptions o;
    o.dir = a.library.empty() ? catalog::Library::default_dir(ctx.config) : std::filesystem::path(a.library);
    o.create = false;
    auto lib = catalog::Library::open(o);
    if (!lib) return report(ctx, lib.error());
    std::vector<catalog::AssetId> ids(a.ids.begin(), a.ids.end());
    auto r = (*lib)->refresh_thumbnails(ids, ctx.cancel.token());
    if (!r) return report(ctx, r.error());
    if (ctx.json) {
        nlohmann::json failed = nlohmann::json::array();
        for (const auto& [id, why] : r->failed)
            failed.push_back({{"id", id}, {"error", why}});
        print_json({{"visited", r->visited},
                    {"made", r->made},
                    {"current", r->current},
                    {"failed", failed},
                    {"cancelled", r->cancelled}});
    } else {
        for (const auto& [id, why] : r->failed)
            std::printf("failed    asset %lld: %s\n", static_cast<long long>(id), why.c_str());
        std::printf("%zu thumbnail%s made, %zu current, %zu failed%s\n", r->made, r->made == 1 ? "" : "s", r->current,
                    r->failed.size(), r->cancelled ? ", cancelled" : "");
    }
    return r->cancelled || !r->failed.empty() ? kFailed : kOk;
}

}  // namespace

ATELIER_CLI_COMMAND("thumbnails", 45, [](CLI::App& app, Context& ctx) {
    auto a = std::make_shared<ThumbnailsArgs>();
    auto* cmd = app.add_subcommand("thumbnails",
                                   "remake the library's missing or outdated thumbnails (only those; the current "
                                   "ones are not decoded)");
    cmd->add_option("ids", a->ids, "only these asset ids (default: the whole library)")->check(CLI::PositiveNumber);
    cmd->add_option("--library", a->library, "library folder (default: library.path or $XDG_DATA_HOME/atelier)");
    cmd->callback([&ctx, a] { ctx.exit_code = run_thumbnails(ctx, *a); });
});

}  // namespace atelier::cli

#endif
