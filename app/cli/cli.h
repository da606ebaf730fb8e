// SPDX-License-Identifier: MIT
#pragma once

// The `atelier` command line: shared context and the subcommand registry.
// Each subcommand lives in commands/<name>.cpp and registers itself with
// ATELIER_CLI_COMMAND; main.cpp builds the CLI11 app from the registry.

#include <csignal>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "atelier/base/cancel.h"
#include "atelier/base/config.h"
#include "atelier/base/result.h"

namespace atelier::cli {

/// Exit codes shared by every subcommand.
enum Exit : int { kOk = 0, kFailed = 1, kUsage = 2 };

struct Context {
    Config config;
    bool json = false;   ///< --json: machine-readable output on stdout
    bool quiet = false;  ///< --quiet: no progress bars
    /// --progress json: progress and errors as JSON lines on stderr (for the
    /// desktop app and scripts; see progress_event), whatever --json says.
    bool progress_json = false;
    int exit_code = kOk;
    CancelSource cancel;  ///< set by SIGINT/SIGTERM
};

/// Prints an error as one line on stderr ("atelier: error: ...") or, with
/// --json, as {"error": {...}} on stdout; returns the exit code to use.
int report(Context& ctx, const Error& error, int code = kFailed);
/// Prints a JSON document (pretty) on stdout.
void print_json(const nlohmann::json& j);
/// A one-line progress bar on stderr (suppressed with --json/--quiet or when
/// stderr is not a terminal, where it prints one line per 10%).
void progress(Context& ctx, const std::string& label, double fraction);

/// One step of a long command, for `--progress json`. Each event is one line
/// on stderr: {"event":"progress","stage":S,"fraction":F[,"item":I,"index":K,
/// "count":N,"model":M]} — `fraction` is of the item (0..1), `index` counts
/// items from 0 — and, for failures, {"event":"error","code":C,"message":M
/// [,"item":I]} with `code` an errc_name. Lines that are not JSON can appear
/// too (log output) and are to be ignored. Without --progress json this is
/// the text bar of `progress`.
struct ProgressEvent {
    std::string stage;  ///< "upscale", "load-model", "import", ...
    double fraction = 0;
    std::string item;  ///< the file being worked on, when there is one
    int index = -1;    ///< which item (from 0), -1 when there are no items
    int count = 0;     ///< how many items
    std::string model;
};
void progress_event(Context& ctx, const ProgressEvent& event);
/// An error event (JSON line, --progress json only) for one item of a batch
/// that goes on, or (with an empty item) for the command; `report` sends one too.
void progress_error(Context& ctx, const std::string& item, const Error& error);

using Setup = std::function<void(CLI::App& app, Context& ctx)>;
struct CommandInfo {
    std::string name;
    int order;
    Setup setup;
};
std::vector<CommandInfo>& registry();

struct Registrar {
    Registrar(std::string name, int order, Setup setup) {
        registry().push_back({std::move(name), order, std::move(setup)});
    }
};

}  // namespace atelier::cli

#define ATELIER_CLI_CONCAT_(a, b) a##b
#define ATELIER_CLI_CONCAT(a, b) ATELIER_CLI_CONCAT_(a, b)
/// Registers a subcommand: ATELIER_CLI_COMMAND("info", 10, [](CLI::App& app, Context& ctx) {...});
#define ATELIER_CLI_COMMAND(name, order, ...) \
    static const ::atelier::cli::Registrar ATELIER_CLI_CONCAT(atelier_cli_reg_, __LINE__)(name, order, __VA_ARGS__)
