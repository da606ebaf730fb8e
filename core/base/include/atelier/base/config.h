// SPDX-License-Identifier: MIT
#pragma once

/// \file config.h
/// Layered configuration. Every key is declared once (name, default, help) in
/// `Config::known_keys()`; values come from, lowest precedence first:
///   1. the built-in default,
///   2. the config file (`$XDG_CONFIG_HOME/atelier/atelier.conf`, `key = value`
///      lines, `#` comments, optional `[section]` headers that prefix keys),
///   3. the environment (`ATELIER_` + key upper-cased with `.` → `_`,
///      e.g. `image.max_pixels` ← `ATELIER_IMAGE_MAX_PIXELS`),
///   4. command-line flags (`--set key=value`).
/// Unknown keys in a file or flag are rejected with the list of known keys,
/// so a typo never silently does nothing. Not thread-safe for writes; build
/// it at start-up, then share it read-only.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/base/result.h"

namespace atelier {

struct ConfigKey {
    std::string name;
    std::string default_value;
    std::string help;
};

class Config {
public:
    /// The documented keys; docs/CONFIG.md is generated from this list
    /// (`atelier config --list`).
    static const std::vector<ConfigKey>& known_keys();

    /// Defaults only.
    Config();

    /// Defaults + file (if it exists) + environment. `file` empty means the
    /// default location. A malformed file is an error naming file and line.
    static Result<Config> load(const std::filesystem::path& file = {});

    /// Parses `key = value` text (the file format); `origin` names it in errors.
    Result<void> merge_text(std::string_view text, std::string_view origin);
    /// Applies `ATELIER_*` environment variables for known keys.
    void merge_environment();
    /// Applies one `key=value` flag.
    Result<void> set_flag(std::string_view assignment);
    /// Sets a known key; unknown keys are refused.
    Result<void> set(std::string_view key, std::string value, std::string origin = "api");

    [[nodiscard]] std::string get_string(std::string_view key) const;
    [[nodiscard]] Result<std::int64_t> get_int(std::string_view key) const;
    [[nodiscard]] Result<bool> get_bool(std::string_view key) const;
    /// Where the current value of `key` came from ("default", "file:…", "env", "flag").
    [[nodiscard]] std::string origin(std::string_view key) const;

    static std::filesystem::path default_file();

private:
    struct Value {
        std::string value;
        std::string origin;
    };
    std::map<std::string, Value, std::less<>> m_values;
};

}  // namespace atelier
