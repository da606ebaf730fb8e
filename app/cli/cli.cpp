// SPDX-License-Identifier: MIT
#include "cli.h"

#include <cmath>
#include <cstdio>
#include <iostream>

#include <unistd.h>

namespace atelier::cli {

std::vector<CommandInfo>& registry() {
    static std::vector<CommandInfo> commands;
    return commands;
}

int report(Context& ctx, const Error& error, int code) {
    if (ctx.json) {
        print_json({{"error", {{"code", std::string(errc_name(error.code))}, {"message", error.message}}}});
    } else {
        std::string msg = error.message;
        for (auto& ch : msg)
            if (ch == '\n') ch = ' ';
        std::fprintf(stderr, "atelier: error: %s\n", msg.c_str());
    }
    ctx.exit_code = code;
    return code;
}

void print_json(const nlohmann::json& j) {
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

void progress(Context& ctx, const std::string& label, double fraction) {
    if (ctx.json || ctx.quiet) return;
    static thread_local int last_decile = -1;
    const int pct = static_cast<int>(std::lround(fraction * 100.0));
    if (isatty(STDERR_FILENO)) {
        const int width = 30;
        const int fill = static_cast<int>(std::lround(fraction * width));
        std::fprintf(stderr, "\r%-28.28s [%s%s] %3d%%", label.c_str(), std::string(fill, '#').c_str(),
                     std::string(width - fill, '.').c_str(), pct);
        if (fraction >= 1.0) std::fprintf(stderr, "\n");
        std::fflush(stderr);
    } else {
        const int decile = pct / 10;
        if (decile != last_decile || fraction >= 1.0) {
            std::fprintf(stderr, "%s: %d%%\n", label.c_str(), pct);
            last_decile = fraction >= 1.0 ? -1 : decile;
        }
    }
}

}  // namespace atelier::cli
