// SPDX-License-Identifier: MIT
#include "cli.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <unistd.h>

namespace atelier::cli {

std::vector<CommandInfo>& registry() {
    static std::vector<CommandInfo> commands;
    return commands;
}

int report(Context& ctx, const Error& error, int code) {
    progress_error(ctx, {}, error);
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
    if (ctx.progress_json) {
        ProgressEvent e;
        e.stage = label;
        e.fraction = fraction;
        return progress_event(ctx, e);
    }
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

namespace {
void json_line(const nlohmann::json& j) {
    // One write per line, flushed, so a reader never sees half an event.
    const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}
}  // namespace

void progress_event(Context& ctx, const ProgressEvent& e) {
    if (!ctx.progress_json) {
        std::string label = e.stage;
        if (e.count > 1) {
            label = "[" + std::to_string(e.index + 1) + "/" + std::to_string(e.count) + "] " +
                    std::filesystem::path(e.item).filename().string();
            if (!e.model.empty()) label += " " + e.model;
        }
        return progress(ctx, label, e.fraction);
    }
    // At most one event per percent of an item (a tile loop may report often).
    static thread_local std::string last_key;
    static thread_local int last_pct = -1;
    const int pct = static_cast<int>(std::floor(std::clamp(e.fraction, 0.0, 1.0) * 100.0));
    const std::string key = e.stage + '\n' + e.item + '\n' + std::to_string(e.index) + '\n' + e.model;
    if (key == last_key && pct == last_pct) return;
    last_key = key;
    last_pct = pct;
    nlohmann::json j{{"event", "progress"}, {"stage", e.stage}, {"fraction", std::clamp(e.fraction, 0.0, 1.0)}};
    if (!e.item.empty()) j["item"] = e.item;
    if (e.index >= 0) {
        j["index"] = e.index;
        j["count"] = e.count;
    }
    if (!e.model.empty()) j["model"] = e.model;
    json_line(j);
}

void progress_error(Context& ctx, const std::string& item, const Error& error) {
    if (!ctx.progress_json) return;
    nlohmann::json j{{"event", "error"}, {"code", std::string(errc_name(error.code))}, {"message", error.message}};
    if (!item.empty()) j["item"] = item;
    json_line(j);
}

}  // namespace atelier::cli
