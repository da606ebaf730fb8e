// SPDX-License-Identifier: MIT
// atelier remove ID... [--library DIR]
// Removes assets from the library (one transaction: all or nothing). The
// library's copies of their files and their thumbnails are deleted; files
// imported with --reference stay where they are. A derived asset that is
// kept loses its link to a removed parent (its own credentials keep it).

#ifdef ATELIER_HAVE_CATALOG

#include <cstdio>

#include "atelier/catalog/library.h"
#include "cli.h"

namespace atelier::cli {

namespace {

struct RemoveArgs {
    std::vector<std::int64_t> ids;
    std::string library;
};

int run_remove(Context& ctx, const RemoveArgs& a) {
    catalog::OpenOptions o;
    o.dir = a.library.empty() ? catalog::Library::default_dir(ctx.config) : std::filesystem::path(a.library);
    o.create = false;
    auto lib = catalog::Library::open(o);
    if (!lib) return report(ctx, lib.error());
    auto rep = (*lib)->remove(a.ids);
    if (!rep) return report(ctx, rep.error());
    if (ctx.json) {
        print_json({{"removed", rep->removed},
                    {"detached_children", rep->detached_children},
                    {"files_deleted", rep->files_deleted},
                    {"bytes_freed", rep->bytes_freed},
                    {"warnings", rep->warnings}});
        return kOk;
    }
    for (const auto& w : rep->warnings)
        std::fprintf(stderr, "atelier: warning: %s\n", w.c_str());
    std::printf("removed %zu asset%s (%zu file%s deleted, %.1f MB freed)\n", rep->removed.size(),
                rep->removed.size() == 1 ? "" : "s", rep->files_deleted, rep->files_deleted == 1 ? "" : "s",
                static_cast<double>(rep->bytes_freed) / 1e6);
    if (rep->detached_children > 0)
        std::printf("%zu derived asset%s kept without the link to a removed original\n", rep->detached_children,
                    rep->detached_children == 1 ? "" : "s");
    return kOk;
}

}  // namespace

ATELIER_CLI_COMMAND("remove", 24, [](CLI::App& app, Context& ctx) {
    auto a = std::make_shared<RemoveArgs>();
    auto* cmd =
        app.add_subcommand("remove", "remove assets from the library (and the library's copies of their files)");
    cmd->add_option("ids", a->ids, "asset ids (see atelier search)")->required()->check(CLI::PositiveNumber);
    cmd->add_option("--library", a->library, "library folder (default: library.path or $XDG_DATA_HOME/atelier)");
    cmd->callback([&ctx, a] { ctx.exit_code = run_remove(ctx, *a); });
});

}  // namespace atelier::cli

#endif  // ATELIER_HAVE_CATALOG
