// SPDX-License-Identifier: MIT
#include "atelier/base/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "atelier/base/paths.h"

namespace atelier {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

std::string env_name(std::string_view key) {
    std::string out = "ATELIER_";
    for (char c : key)
        out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    return out;
}

std::string known_list() {
    std::string s;
    for (const auto& k : Config::known_keys()) {
        if (!s.empty()) s += ", ";
        s += k.name;
    }
    return s;
}

}  // namespace

const std::vector<ConfigKey>& Config::known_keys() {
    static const std::vector<ConfigKey> keys = {
        {"log.level", "warn", "trace, debug, info, warn, error, critical or off"},
        {"log.format", "text", "text or json (one object per line)"},
        {"image.max_pixels", "100000000", "largest image (width x height) decoded; checked from the header"},
        {"image.max_channels", "4", "most channels an image may have"},
        {"image.max_file_bytes", "2147483648", "largest image file read, in bytes"},
        {"jobs.workers", "0", "job queue worker threads; 0 = one per core"},
        {"jobs.max_queued", "1024", "jobs that may wait in the queue before new ones are refused"},
        {"library.path", "", "asset library folder; empty = $XDG_DATA_HOME/atelier"},
        {"library.tag_on_import", "true", "run the auto-taggers over new assets after an import's metadata pass"},
        {"models.path", "", "extra models folder searched before the defaults"},
        {"ml.device", "auto", "auto, cpu or cuda"},
        {"ml.precision", "fp32", "fp32, bf16, fp16 or auto"},
        {"ml.threads", "0", "CPU inference threads; 0 = adaptive (cores minus the load average, at least 1)"},
        {"ml.auto_queue_high", "4", "precision auto: cheaper precision when more jobs than this are waiting"},
        {"ml.auto_queue_low", "1", "precision auto: back to fp32 when at most this many jobs are left"},
        {"ml.memory_budget_mb", "0", "memory budget per device for inference in MiB; 0 = automatic"},
        {"market.url", "http://127.0.0.1:8780", "marketplace server address"},
        {"market.listen", "127.0.0.1:8780", "atelier-market: HOST:PORT to listen on"},
        {"market.db", "sqlite", "atelier-market: sqlite, sqlite:PATH or postgres://USER@HOST:PORT/DB"},
        {"market.threads", "0", "atelier-market: I/O threads; 0 = one per core (at least 2)"},
        {"market.workers", "0",
         "atelier-market: worker threads for upload completion checks (decode, moderation, hashes); 0 = 2"},
        {"market.db_pool", "8", "atelier-market: database connections per instance"},
        {"market.access_log", "true", "atelier-market: one JSON line per request on stderr"},
        {"market.max_header_bytes", "16384", "atelier-market: largest request header block"},
        {"market.max_body_bytes", "65536", "atelier-market: largest JSON request body"},
        {"market.header_timeout_ms", "10000", "atelier-market: time a client has to send its headers"},
        {"market.body_timeout_ms", "60000", "atelier-market: time a client has to send a body"},
        {"market.idle_timeout_ms", "30000", "atelier-market: keep-alive idle time"},
        {"market.session_ttl_s", "604800", "atelier-market: session token lifetime"},
        {"market.chunk_bytes", "8388608", "atelier-market: largest upload chunk"},
        {"market.max_upload_bytes", "536870912", "atelier-market: largest upload"},
        {"market.fsync_chunks", "false", "atelier-market: fdatasync every upload chunk (else once, at completion)"},
        {"market.preview_px", "512", "atelier-market: long side of browse previews"},
        {"market.auth_per_minute_ip", "30", "atelier-market: register/login attempts per minute per IP"},
        {"market.auth_per_minute_account", "10", "atelier-market: login attempts per minute per account"},
        {"market.upload_per_minute_ip", "600", "atelier-market: upload requests per minute per IP"},
        {"market.upload_per_minute_account", "600", "atelier-market: upload requests per minute per account"},
        {"market.platform_bp", "2000", "atelier-market: platform share in basis points"},
        {"market.moderation", "auto",
         "atelier-market: nsfw moderation of uploads: auto (when installed), required, off"},
        {"market.moderation_flag_explicit", "0.5",
         "atelier-market: flag an upload when P(hentai)+P(porn) reaches this"},
        {"market.moderation_flag_suggestive", "0.9",
         "atelier-market: flag when P(hentai)+P(porn)+P(sexy) reaches this"},
        {"market.phash_max_distance", "10",
         "atelier-market: near-duplicate when pHash differs in at most this many bits"},
        {"market.dhash_max_distance", "6",
         "atelier-market: near-duplicate when dHash differs in at most this many bits"},
        {"market.c2pa_trust_anchors", "", "atelier-market: PEM files (colon-separated) trusted for uploads' C2PA"},
        {"market.tls_cert", "",
         "atelier-market: PEM certificate chain; with market.tls_key the server speaks HTTPS only"},
        {"market.tls_key", "", "atelier-market: PEM private key for market.tls_cert"},
        {"market.metrics_token", "", "atelier-market: bearer token allowed to read /metrics (admins always may)"},
        {"provenance.keys_dir", "", "signing keys and local CA; empty = $XDG_DATA_HOME/atelier/keys"},
        {"provenance.trust_anchors", "", "PEM files (colon-separated) that `atelier verify` trusts without --trust"},
    };
    return keys;
}

