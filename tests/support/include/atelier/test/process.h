// SPDX-License-Identifier: MIT
#pragma once

/// \file process.h
/// Runs a program as a user would (through /bin/sh), capturing its exit code,
/// stdout and stderr separately, with an environment the test controls — so
/// that no test reads or writes the real user's configuration, keys or
/// library. Test-only code: failures to start are reported through the result
/// (code -1 and a message in `err`), never thrown.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace atelier::test {

struct ProcessResult {
    int code = -1;    ///< exit status; -1 when it did not start, 128+N when killed by signal N
    std::string out;  ///< everything written to stdout
    std::string err;  ///< everything written to stderr
};

/// Environment changes for the child: variables removed, then variables set.
struct ProcessEnv {
    std::vector<std::string> unset;
    std::vector<std::pair<std::string, std::string>> set;
};

/// An isolated user: HOME and every XDG folder under `home`; models read from
/// `models_dir` (ATELIER_MODELS_DIR) when it is not empty.
ProcessEnv isolated_home(const std::filesystem::path& home, const std::filesystem::path& models_dir = {});

/// Runs `command` with `/bin/sh -c` and waits for it; stdout and stderr are
/// read concurrently, so a chatty child cannot dead-lock on a full pipe.
ProcessResult run_shell(const std::string& command, const ProcessEnv& env = {});

/// `'path'` with embedded single quotes escaped, for building command lines.
std::string shell_quote(const std::string& text);

}  // namespace atelier::test
