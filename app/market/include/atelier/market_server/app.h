// SPDX-License-Identifier: MIT
#pragma once

/// \file app.h
/// The atelier-market application: options, start-up (data folder, database,
/// signing key), the route table and the HTTP server. `main.cpp` is a thin
/// wrapper; tests create a `MarketApp` in-process or run the executable.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "atelier/base/config.h"
#include "atelier/base/result.h"
#include "atelier/market_server/http.h"

namespace atelier::market_server {

/// Everything configurable. `from_config` reads the `market.*` keys of an
/// atelier Config (file given with --config, environment, defaults).
struct MarketOptions {
    std::filesystem::path data_dir;
    std::string listen = "127.0.0.1:8780";
    std::string db = "sqlite";  ///< "sqlite", "sqlite:PATH" or "postgres://…"
    HttpLimits http;
    int db_pool = 8;
    bool access_log = true;
    std::int64_t session_ttl_s = 7 * 24 * 3600;
    std::int64_t chunk_bytes = 8 * 1024 * 1024;  ///< largest chunk a client may PUT
    std::int64_t max_upload_bytes = 512ll * 1024 * 1024;
    /// fdatasync each chunk before acknowledging it. Off by default: an
    /// acknowledged chunk survives a process crash (page cache) and the file
    /// is synced at completion; after a power loss, completion re-checks each
    /// chunk's SHA-256 and rewinds the upload to the first damaged chunk.
    bool fsync_chunks = false;
    std::int64_t max_image_pixels = 100'000'000;
    int preview_px = 512;  ///< long side of browse previews
    /// Requests per minute per IP and per account on register/login.
    int auth_per_minute_ip = 30;
    int auth_per_minute_account = 10;
    /// Upload operations (create + chunk) per minute per IP and per account.
    int upload_per_minute_ip = 600;
    int upload_per_minute_account = 600;
    /// Default split, in basis points of the price.
    int platform_bp = 2000;
    int model_author_bp = 500;
    int prompt_author_bp = 500;
    int dhash_max_distance = 6;   ///< near-duplicate threshold on dHash (bits of 64)
    int phash_max_distance = 10;  ///< near-duplicate threshold on pHash (bits of 64)
    /// "auto" (moderate when the nsfwjs model is installed, else report the
    /// check unavailable), "required" (refuse to start without it) or "off".
    std::string moderation = "auto";
    double moderation_flag_explicit = 0.5;    ///< flag when P(hentai)+P(porn) reaches this
    double moderation_flag_suggestive = 0.9;  ///< flag when P(hentai)+P(porn)+P(sexy) reaches this
    std::string c2pa_trust_anchors;           ///< PEM files, colon-separated, for C2PA validation
    /// TLS: both set = HTTPS only (PEM certificate chain and private key).
    std::filesystem::path tls_cert, tls_key;
    /// Bearer token that may read /metrics (besides admin sessions); empty = admins only.
    std::string metrics_token;

    static Result<MarketOptions> from_config(const Config& config);
};

/// The `market.*` keys with defaults and help (merged into Config::known_keys).
class MarketApp {
public:
    /// Opens the data folder (creating blobs/, uploads/, keys/), the database
    /// (migrating it) and the signing key; binds the listen address.
    static Result<std::unique_ptr<MarketApp>> create(MarketOptions options);
    ~MarketApp();
    MarketApp(const MarketApp&) = delete;
    MarketApp& operator=(const MarketApp&) = delete;

    /// Serves until `stop()` or SIGINT/SIGTERM (when `handle_signals`); then
    /// finishes in-flight requests (up to the grace period) and returns.
    void run(bool handle_signals);
    void stop();
    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] const Router& router() const;

    /// Creates (or promotes to) an admin account; used by `atelier-market create-admin`.
    static Result<void> create_admin(const MarketOptions& options, const std::string& email,
                                     const std::string& password);

private:
    MarketApp() = default;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// The OpenAPI 3 document compiled into the server (openapi.json).
std::string_view openapi_document();

}  // namespace atelier::market_server