Config::Config() {
    for (const auto& k : known_keys())
        m_values[k.name] = Value{k.default_value, "default"};
}

std::filesystem::path Config::default_file() {
    return paths::config_dir() / "atelier.conf";
}

Result<Config> Config::load(const std::filesystem::path& file) {
    Config cfg;
    const auto path = file.empty() ? default_file() : file;
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
        std::ifstream in(path);
        if (!in) return fail(Errc::io_error, "cannot read config file '" + path.string() + "'; check its permissions");
        std::stringstream ss;
        ss << in.rdbuf();
        ATELIER_TRY(cfg.merge_text(ss.str(), "file:" + path.string()));
    } else if (!file.empty()) {
        return fail(Errc::not_found, "config file '" + path.string() + "' does not exist");
    }
    cfg.merge_environment();
    return cfg;
}

Result<void> Config::merge_text(std::string_view text, std::string_view origin) {
    std::string section;
    int line_no = 0;
    while (!text.empty()) {
        auto nl = text.find('\n');
        auto line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        const std::string where = std::string(origin) + ":" + std::to_string(line_no);
        if (line.front() == '[') {
            if (line.back() != ']') return fail(Errc::invalid_argument, where + ": section header needs a closing ']'");
            section = std::string(trim(line.substr(1, line.size() - 2)));
            continue;
        }
        auto eq = line.find('=');
        if (eq == std::string_view::npos)
            return fail(Errc::invalid_argument, where + ": expected 'key = value', got '" + std::string(line) + "'");
        std::string key(trim(line.substr(0, eq)));
        if (!section.empty()) key = section + "." + key;
        std::string value(trim(line.substr(eq + 1)));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        auto r = set(key, value, std::string(origin));
        if (!r) return r.error().with_context(where);
    }
    return ok();
}

void Config::merge_environment() {
    for (const auto& k : known_keys()) {
        if (const char* v = std::getenv(env_name(k.name).c_str()); v != nullptr) m_values[k.name] = Value{v, "env"};
    }
}

Result<void> Config::set_flag(std::string_view assignment) {
    auto eq = assignment.find('=');
    if (eq == std::string_view::npos)
        return fail(Errc::invalid_argument, "--set expects key=value, got '" + std::string(assignment) + "'");
    return set(trim(assignment.substr(0, eq)), std::string(trim(assignment.substr(eq + 1))), "flag");
}

Result<void> Config::set(std::string_view key, std::string value, std::string origin) {
    auto it = m_values.find(key);
    if (it == m_values.end())
        return fail(Errc::invalid_argument,
                    "unknown configuration key '" + std::string(key) + "'; known keys: " + known_list());
    it->second = Value{std::move(value), std::move(origin)};
    return ok();
}

std::string Config::get_string(std::string_view key) const {
    auto it = m_values.find(key);
    ATELIER_ASSERT(it != m_values.end(), "configuration key not declared in known_keys()");
    return it->second.value;
}

Result<std::int64_t> Config::get_int(std::string_view key) const {
    const auto s = get_string(key);
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size())
        return fail(Errc::invalid_argument, "configuration key '" + std::string(key) + "' (from " + origin(key) +
                                                ") must be an integer, got '" + s + "'");
    return v;
}

Result<bool> Config::get_bool(std::string_view key) const {
    auto s = get_string(key);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s == "1" || s == "true" || s == "yes" || s == "on") return true;
    if (s == "0" || s == "false" || s == "no" || s == "off") return false;
    return fail(Errc::invalid_argument, "configuration key '" + std::string(key) + "' (from " + origin(key) +
                                            ") must be true or false, got '" + s + "'");
}

std::string Config::origin(std::string_view key) const {
    auto it = m_values.find(key);
    return it == m_values.end() ? "unknown" : it->second.origin;
}

}  // namespace atelier
