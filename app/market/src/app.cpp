// SPDX-License-Identifier: MIT
#include "atelier/market_server/app.h"

#include "context.h"

namespace atelier::market_server {

Result<MarketOptions> MarketOptions::from_config(const Config& config) {
    MarketOptions o;
    o.listen = config.get_string("market.listen");
    o.db = config.get_string("market.db");
    auto geti = [&](const char* key, auto& out) -> Result<void> {
        auto v = config.get_int(key);
        if (!v) return std::move(v).error();
        if (*v < 0) return fail(Errc::invalid_argument, std::string(key) + " must not be negative");
        out = static_cast<std::remove_reference_t<decltype(out)>>(*v);
        return ok();
    };
    std::int64_t ms = 0;
    ATELIER_TRY(geti("market.threads", o.http.threads));
    ATELIER_TRY(geti("market.workers", o.http.worker_threads));
    if (o.http.threads > 256 || o.http.worker_threads > 256)
        return fail(Errc::invalid_argument, "market.threads and market.workers must be at most 256");
    ATELIER_TRY(geti("market.db_pool", o.db_pool));
    ATELIER_TRY(geti("market.max_header_bytes", o.http.max_header_bytes));
    ATELIER_TRY(geti("market.max_body_bytes", o.http.max_body_bytes));
    ATELIER_TRY(geti("market.header_timeout_ms", ms));
    o.http.header_timeout = std::chrono::milliseconds(ms);
    ATELIER_TRY(geti("market.body_timeout_ms", ms));
    o.http.body_timeout = std::chrono::milliseconds(ms);
    ATELIER_TRY(geti("market.idle_timeout_ms", ms));
    o.http.idle_timeout = std::chrono::milliseconds(ms);
    ATELIER_TRY(geti("market.session_ttl_s", o.session_ttl_s));
    ATELIER_TRY(geti("market.chunk_bytes", o.chunk_bytes));
    ATELIER_TRY(geti("market.max_upload_bytes", o.max_upload_bytes));
    ATELIER_TRY(geti("market.preview_px", o.preview_px));
    ATELIER_TRY(geti("market.auth_per_minute_ip", o.auth_per_minute_ip));
    ATELIER_TRY(geti("market.auth_per_minute_account", o.auth_per_minute_account));
    ATELIER_TRY(geti("market.upload_per_minute_ip", o.upload_per_minute_ip));
    ATELIER_TRY(geti("market.upload_per_minute_account", o.upload_per_minute_account));
    ATELIER_TRY(geti("market.platform_bp", o.platform_bp));
    ATELIER_TRY(geti("image.max_pixels", o.max_image_pixels));
    ATELIER_TRY(geti("market.phash_max_distance", o.phash_max_distance));
    ATELIER_TRY(geti("market.dhash_max_distance", o.dhash_max_distance));
    auto getp = [&](const char* key, double& out) -> Result<void> {
        auto s = config.get_string(key);
        try {
            std::size_t pos = 0;
            out = std::stod(s, &pos);
            if (pos == s.size() && out >= 0 && out <= 1) return ok();
        } catch (...) {}
        return fail(Errc::invalid_argument,
                    std::string(key) + " must be a probability between 0 and 1, not '" + s + "'");
    };
    ATELIER_TRY(getp("market.moderation_flag_explicit", o.moderation_flag_explicit));
    ATELIER_TRY(getp("market.moderation_flag_suggestive", o.moderation_flag_suggestive));
    o.moderation = config.get_string("market.moderation");
    if (o.moderation != "auto" && o.moderation != "required" && o.moderation != "off")
        return fail(Errc::invalid_argument, "market.moderation must be auto, required or off");
    o.c2pa_trust_anchors = config.get_string("market.c2pa_trust_anchors");
    o.tls_cert = config.get_string("market.tls_cert");
    o.tls_key = config.get_string("market.tls_key");
    o.metrics_token = config.get_string("market.metrics_token");
    auto fs = config.get_bool("market.fsync_chunks");
    if (!fs) return std::move(fs).error();
    o.fsync_chunks = *fs;
    auto al = config.get_bool("market.access_log");
    if (!al) return std::move(al).error();
    o.access_log = *al;
    if (o.chunk_bytes < 1024 || o.chunk_bytes > 64 * 1024 * 1024)
        return fail(Errc::invalid_argument, "market.chunk_bytes must be between 1 KiB and 64 MiB");
    if (o.platform_bp > 10000) return fail(Errc::invalid_argument, "market.platform_bp must be at most 10000");
    return o;
}

struct MarketApp::Impl {
    Context ctx;
    std::unique_ptr<HttpServer> server;
};

MarketApp::~MarketApp() = default;

namespace {
Result<void> prepare_dirs(const MarketOptions& o, Context& ctx) {
    if (o.data_dir.empty()) return fail(Errc::invalid_argument, "--data DIR is required");
    std::error_code ec;
    ctx.blobs_dir = o.data_dir / "blobs";
    ctx.uploads_dir = o.data_dir / "uploads";
    for (const auto& d : {o.data_dir, ctx.blobs_dir, ctx.uploads_dir}) {
        std::filesystem::create_directories(d, ec);
        if (ec) return fail(Errc::io_error, "cannot create '" + d.string() + "': " + ec.message());
    }
    return ok();
}
}  // namespace

Result<std::unique_ptr<MarketApp>> MarketApp::create(MarketOptions options) {
    ATELIER_TRY(crypto_init());
    std::unique_ptr<MarketApp> app(new MarketApp());
    app->m_impl = std::make_unique<Impl>();
    auto& ctx = app->m_impl->ctx;
    ctx.opt = options;
    ATELIER_TRY(prepare_dirs(options, ctx));
    auto db = Db::open(options.db, options.data_dir, options.db_pool);
    if (!db) return std::move(db).error();
    ctx.db = std::move(*db);
    auto key = SigningKey::load_or_create(options.data_dir / "keys");
    if (!key) return std::move(key).error();
    ctx.key = *key;
    ctx.auth_ip.set_limit(options.auth_per_minute_ip);
    ctx.auth_account.set_limit(options.auth_per_minute_account);
    ctx.upload_ip.set_limit(options.upload_per_minute_ip);
    ctx.upload_account.set_limit(options.upload_per_minute_account);
    ctx.payments = std::make_unique<TestPaymentProvider>();
    ATELIER_TRY(register_default_checks(ctx));

    Router router;
    add_ops_routes(router, ctx);
    add_account_routes(router, ctx);
    add_upload_routes(router, ctx);
    add_listing_routes(router, ctx);
    add_licence_routes(router, ctx);
    add_log_routes(router, ctx);
    add_admin_routes(router, ctx);
    app->m_impl->server = std::make_unique<HttpServer>(std::move(router), options.http);
    app->m_impl->server->set_access_log(options.access_log);
    ctx.server = app->m_impl->server.get();
    if (!options.tls_cert.empty() || !options.tls_key.empty()) {
        if (options.tls_cert.empty() || options.tls_key.empty())
            return fail(Errc::invalid_argument,
                        "TLS needs both --tls-cert and --tls-key (market.tls_cert, market.tls_key)");
        ATELIER_TRY(app->m_impl->server->enable_tls(options.tls_cert, options.tls_key));
    }
    ATELIER_TRY(app->m_impl->server->listen(options.listen));
    log_json("info", {{"msg", "atelier-market listening"},
                      {"address", options.listen},
                      {"port", app->port()},
                      {"tls", app->m_impl->server->tls()},
                      {"db", ctx.db->backend() == Backend::sqlite ? "sqlite" : "postgres"},
                      {"schema_version", ctx.db->schema_version()},
                      {"key_id", ctx.key.key_id()}});
    return app;
}

void MarketApp::run(bool handle_signals) {
    m_impl->server->run(handle_signals);
    log_json("info", {{"msg", "atelier-market stopped"}});
}
void MarketApp::stop() {
    m_impl->server->stop();
}
std::uint16_t MarketApp::port() const {
    return m_impl->server->port();
}
const Router& MarketApp::router() const {
    return m_impl->server->router();
}

Result<void> MarketApp::create_admin(const MarketOptions& options, const std::string& email,
                                     const std::string& password) {
    ATELIER_TRY(crypto_init());
    if (email.find('@') == std::string::npos || password.size() < 8)
        return fail(Errc::invalid_argument, "an admin needs an e-mail address and a password of 8 or more characters");
    Context ctx;
    ATELIER_TRY(prepare_dirs(options, ctx));
    auto db = Db::open(options.db, options.data_dir, 1);
    if (!db) return std::move(db).error();
    auto conn = (*db)->acquire();
    if (!conn) return std::move(conn).error();
    auto hash = hash_password(password);
    if (!hash) return std::move(hash).error();
    Tx tx(**conn);
    ATELIER_TRY(tx.begin(true));
    auto up = (*conn)->exec("UPDATE users SET role = 'admin', password_hash = $2 WHERE email = $1", {email, *hash});
    if (!up) return std::move(up).error();
    if (*up == 0) {
        auto ins = (*conn)->exec(
            "INSERT INTO users (id, email, password_hash, role, display_name, created) VALUES ($1, $2, $3, 'admin', "
            "$4, $5)",
            {random_hex_id(), email, *hash, std::string("admin"), now_s()});
        if (!ins) return std::move(ins).error();
    }
    return tx.commit();
}

}  // namespace atelier::market_server
