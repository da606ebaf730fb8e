// SPDX-License-Identifier: MIT
#include "atelier/market_server/http.h"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <set>
#include <thread>

#include <sodium.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace atelier::market_server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

// ---------------------------------------------------------------- helpers

std::string Request::header(std::string_view name) const {
    auto it = headers.find(std::string(name));
    return it == headers.end() ? std::string() : it->second;
}

std::string Request::query_or(const std::string& key, std::string fallback) const {
    auto it = query.find(key);
    return it == query.end() ? std::move(fallback) : it->second;
}

Response Response::json(int status, const nlohmann::json& body) {
    Response r;
    r.status = status;
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

Response Response::error(int status, std::string_view code, std::string_view message) {
    return json(status, {{"error", {{"code", code}, {"message", message}}}});
}

int status_for(Errc code) {
    switch (code) {
        case Errc::invalid_argument:
            return 400;
        case Errc::corrupt_data:
            return 422;
        case Errc::unsupported:
            return 415;
        case Errc::not_found:
            return 404;
        case Errc::permission_denied:
            return 403;
        case Errc::conflict:
            return 409;
        case Errc::limit_exceeded:
            return 413;
        case Errc::busy:
            return 503;
        case Errc::verification_failed:
            return 422;
        case Errc::cancelled:
            return 499;
        case Errc::io_error:
        case Errc::internal:
            return 500;
    }
    return 500;
}

Response error_response(const Error& error) {
    return Response::error(status_for(error.code), errc_name(error.code), error.message);
}

std::optional<std::string> url_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            int h = hex(s[i + 1]), l = hex(s[i + 2]);
            if (h < 0 || l < 0) return std::nullopt;
            c = static_cast<char>(h * 16 + l);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0') return std::nullopt;
        out.push_back(c);
    }
    return out;
}

