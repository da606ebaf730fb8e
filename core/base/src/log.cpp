// SPDX-License-Identifier: MIT
#include "atelier/base/log.h"

#include <memory>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace atelier::log {

void set_level(std::string_view level) {
    auto lvl = spdlog::level::from_str(std::string(level));
    // from_str returns `off` for unknown names; only accept "off" literally.
    if (lvl == spdlog::level::off && level != "off") lvl = spdlog::level::info;
    spdlog::set_level(lvl);
}

void init(std::string_view level, Format format) {
    auto logger = std::make_shared<spdlog::logger>("atelier", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    if (format == Format::json) {
        logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","thread":%t,"msg":"%v"})");
    } else {
        logger->set_pattern("%^%l%$: %v");
    }
    spdlog::set_default_logger(logger);
    set_level(level);
}

}  // namespace atelier::log
