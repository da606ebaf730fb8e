// SPDX-License-Identifier: MIT
// atelier: the headless command line. Subcommands register themselves
// (commands/*.cpp); this file parses global options and dispatches.

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "atelier/base/log.h"
#include "atelier/base/version.h"
#include "cli.h"

namespace {
atelier::CancelSource* g_cancel = nullptr;
extern "C" void on_signal(int) {
    if (g_cancel != nullptr) g_cancel->cancel();  // async-signal-safe: an atomic store
}
}  // namespace

int main(int argc, char** argv) {
    using namespace atelier;
    cli::Context ctx;
    g_cancel = &ctx.cancel;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    CLI::App app{"Atelier: make, upscale, tag, sign and sell digital design assets", "atelier"};
    app.set_version_flag("--version", std::string("atelier ") + build::version + " (" + build::git_revision + ")");
    app.require_subcommand(1);
    std::string config_file;
    std::vector<std::string> overrides;
    std::string log_level;
    app.add_option("--config", config_file, "configuration file (default $XDG_CONFIG_HOME/atelier/atelier.conf)");
    app.add_option("--set", overrides, "override a configuration key: --set key=value (repeatable)");
    app.add_flag("--json", ctx.json, "machine-readable JSON output");
    app.add_flag("-q,--quiet", ctx.quiet, "no progress output");
    std::string progress_format = "text";
    app.add_option("--progress", progress_format,
                   "progress as text (a bar on stderr) or json (JSON lines on stderr, for programs)")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
    app.fallthrough();

    auto& cmds = cli::registry();
    std::sort(cmds.begin(), cmds.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
    for (auto& c : cmds)
        c.setup(app, ctx);

    // Configuration is loaded before any subcommand callback runs.
    app.parse_complete_callback([&] {
        auto cfg = Config::load(config_file);
        if (!cfg) throw CLI::ValidationError("--config", cfg.error().message);
        ctx.config = std::move(cfg).value();
        ctx.progress_json = progress_format == "json";
        for (const auto& o : overrides)
            if (auto r = ctx.config.set_flag(o); !r) throw CLI::ValidationError("--set", r.error().message);
        const std::string level = log_level.empty() ? ctx.config.get_string("log.level") : log_level;
        log::init(level, ctx.config.get_string("log.format") == "json" ? log::Format::json : log::Format::text);
    });

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::string what = e.what();
        std::fprintf(stderr, "atelier: error: %s (see atelier --help)\n", what.c_str());
        return cli::kUsage;
    } catch (const std::exception& e) {  // a bug: say so in one line, never a raw terminate
        std::fprintf(stderr, "atelier: internal error: %s (please report this)\n", e.what());
        return cli::kFailed;
    }
    return ctx.exit_code;
}
