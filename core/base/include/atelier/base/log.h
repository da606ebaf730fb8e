// SPDX-License-Identifier: MIT
#pragma once

/// \file log.h
/// Logging through spdlog. `log::init` is called once by each executable;
/// libraries just call `spdlog::info(...)` etc. (or the helpers below).
/// Never log secrets: keys, tokens, passwords.

#include <string_view>

#include <spdlog/spdlog.h>

namespace atelier::log {

enum class Format { text, json };

/// Configures the default logger: stderr sink, level by name
/// ("trace".."critical", "off"), plain text or one JSON object per line.
/// Unknown level names fall back to "info". Safe to call more than once.
void init(std::string_view level = "warn", Format format = Format::text);

/// Changes the level of the default logger.
void set_level(std::string_view level);

}  // namespace atelier::log
