// SPDX-License-Identifier: MIT
#pragma once

/// \file http.h
/// The HTTP/1.1 layer of atelier-market, on Boost.Beast/Asio: an
/// asynchronous server (keep-alive, pipelining-safe sequential requests,
/// header/body limits checked before a byte of the body is read, per-phase
/// timeouts against slow clients, graceful shutdown that lets in-flight
/// requests finish), a router with `{param}` segments, request ids, a JSON
/// access log and Prometheus metrics. Handlers run on the I/O threads and
/// must not block for long (database calls are fine; they are short);
/// CPU-heavy handlers are registered with `Router::add_worker` and run on a
/// small bounded worker pool while the connection awaits them asynchronously.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/base/result.h"

namespace atelier::market_server {

/// Limits applied to every connection. Bodies larger than a route's limit get
/// 413 before being read; headers larger than `max_header_bytes` get 431.
struct HttpLimits {
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_body_bytes = 64 * 1024;  ///< default for routes that set none
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds body_timeout{60'000};
    std::chrono::milliseconds idle_timeout{30'000};  ///< keep-alive between requests
    std::chrono::milliseconds shutdown_grace{10'000};
    int threads = 0;  ///< I/O threads; 0 = max(2, cores)
    /// Worker threads for `Router::add_worker` routes (bounded: further
    /// requests queue on the pool, their connections wait without holding an
    /// I/O thread). 0 = 2.
    int worker_threads = 0;
};

/// A parsed request as a handler sees it. Owned by the connection for the
/// duration of the handler call.
struct Request {
    std::string method;  ///< "GET", "POST", ...
    std::string path;    ///< decoded path without the query
    std::map<std::string, std::string> query;
    std::map<std::string, std::string> params;   ///< from `{name}` route segments
    std::map<std::string, std::string> headers;  ///< lower-case names
    std::string body;
    std::string remote_ip;
    std::string request_id;
    std::string user_id;  ///< filled by handlers after authentication, for the log

    [[nodiscard]] std::string header(std::string_view name) const;
    [[nodiscard]] std::string query_or(const std::string& key, std::string fallback = {}) const;
};

/// A response. Either `body` or `file` (streamed from disk, never loaded whole).
struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::optional<std::filesystem::path> file;
    std::vector<std::pair<std::string, std::string>> headers;

    static Response json(int status, const nlohmann::json& body);
    /// `{"error":{"code":..., "message":...}}` — the one error shape of the API.
    static Response error(int status, std::string_view code, std::string_view message);
    void set_header(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

/// Maps an Error to an HTTP status (not_found → 404, conflict → 409, ...).
int status_for(Errc code);
Response error_response(const Error& error);

using Handler = std::function<Response(Request&)>;

/// Receives a request body piece by piece as it arrives (streaming routes),
/// so memory stays O(read buffer, 256 KiB) however large the body. Owned by
/// the connection; destroyed (without `finish`) when the client goes away
/// mid-body, so the destructor must release whatever the sink holds.
class BodySink {
public:
    virtual ~BodySink() = default;
    /// The next bytes of the body, in order. An error ends the request with
    /// `error_response(error)`; the rest of the body is not read and the
    /// connection closes.
    virtual Result<void> write(std::string_view piece) = 0;
    /// Called once, after the last byte arrived: the response.
    virtual Response finish() = 0;
};

/// First half of a streaming route: sees the request (headers, params,
/// query; `body` empty) before any body byte is read. Returns a Response to
/// refuse it (the body is not read; the connection closes when one was
/// announced) or a sink for the body. Streaming routes need Content-Length
/// (411 otherwise).
using StreamHandler = std::function<std::variant<Response, std::unique_ptr<BodySink>>(Request&)>;

struct Route {
    std::string method;
    std::string pattern;  ///< "/v1/listings/{id}"
    Handler handler;
    std::size_t max_body_bytes = 0;  ///< 0 = HttpLimits::max_body_bytes
    StreamHandler stream;            ///< set for streaming routes (then `handler` is empty)
    bool on_worker = false;          ///< `handler` runs on the worker pool, not an I/O thread
};

/// Route table. Registration happens before `HttpServer::run`; matching is
/// read-only and thread-safe afterwards.
class Router {
public:
    void add(std::string method, std::string pattern, Handler handler, std::size_t max_body_bytes = 0);
    /// A route whose handler is CPU-heavy (decoding, models): it runs on the
    /// server's worker pool (`HttpLimits::worker_threads`) and the I/O thread
    /// goes on serving other connections meanwhile. Same contract otherwise.
    void add_worker(std::string method, std::string pattern, Handler handler, std::size_t max_body_bytes = 0);
    /// A route whose body is streamed into a `BodySink` (see StreamHandler).
    void add_streaming(std::string method, std::string pattern, StreamHandler handler, std::size_t max_body_bytes);
    struct Match {
        const Route* route = nullptr;
        std::size_t index = 0;
        std::map<std::string, std::string> params;
        bool path_known = false;  ///< some route has this path (for 405)
    };
    [[nodiscard]] Match match(std::string_view method, std::string_view path) const;
    [[nodiscard]] const std::vector<Route>& routes() const { return m_routes; }

private:
    std::vector<Route> m_routes;
    std::vector<std::vector<std::string>> m_segments;
};

/// Request counters and latency histograms per route, in Prometheus text.
/// Thread-safe (atomics).
class Metrics {
public:
    explicit Metrics(std::size_t routes);
    void observe(std::size_t route, int status, double seconds);
    /// Prometheus exposition of the HTTP metrics, labelled with route patterns.
    [[nodiscard]] std::string render(const std::vector<Route>& routes) const;
    std::atomic<std::int64_t> in_flight{0};
    std::atomic<std::int64_t> connections{0};

private:
    static constexpr int kBuckets = 12;
    struct PerRoute {
        std::atomic<std::uint64_t> by_class[6]{};  // 1xx..5xx, index 0 unused
        std::atomic<std::uint64_t> buckets[kBuckets]{};
        std::atomic<std::uint64_t> count{0};
        std::atomic<std::uint64_t> sum_us{0};
    };
    std::unique_ptr<PerRoute[]> m_routes;
    std::size_t m_n;
};

/// The server. `listen` binds; `run` blocks until `stop` (or SIGINT/SIGTERM
/// when `handle_signals`) and in-flight requests finished. `stop` is
/// thread-safe and may be called from a handler or a signal.
class HttpServer {
public:
    HttpServer(Router router, HttpLimits limits);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Binds "host:port" (port 0 picks a free one). Errors: invalid_argument, io_error.
    Result<void> listen(const std::string& address);
    [[nodiscard]] std::uint16_t port() const;
    void run(bool handle_signals);
    void stop();

    [[nodiscard]] Metrics& metrics();
    [[nodiscard]] const Router& router() const;
    /// Access log on/off (one JSON line per request on stderr).
    void set_access_log(bool on);
    /// Serves HTTPS only from now on (TLS 1.2+, OpenSSL through Boost.Asio):
    /// `cert_chain` is a PEM file (server certificate first), `key` its PEM
    /// private key. Call before `run`. Errors: invalid_argument naming the file.
    Result<void> enable_tls(const std::filesystem::path& cert_chain, const std::filesystem::path& key);
    [[nodiscard]] bool tls() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// One JSON object per line on stderr (thread-safe, line-atomic). Adds "ts"
/// and "level". "info"/"debug" lines are buffered and written by a background
/// thread within 20 ms (no write(2) on the request path); other levels are
/// written at once, after whatever was buffered before them.
void log_json(std::string_view level, nlohmann::json fields);
/// The access-log line of one request (what log_json would write for
/// {"msg":"request", ...}, formatted without a JSON document).
void log_access(int status, std::string_view request_id, std::string_view method, std::string_view path, double ms,
                std::string_view ip, std::string_view user);
/// Writes out buffered log lines now (HttpServer::run does it when it returns).
void flush_logs();

/// Percent-decodes a URL component; nullopt on malformed escapes or NUL bytes.
std::optional<std::string> url_decode(std::string_view s, bool plus_is_space);

}  // namespace atelier::market_server
