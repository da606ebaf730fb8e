// SPDX-License-Identifier: MIT
// atelier config: the effective configuration and where each value came from.

#include <cstdio>

#include "cli.h"

namespace atelier::cli {

namespace {
int run_config(Context& ctx, bool markdown) {
    if (markdown) {
        std::printf("| key | default | meaning |\n|---|---|---|\n");
        for (const auto& k : Config::known_keys())
            std::printf("| `%s` | `%s` | %s |\n", k.name.c_str(), k.default_value.c_str(), k.help.c_str());
        return kOk;
    }
    nlohmann::json j = nlohmann::json::object();
    for (const auto& k : Config::known_keys())
        j[k.name] = {{"value", ctx.config.get_string(k.name)}, {"origin", ctx.config.origin(k.name)}, {"help", k.help}};
    if (ctx.json) {
        print_json(j);
        return kOk;
    }
    std::printf("# file: %s\n", Config::default_file().c_str());
    for (const auto& k : Config::known_keys())
        std::printf("%-22s = %-24s # %s (%s)\n", k.name.c_str(), ctx.config.get_string(k.name).c_str(), k.help.c_str(),
                    ctx.config.origin(k.name).c_str());
    return kOk;
}
}  // namespace

ATELIER_CLI_COMMAND("config", 90, [](CLI::App& app, Context& ctx) {
    auto markdown = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("config", "show the effective configuration and where each value comes from");
    cmd->add_flag("--markdown", *markdown, "print the documented keys as a Markdown table");
    cmd->callback([&ctx, markdown] { ctx.exit_code = run_config(ctx, *markdown); });
});

}  // namespace atelier::cli