namespace {
// Structured log lines go through a buffer that a background thread writes
// out every 20 ms (or at 64 KiB): a request no longer pays a write(2) and a
// flush under a global lock. "warn" and "error" lines (and everything before
// them) are written at once. At most 20 ms of "info" lines can be lost to a
// kill -9; a normal exit (HttpServer::run returning, or static destruction)
// flushes everything.
class LogSink {
public:
    LogSink() {
        // The writer thread lives until static destruction, after main() has
        // blocked SIGTERM/SIGINT for its own exit path: it must never be the
        // thread a late signal is delivered to (the default action would turn a
        // clean exit into a kill). It is created with every signal blocked.
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        m_thread = std::thread([this] { loop(); });
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
    ~LogSink() {
        {
            std::lock_guard lock(m_mu);
            m_stop = true;
        }
        m_cv.notify_all();
        m_thread.join();
        flush();
    }
    void write(const std::string& line, bool urgent) {
        std::unique_lock lock(m_mu);
        m_buffer += line;
        if (urgent || m_buffer.size() >= 64 * 1024) take_and_emit(lock);
    }
    void flush() {
        std::unique_lock lock(m_mu);
        take_and_emit(lock);
    }

private:
    // Takes the buffer and writes it out. The write lock is taken before the
    // buffer lock is released, so chunks reach stderr in the order they were
    // taken (lock order: m_mu, then m_write_mu).
    void take_and_emit(std::unique_lock<std::mutex>& lock) {
        if (m_buffer.empty()) return;
        std::string out;
        out.swap(m_buffer);
        {
            std::lock_guard wl(m_write_mu);
            lock.unlock();
            std::fwrite(out.data(), 1, out.size(), stderr);
            std::fflush(stderr);
        }  // released before m_mu is taken again (never hold m_write_mu while waiting for m_mu)
        lock.lock();
    }
    void loop() {
        std::unique_lock lock(m_mu);
        while (!m_stop) {
            m_cv.wait_for(lock, std::chrono::milliseconds(20));
            take_and_emit(lock);
        }
    }
    std::mutex m_mu, m_write_mu;
    std::condition_variable m_cv;
    std::string m_buffer;
    bool m_stop = false;
    std::thread m_thread;
};

LogSink& log_sink() {
    static LogSink sink;
    return sink;
}

std::string now_iso() {
    auto now = std::chrono::system_clock::now();
    auto t = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

std::vector<std::string> split_path(std::string_view p) {
    std::vector<std::string> out;
    std::size_t i = 0;
    if (!p.empty() && p[0] == '/') i = 1;
    while (i <= p.size()) {
        auto j = p.find('/', i);
        if (j == std::string_view::npos) j = p.size();
        out.emplace_back(p.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

// Request ids only need to be unique, not secret: a per-thread xorshift seeded
// from libsodium once (no system call per request).
std::string random_id() {
    thread_local std::uint64_t state = [] {
        std::uint64_t seed = 0;
        while (seed == 0)
            randombytes_buf(&seed, sizeof seed);
        return seed;
    }();
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    static const char* d = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 0; i < 16; ++i)
        s[static_cast<std::size_t>(i)] = d[(state >> (4 * i)) & 15];
    return s;
}

constexpr double kBucketBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0};
}  // namespace

void log_json(std::string_view level, nlohmann::json fields) {
    nlohmann::json line = {{"ts", now_iso()}, {"level", level}};
    line.update(fields);
    auto s = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    s.push_back('\n');
    log_sink().write(std::move(s), level != "info" && level != "debug");
}

void flush_logs() {
    log_sink().flush();
}

namespace {
// Appends `v` as a JSON string. Printable ASCII is copied as is (the usual
// case for paths, ids and addresses); anything else goes through nlohmann
// (escapes, invalid UTF-8 replaced), exactly as log_json writes it.
void append_json_str(std::string& out, std::string_view v) {
    bool plain = true;
    for (unsigned char c : v)
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            plain = false;
            break;
        }
    if (plain) {
        out += '"';
        out += v;
        out += '"';
    } else {
        out += nlohmann::json(std::string(v)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
}
}  // namespace

void log_access(int status, std::string_view rid, std::string_view method, std::string_view path, double ms,
                std::string_view ip, std::string_view user) {
    // The same line log_json would write (keys in nlohmann's order), built
    // without a JSON document: this runs once per request.
    std::string line;
    line.reserve(256 + path.size());
    line += "{\"ip\":";
    append_json_str(line, ip);
    line += status >= 500 ? ",\"level\":\"error\",\"method\":" : ",\"level\":\"info\",\"method\":";
    append_json_str(line, method);
    char num[64];
    std::snprintf(num, sizeof num, ",\"ms\":%.3f", ms);
    line += num;
    line += ",\"msg\":\"request\",\"path\":";
    append_json_str(line, path);
    line += ",\"request_id\":";
    append_json_str(line, rid);
    std::snprintf(num, sizeof num, ",\"status\":%d,\"ts\":\"", status);
    line += num;
    line += now_iso();
    line += "\",\"user\":";
    append_json_str(line, user);
    line += "}\n";
    log_sink().write(line, status >= 500);
}

// ---------------------------------------------------------------- router

void Router::add(std::string method, std::string pattern, Handler handler, std::size_t max_body_bytes) {
    m_segments.push_back(split_path(pattern));
    m_routes.push_back(Route{std::move(method), std::move(pattern), std::move(handler), max_body_bytes, {}});
}

void Router::add_worker(std::string method, std::string pattern, Handler handler, std::size_t max_body_bytes) {
    add(std::move(method), std::move(pattern), std::move(handler), max_body_bytes);
    m_routes.back().on_worker = true;
}

void Router::add_streaming(std::string method, std::string pattern, StreamHandler handler, std::size_t max_body_bytes) {
    m_segments.push_back(split_path(pattern));
    m_routes.push_back(Route{std::move(method), std::move(pattern), Handler{}, max_body_bytes, std::move(handler)});
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
    Match m;
    auto raw = split_path(path);
    for (std::size_t r = 0; r < m_routes.size(); ++r) {
        const auto& segs = m_segments[r];
        if (segs.size() != raw.size()) continue;
        std::map<std::string, std::string> params;
        bool ok = true;
        for (std::size_t i = 0; i < segs.size() && ok; ++i) {
            const auto& s = segs[i];
            if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
                auto v = url_decode(raw[i], false);
                if (!v || v->empty())
                    ok = false;
                else
                    params[s.substr(1, s.size() - 2)] = std::move(*v);
            } else {
                ok = s == raw[i];
            }
        }
        if (!ok) continue;
        m.path_known = true;
        if (m_routes[r].method == method) {
            m.route = &m_routes[r];
            m.index = r;
            m.params = std::move(params);
            return m;
        }
    }
    return m;
}

// ---------------------------------------------------------------- metrics

Metrics::Metrics(std::size_t routes) : m_routes(new PerRoute[routes + 1]), m_n(routes + 1) {}

void Metrics::observe(std::size_t route, int status, double seconds) {
    if (route >= m_n) route = m_n - 1;
    auto& r = m_routes[route];
    int cls = std::clamp(status / 100, 1, 5);
    r.by_class[cls].fetch_add(1, std::memory_order_relaxed);
    r.count.fetch_add(1, std::memory_order_relaxed);
    r.sum_us.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
    int b = 0;
    while (b < kBuckets - 1 && seconds > kBucketBounds[b])
        ++b;
    r.buckets[b].fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render(const std::vector<Route>& routes) const {
    std::string out;
    out += "# HELP atelier_http_requests_total HTTP requests by route and status class.\n";
    out += "# TYPE atelier_http_requests_total counter\n";
    auto label = [&](std::size_t i) {
        return i < routes.size() ? routes[i].method + " " + routes[i].pattern : std::string("unmatched");
    };
    for (std::size_t i = 0; i < m_n; ++i) {
        for (int c = 1; c <= 5; ++c) {
            auto v = m_routes[i].by_class[c].load();
            if (v == 0) continue;
            out += "atelier_http_requests_total{route=\"" + label(i) + "\",status=\"" + std::to_string(c) + "xx\"} " +
                   std::to_string(v) + "\n";
        }
    }
    out += "# HELP atelier_http_request_duration_seconds Request latency.\n";
    out += "# TYPE atelier_http_request_duration_seconds histogram\n";
    for (std::size_t i = 0; i < m_n; ++i) {
        auto count = m_routes[i].count.load();
        if (count == 0) continue;
        std::uint64_t cum = 0;
        for (int b = 0; b < kBuckets; ++b) {
            cum += m_routes[i].buckets[b].load();
            std::string le = b < kBuckets - 1 ? std::to_string(kBucketBounds[b]) : "+Inf";
            out += "atelier_http_request_duration_seconds_bucket{route=\"" + label(i) + "\",le=\"" + le + "\"} " +
                   std::to_string(cum) + "\n";
        }
        out += "atelier_http_request_duration_seconds_sum{route=\"" + label(i) + "\"} " +
               std::to_string(static_cast<double>(m_routes[i].sum_us.load()) / 1e6) + "\n";
        out +=
            "atelier_http_request_duration_seconds_count{route=\"" + label(i) + "\"} " + std::to_string(count) + "\n";
    }
    out += "# TYPE atelier_http_in_flight gauge\natelier_http_in_flight " + std::to_string(in_flight.load()) + "\n";
    out +=
        "# TYPE atelier_http_connections gauge\natelier_http_connections " + std::to_string(connections.load()) + "\n";
    return out;
}

// ---------------------------------------------------------------- server

struct SessionState {
    asio::any_io_executor executor;
    beast::tcp_stream* stream = nullptr;
    bool busy = false;  // touched only on the session's strand
    bool alive = true;  // idem
};

struct HttpServer::Impl {
    Router router;
    HttpLimits limits;
    Metrics metrics;
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    // CPU-heavy handlers (Router::add_worker) run here; declared after ioc so
    // that it is joined before the io_context goes away.
    asio::thread_pool workers;
    asio::signal_set signals{ioc};
    std::atomic<bool> stopping{false};
    std::atomic<bool> access_log{true};
    std::mutex mu;
    std::condition_variable cv;
    std::set<std::shared_ptr<SessionState>> sessions;
    std::unique_ptr<asio::ssl::context> tls;  ///< set: every connection speaks TLS

    Impl(Router r, HttpLimits l)
        : router(std::move(r)),
          limits(l),
          metrics(router.routes().size()),
          workers(static_cast<std::size_t>(l.worker_threads > 0 ? l.worker_threads : 2)) {}

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> session(tcp::socket socket);
    template <class Stream>
    asio::awaitable<void> serve(Stream& stream, beast::tcp_stream& lowest, const std::string& remote,
                                SessionState& state);
    Response dispatch(Request& req, const Router::Match& m);
};

HttpServer::HttpServer(Router router, HttpLimits limits) : m_impl(std::make_unique<Impl>(std::move(router), limits)) {}
HttpServer::~HttpServer() = default;
Metrics& HttpServer::metrics() {
    return m_impl->metrics;
}
const Router& HttpServer::router() const {
    return m_impl->router;
}
void HttpServer::set_access_log(bool on) {
    m_impl->access_log = on;
}

Result<void> HttpServer::enable_tls(const std::filesystem::path& cert_chain, const std::filesystem::path& key) {
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    beast::error_code ec;
    // TLS 1.2 and 1.3 only; OpenSSL's default cipher list otherwise.
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                         asio::ssl::context::single_dh_use,
                     ec);
    if (!ec) ctx->use_certificate_chain_file(cert_chain.string(), ec);
    if (ec)
        return fail(Errc::invalid_argument, "cannot use TLS certificate '" + cert_chain.string() +
                                                "': " + ec.message() + " (a PEM certificate chain is expected)");
    ctx->use_private_key_file(key.string(), asio::ssl::context::pem, ec);
    if (ec)
        return fail(Errc::invalid_argument, "cannot use TLS private key '" + key.string() + "': " + ec.message() +
                                                " (a PEM key matching the certificate is expected)");
    m_impl->tls = std::move(ctx);
    return ok();
}

bool HttpServer::tls() const {
    return m_impl->tls != nullptr;
}

Result<void> HttpServer::listen(const std::string& address) {
    auto colon = address.rfind(':');
    if (colon == std::string::npos)
        return fail(Errc::invalid_argument, "listen address '" + address + "' must be HOST:PORT, e.g. 127.0.0.1:8780");
    std::string host = address.substr(0, colon);
    int port = 0;
    try {
        port = std::stoi(address.substr(colon + 1));
    } catch (...) {
        port = -1;
    }
    if (port < 0 || port > 65535)
        return fail(Errc::invalid_argument, "listen address '" + address + "' has no valid port (0-65535)");
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    beast::error_code ec;
    auto ip = asio::ip::make_address(host, ec);
    if (ec) return fail(Errc::invalid_argument, "listen address '" + host + "' is not an IP address");
    tcp::endpoint ep(ip, static_cast<unsigned short>(port));
    auto& a = m_impl->acceptor;
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail(Errc::io_error, "cannot listen on " + address + ": " + ec.message());
    return ok();
}

std::uint16_t HttpServer::port() const {
    beast::error_code ec;
    auto ep = m_impl->acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

void HttpServer::stop() {
    auto* impl = m_impl.get();
    if (impl->stopping.exchange(true)) return;
    asio::post(impl->ioc, [impl] {
        beast::error_code ec;
        impl->acceptor.close(ec);
        std::lock_guard lock(impl->mu);
        for (const auto& s : impl->sessions) {
            asio::post(s->executor, [s] {
                if (s->alive && !s->busy && s->stream) s->stream->socket().close();
            });
        }
        impl->cv.notify_all();
    });
}

void HttpServer::run(bool handle_signals) {
    auto* impl = m_impl.get();
    if (handle_signals) {
        impl->signals.add(SIGINT);
        impl->signals.add(SIGTERM);
        // The handler re-arms itself, so a second SIGTERM during the drain is
        // absorbed instead of killing the process mid-request.
        auto handler = std::make_shared<std::function<void(const beast::error_code&, int)>>();
        *handler = [this, impl, handler](const beast::error_code& ec, int) {
            if (ec) return;
            log_json("info", {{"msg", "shutting down: finishing in-flight requests"}});
            stop();
            impl->signals.async_wait(*handler);
        };
        impl->signals.async_wait(*handler);
    }
    asio::co_spawn(impl->ioc, impl->accept_loop(), asio::detached);
    int n = impl->limits.threads > 0 ? impl->limits.threads
                                     : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
    // Watchdog: once stopping, wait for sessions to drain, at most the grace period.
    std::thread watchdog([impl] {
        std::unique_lock lock(impl->mu);
        impl->cv.wait(lock, [impl] { return impl->stopping.load(); });
        impl->cv.wait_for(lock, impl->limits.shutdown_grace, [impl] { return impl->sessions.empty(); });
        lock.unlock();
        impl->ioc.stop();
    });
    std::vector<std::thread> threads;
    for (int i = 1; i < n; ++i)
        threads.emplace_back([impl] { impl->ioc.run(); });
    impl->ioc.run();
    for (auto& t : threads)
        t.join();
    impl->workers.join();  // handlers still running finish before run() returns
    flush_logs();
    {
        std::lock_guard lock(impl->mu);
        impl->stopping = true;
        impl->cv.notify_all();
    }
    watchdog.join();
}

asio::awaitable<void> HttpServer::Impl::accept_loop() {
    for (;;) {
        beast::error_code ec;
        tcp::socket socket =
            co_await acceptor.async_accept(asio::make_strand(ioc), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (stopping || ec == asio::error::operation_aborted) co_return;
            continue;  // e.g. EMFILE: try again
        }
        beast::error_code ig;
        socket.set_option(tcp::no_delay(true), ig);
        auto ex = socket.get_executor();
        asio::co_spawn(ex, session(std::move(socket)), asio::detached);
    }
}

namespace {
template <class Stream>
asio::awaitable<beast::error_code> write_simple(Stream& stream, int status, std::string_view code,
                                                std::string_view message, const std::string& rid) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, "application/json");
    res.set("X-Request-Id", rid);
    res.keep_alive(false);
    res.body() = Response::error(status, code, message).body;
    res.prepare_payload();
    beast::error_code ec;
    co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    co_return ec;
}
}  // namespace

asio::awaitable<void> HttpServer::Impl::session(tcp::socket socket) {
    auto state = std::make_shared<SessionState>();
    state->executor = socket.get_executor();
    std::string remote;
    {
        beast::error_code ec;
        auto ep = socket.remote_endpoint(ec);
        if (!ec) remote = ep.address().to_string();
    }
    auto enter = [&](beast::tcp_stream& lowest) {
        state->stream = &lowest;
        std::lock_guard lock(mu);
        sessions.insert(state);
    };
    metrics.connections++;
    if (!tls) {
        beast::tcp_stream stream(std::move(socket));
        enter(stream);
        co_await serve(stream, stream, remote, *state);
        beast::error_code ig;
        stream.socket().shutdown(tcp::socket::shutdown_send, ig);
    } else {
        beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
        auto& lowest = beast::get_lowest_layer(stream);
        enter(lowest);
        lowest.expires_after(limits.header_timeout);
        beast::error_code ec;
        co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
            co_await serve(stream, lowest, remote, *state);
            // close_notify, bounded: a peer that vanished must not hold the session.
            lowest.expires_after(std::chrono::seconds(2));
            co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
        }
        beast::error_code ig;
        lowest.socket().shutdown(tcp::socket::shutdown_send, ig);
    }
    state->alive = false;
    state->stream = nullptr;
    metrics.connections--;
    {
        std::lock_guard lock(mu);
        sessions.erase(state);
        cv.notify_all();
    }
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::serve(Stream& stream, beast::tcp_stream& lowest, const std::string& remote,
                                              SessionState& st) {
    auto* state = &st;
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
        if (stopping) break;
        state->busy = false;
        bhttp::request_parser<bhttp::empty_body> hp;
        hp.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
        // The route's limit is applied below, before the body is read. (Not boost::none:
        // Boost 1.74 compares the length against an empty optional as "greater".)
        hp.body_limit(std::numeric_limits<std::uint64_t>::max());
        // Time to the end of the header: header_timeout for the first request,
        // idle + header timeout for keep-alive follow-ups.
        lowest.expires_after(first ? limits.header_timeout : limits.idle_timeout + limits.header_timeout);
        first = false;
        beast::error_code ec;
        co_await bhttp::async_read_header(stream, buffer, hp, asio::redirect_error(asio::use_awaitable, ec));
        std::string rid = random_id();
        if (ec) {
            if (ec == bhttp::error::header_limit) {
                lowest.expires_after(std::chrono::seconds(5));
                co_await write_simple(stream, 431, "header_too_large",
                                      "request headers exceed " + std::to_string(limits.max_header_bytes) + " bytes",
                                      rid);
            } else if (ec != bhttp::error::end_of_stream && ec != beast::error::timeout &&
                       ec != asio::error::operation_aborted && ec != asio::error::connection_reset &&
                       ec != asio::error::eof && ec != asio::error::bad_descriptor &&
                       ec != asio::ssl::error::stream_truncated) {
                lowest.expires_after(std::chrono::seconds(5));
                co_await write_simple(stream, 400, "bad_request", "malformed HTTP request: " + ec.message(), rid);
            }
            break;
        }
        state->busy = true;
        metrics.in_flight++;
        auto start = std::chrono::steady_clock::now();

        Request req;
        req.request_id = rid;
        req.remote_ip = remote;
        const auto& hdr = hp.get();
        req.method = std::string(hdr.method_string());
        std::string_view target = hdr.target();
        std::string_view raw_path = target.substr(0, target.find('?'));
        std::string_view raw_query = target.size() > raw_path.size() ? target.substr(raw_path.size() + 1) : "";
        Response res;
        bool close_after = !hdr.keep_alive();
        std::size_t route_index = router.routes().size();
        bool bad = false;
        if (raw_path.empty() || raw_path[0] != '/') {
            res = Response::error(400, "bad_request", "request target must be an absolute path");
            bad = true;
        }
        // Query: key=value pairs, percent-decoded.
        while (!bad && !raw_query.empty()) {
            auto amp = raw_query.find('&');
            auto part = raw_query.substr(0, amp);
            raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
            if (part.empty()) continue;
            auto eq = part.find('=');
            auto k = url_decode(part.substr(0, eq), true);
            auto v = url_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true);
            if (!k || !v) {
                res = Response::error(400, "bad_request", "malformed percent-encoding in the query string");
                bad = true;
                break;
            }
            req.query[*k] = *v;
        }
        Router::Match m;
        if (!bad) {
            auto p = url_decode(raw_path, false);
            if (!p) {
                res = Response::error(400, "bad_request", "malformed percent-encoding in the path");
                bad = true;
            } else {
                req.path = *p;
                m = router.match(req.method, raw_path);
                if (!m.route) {
                    res = m.path_known ? Response::error(405, "method_not_allowed",
                                                         req.method + " is not allowed on " + req.path)
                                       : Response::error(404, "not_found", "no route for " + req.path);
                    bad = true;
                } else {
                    route_index = m.index;
                }
            }
        }
        std::size_t limit = m.route && m.route->max_body_bytes ? m.route->max_body_bytes : limits.max_body_bytes;
        bool read_ok = true;
        if (hdr.has_content_length() && hp.content_length() && *hp.content_length() > limit) {
            res = Response::error(413, "body_too_large",
                                  "request body exceeds " + std::to_string(limit) + " bytes for this route");
            close_after = true;
            read_ok = false;
        } else if (hdr.chunked() || (hp.content_length() && *hp.content_length() > 0)) {
            if (beast::iequals(hdr[bhttp::field::expect], "100-continue")) {
                bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
                lowest.expires_after(limits.body_timeout);
                beast::error_code wec;
                co_await bhttp::async_write(stream, cont, asio::redirect_error(asio::use_awaitable, wec));
                if (wec) read_ok = false;
            }
        }
        // Header fields (lower-case names), taken before the parser is converted for the body.
        if (read_ok && !bad) {
            for (const auto& f : hp.get()) {
                std::string name(f.name_string());
                std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
                auto& slot = req.headers[name];
                if (!slot.empty()) slot += ", ";
                slot += std::string(f.value());
            }
        }
        bool streamed = false;
        if (read_ok && !bad && m.route->stream) {
            // Streaming route: the handler sees the headers first, then the body
            // goes to its sink in pieces straight from the socket.
            streamed = true;
            req.params = std::move(m.params);
            if (hdr.chunked() || !hp.content_length()) {
                res = Response::error(411, "length_required", "send the body with a Content-Length header");
                close_after = true;
            } else {
                std::variant<Response, std::unique_ptr<BodySink>> opened;
                try {
                    opened = m.route->stream(req);
                } catch (const std::exception& e) {
                    log_json("error", {{"msg", "handler threw"}, {"request_id", req.request_id}, {"what", e.what()}});
                    opened = Response::error(500, "internal", "internal error; the request id is " + req.request_id);
                }
                std::uint64_t remaining = *hp.content_length();
                if (auto* r = std::get_if<Response>(&opened)) {
                    res = std::move(*r);
                    if (remaining > 0) close_after = true;  // the body stays unread
                } else {
                    auto sink = std::move(std::get<std::unique_ptr<BodySink>>(opened));
                    bool broken = false;
                    Result<void> wr = ok();
                    auto feed = [&](const char* p, std::size_t n) {
                        try {
                            wr = sink->write(std::string_view(p, n));
                        } catch (const std::exception& e) {
                            wr = fail(Errc::internal, std::string("writing the body failed: ") + e.what());
                        }
                        remaining -= n;
                    };
                    if (buffer.size() > 0 && remaining > 0) {
                        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buffer.size()));
                        auto b = buffer.data();
                        // flat_buffer: one contiguous region.
                        feed(static_cast<const char*>(b.data()), n);
                        buffer.consume(n);
                    }
                    if (remaining > 0 && wr) {
                        std::vector<char> piece(std::min<std::uint64_t>(remaining, 256 * 1024));
                        lowest.expires_after(limits.body_timeout);
                        while (remaining > 0 && wr) {
                            beast::error_code bec;
                            auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, piece.size()));
                            std::size_t n = co_await stream.async_read_some(
                                asio::buffer(piece.data(), want), asio::redirect_error(asio::use_awaitable, bec));
                            if (n > 0) feed(piece.data(), n);
                            if (bec) {
                                broken = true;
                                break;
                            }
                        }
                    }
                    if (broken && remaining > 0) {
                        // Broken or timed out mid-body: nothing to answer; the sink cleans up.
                        metrics.in_flight--;
                        break;
                    }
                    if (!wr) {
                        res = error_response(wr.error());
                        close_after = remaining > 0;
                    } else {
                        try {
                            res = sink->finish();
                        } catch (const std::exception& e) {
                            log_json("error",
                                     {{"msg", "handler threw"}, {"request_id", req.request_id}, {"what", e.what()}});
                            res =
                                Response::error(500, "internal", "internal error; the request id is " + req.request_id);
                        }
                    }
                }
            }
        }
        if (streamed) {
        } else if (read_ok && !hdr.chunked() && hp.content_length()) {
            // Content-Length body (already checked against the limit): one buffer of exactly
            // that size, filled by large reads straight from the socket — one copy, no 64 KiB
            // parser steps (this is what makes 8 MiB upload chunks cheap).
            auto n = static_cast<std::size_t>(*hp.content_length());
            std::string body(n, '\0');
            std::size_t have = std::min(n, buffer.size());
            asio::buffer_copy(asio::buffer(body.data(), have), buffer.data(), have);
            buffer.consume(have);
            if (have < n) {
                lowest.expires_after(limits.body_timeout);
                beast::error_code bec;
                co_await asio::async_read(stream, asio::buffer(body.data() + have, n - have),
                                          asio::redirect_error(asio::use_awaitable, bec));
                if (bec) {
                    // Broken or timed out (tcp_stream closes the socket on time-out): nothing to answer.
                    metrics.in_flight--;
                    break;
                }
            }
            req.body = std::move(body);
        } else if (read_ok) {
            // Chunked transfer encoding (or no length): Beast's parser with the route's limit.
            bhttp::request_parser<bhttp::string_body> bp(std::move(hp));
            bp.body_limit(limit);
            lowest.expires_after(limits.body_timeout);
            beast::error_code bec;
            co_await bhttp::async_read(stream, buffer, bp, asio::redirect_error(asio::use_awaitable, bec));
            if (bec == bhttp::error::body_limit) {
                res = Response::error(413, "body_too_large",
                                      "request body exceeds " + std::to_string(limit) + " bytes for this route");
                close_after = true;
                read_ok = false;
            } else if (bec) {
                metrics.in_flight--;
                break;  // connection broke mid-body: nothing to answer
            } else {
                req.body = std::move(bp.get().body());
            }
        }
        if (read_ok && !bad && !streamed) {
            req.params = std::move(m.params);
            if (m.route->on_worker) {
                // Off the I/O thread: the coroutine resumes on its strand when
                // the worker is done; other connections are served meanwhile.
                res = co_await asio::co_spawn(
                    workers, [this, &req, &m]() -> asio::awaitable<Response> { co_return dispatch(req, m); },
                    asio::use_awaitable);
            } else {
                res = dispatch(req, m);
            }
        }
        if (stopping) close_after = true;

        beast::error_code wec;
        if (res.file) {
            bhttp::response<bhttp::file_body> out{static_cast<bhttp::status>(res.status), 11};
            bhttp::file_body::value_type body;
            body.open(res.file->c_str(), beast::file_mode::scan, wec);
            if (wec) {
                res = Response::error(500, "internal", "stored file is unreadable");
                res.file.reset();
            } else {
                out.body() = std::move(body);
                out.set(bhttp::field::content_type, res.content_type);
                out.set("X-Request-Id", rid);
                for (auto& [k, v] : res.headers)
                    out.set(k, v);
                out.keep_alive(!close_after);
                out.prepare_payload();
                lowest.expires_after(limits.body_timeout);
                beast::error_code e2;
                co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, e2));
                wec = e2;
            }
        }
        if (!res.file) {
            bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), 11};
            out.set(bhttp::field::server, "atelier-market");
            if (!res.content_type.empty()) out.set(bhttp::field::content_type, res.content_type);
            out.set("X-Request-Id", rid);
            for (auto& [k, v] : res.headers)
                out.set(k, v);
            out.keep_alive(!close_after);
            out.body() = std::move(res.body);
            out.prepare_payload();
            lowest.expires_after(limits.body_timeout);
            beast::error_code e2;
            co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, e2));
            wec = e2;
        }
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        metrics.observe(route_index, res.status, secs);
        metrics.in_flight--;
        if (access_log) {
            log_access(res.status, rid, req.method, req.path, secs * 1000.0, remote, req.user_id);
        }
        if (wec || close_after) break;
    }
}

Response HttpServer::Impl::dispatch(Request& req, const Router::Match& m) {
    try {
        return m.route->handler(req);
    } catch (const std::exception& e) {
        log_json("error", {{"msg", "handler threw"}, {"request_id", req.request_id}, {"what", e.what()}});
        return Response::error(500, "internal", "internal error; the request id is " + req.request_id);
    }
}

}  // namespace atelier::market_server
