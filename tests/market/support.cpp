// SPDX-License-Identifier: MIT
#include "support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "atelier/base/hash.h"
#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"

namespace market_test {

namespace fs = std::filesystem;

json HttpResponse::js() const {
    auto j = json::parse(body, nullptr, false);
    return j.is_discarded() ? json() : j;
}

std::string HttpResponse::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

int connect_raw(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

bool send_all(int fd, const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
        auto n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return false;
        off += static_cast<std::size_t>(n);
    }
    return true;
}

HttpResponse read_response(int fd, std::chrono::milliseconds timeout) {
    HttpResponse r;
    std::string buf;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t header_end = std::string::npos;
    std::size_t content_length = 0;
    auto read_more = [&]() -> bool {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        char tmp[65536];
        auto n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) return false;
        buf.append(tmp, static_cast<std::size_t>(n));
        return true;
    };
    while ((header_end = buf.find("\r\n\r\n")) == std::string::npos)
        if (!read_more()) return r;
    std::istringstream hs(buf.substr(0, header_end));
    std::string line;
    std::getline(hs, line);
    if (line.size() < 12) return r;
    int status = std::atoi(line.substr(9, 3).c_str());
    while (std::getline(hs, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string k = line.substr(0, colon);
        for (auto& ch : k)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::string v = line.substr(colon + 1);
        while (!v.empty() && v.front() == ' ')
            v.erase(0, 1);
        r.headers[k] = v;
    }
    if (r.headers.count("content-length")) content_length = std::stoull(r.headers["content-length"]);
    while (buf.size() < header_end + 4 + content_length)
        if (!read_more()) return r;
    r.body = buf.substr(header_end + 4, content_length);
    r.status = status;
    return r;
}

bool closed_by_server(int fd, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        char tmp[4096];
        auto n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) return true;
    }
}

HttpClient::~HttpClient() {
    close();
}

void HttpClient::close() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
}

bool HttpClient::connect() {
    if (m_fd >= 0) return true;
    m_fd = connect_raw(m_port);
    return m_fd >= 0;
}

HttpResponse HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                                 const std::map<std::string, std::string>& headers) {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& [k, v] : headers)
        req += k + ": " + v + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n";
    req += body;
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!connect()) return {};
        if (!send_all(m_fd, req)) {
            close();
            continue;
        }
        auto r = read_response(m_fd, std::chrono::milliseconds(30000));
        if (r.status == 0) {
            close();
            continue;  // the server closed an idle keep-alive connection: retry once
        }
        if (r.header("connection") == "close") close();
        return r;
    }
    return {};
}

HttpResponse HttpClient::get(const std::string& target, const std::string& token) {
    std::map<std::string, std::string> h;
    if (!token.empty()) h["Authorization"] = "Bearer " + token;
    return request("GET", target, {}, h);
}

HttpResponse HttpClient::post(const std::string& target, const json& body, const std::string& token,
                              std::map<std::string, std::string> headers) {
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    headers["Content-Type"] = "application/json";
    return request("POST", target, body.is_null() ? std::string() : body.dump(), headers);
}

fs::path market_binary() {
    return fs::path(ATELIER_BINARY_DIR) / "app/market/atelier-market";
}

fs::path temp_dir(const std::string& name) {
    static std::atomic<int> n{0};
    auto d = fs::path(ATELIER_BINARY_DIR) / "market-test-tmp" /
             (name + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

ServerProcess::ServerProcess(Options options) : m_opt(std::move(options)) {}

ServerProcess::~ServerProcess() {
    if (m_pid > 0) kill9();
}

bool ServerProcess::running() {
    if (m_pid <= 0) return false;
    int st = 0;
    return ::waitpid(m_pid, &st, WNOHANG) == 0;
}

bool ServerProcess::start() {
    fs::create_directories(m_opt.data_dir);
    auto cfg = m_opt.data_dir.parent_path() / (m_opt.data_dir.filename().string() + ".conf");
    {
        std::ofstream out(cfg);
        for (const auto& [k, v] : m_opt.config)
            out << k << " = " << v << "\n";
    }
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) return false;
    std::string listen = "127.0.0.1:" + std::to_string(m_opt.port);
    auto log = m_opt.data_dir.parent_path() / (m_opt.data_dir.filename().string() + ".log");
    m_pid = ::fork();
    if (m_pid == 0) {
        ::dup2(pipefd[1], 1);
        int lf = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (lf >= 0) ::dup2(lf, 2);
        auto bin = market_binary().string();
        auto data = m_opt.data_dir.string();
        auto cfgs = cfg.string();
        ::execl(bin.c_str(), bin.c_str(), "--data", data.c_str(), "--listen", listen.c_str(), "--db", m_opt.db.c_str(),
                "--config", cfgs.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(pipefd[1]);
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{pipefd[0], POLLIN, 0};
        if (::poll(&p, 1, 200) > 0) {
            char b[256];
            auto n = ::read(pipefd[0], b, sizeof b);
            if (n <= 0) break;
            out.append(b, static_cast<std::size_t>(n));
            auto pos = out.find("listening on port ");
            if (pos != std::string::npos && out.find('\n', pos) != std::string::npos) {
                m_port = std::atoi(out.c_str() + pos + 18);
                m_opt.port = m_port;  // a restart reuses the port
                ::close(pipefd[0]);
                return true;
            }
        }
        if (!running()) break;
    }
    ::close(pipefd[0]);
    std::ifstream lf(log);
    std::stringstream ss;
    ss << lf.rdbuf();
    ADD_FAILURE() << "atelier-market did not start: " << ss.str();
    return false;
}

void ServerProcess::kill9() {
    if (m_pid <= 0) return;
    ::kill(m_pid, SIGKILL);
    int st = 0;
    ::waitpid(m_pid, &st, 0);
    m_pid = -1;
}

int ServerProcess::terminate() {
    if (m_pid <= 0) return -1;
    ::kill(m_pid, SIGTERM);
    int st = 0;
    for (int i = 0; i < 300; ++i) {
        if (::waitpid(m_pid, &st, WNOHANG) == m_pid) {
            m_pid = -1;
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill9();
    return -1;
}

// ------------------------------------------------------------------ PostgreSQL

namespace {
std::mutex g_pg_mu;
std::string g_pg_base;
fs::path g_pg_state;

void stop_own_cluster() {
    if (!g_pg_state.empty()) {
        std::string cmd = std::string(ATELIER_SOURCE_DIR) + "/tests/market/pg.sh stop '" + g_pg_state.string() + "'";
        (void)std::system(cmd.c_str());
    }
}

std::string pg_base() {
    std::lock_guard lock(g_pg_mu);
    if (!g_pg_base.empty()) return g_pg_base;
    // The cluster ctest's fixture started (market_pg_start) ...
    auto shared = fs::path(ATELIER_BINARY_DIR) / "market-pg" / "dsn";
    if (const char* env = std::getenv("ATELIER_MARKET_PG_STATE")) shared = fs::path(env) / "dsn";
    std::ifstream in(shared);
    std::string dsn;
    if (in && std::getline(in, dsn) && !dsn.empty()) {
        PGconn* c = PQconnectdb(dsn.c_str());
        bool ok = PQstatus(c) == CONNECTION_OK;
        PQfinish(c);
        if (ok) return g_pg_base = dsn;
    }
    // ... or one of our own for this process.
    g_pg_state = temp_dir("pg-state");
    std::string cmd = std::string(ATELIER_SOURCE_DIR) + "/tests/market/pg.sh start '" + g_pg_state.string() + "'";
    if (std::system(cmd.c_str()) != 0) return {};
    std::atexit(stop_own_cluster);
    std::ifstream own(g_pg_state / "dsn");
    std::getline(own, dsn);
    return g_pg_base = dsn;
}
}  // namespace

std::string fresh_pg_database() {
    auto base = pg_base();
    if (base.empty()) {
        ADD_FAILURE() << "PostgreSQL could not be started for the market tests (tests/market/pg.sh); install the "
                         "postgresql package: installer/setup.sh deps";
        return {};
    }
    static std::atomic<int> n{0};
    std::string name = "market_t" + std::to_string(::getpid()) + "_" + std::to_string(n++);
    PGconn* c = PQconnectdb(base.c_str());
    PGresult* r = PQexec(c, ("CREATE DATABASE " + name).c_str());
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) ADD_FAILURE() << "CREATE DATABASE failed: " << PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
    auto slash = base.rfind('/');
    return ok ? base.substr(0, slash + 1) + name : std::string();
}

std::string db_spec(const std::string& backend) {
    return backend == "sqlite" ? "sqlite" : fresh_pg_database();
}

// ------------------------------------------------------------------ data

std::string test_png(int width, int height, int seed, bool tweak) {
    auto img = atelier::procedural::noise_texture(width, height, static_cast<std::uint32_t>(seed));
    EXPECT_TRUE(img.ok());
    if (tweak) img->data()[0] = static_cast<std::uint8_t>(img->data()[0] ^ 0x04);
    auto dir = temp_dir("png");
    auto path = dir / "img.png";
    auto s = atelier::imageio::save(*img, path);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    fs::remove_all(dir);
    return ss.str();
}

std::string sha256_hex(const std::string& data) {
    return atelier::to_hex(atelier::sha256(data));
}

std::string base64url_decode(const std::string& s) {
    std::string out(s.size(), '\0');
    std::size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), s.data(), s.size(), nullptr, &len,
                          nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return {};
    out.resize(len);
    return out;
}

namespace {
std::string unhex(const std::string& h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
    return out;
}
std::string node(const std::string& l, const std::string& r) {
    std::string buf = std::string(1, '\x01') + l + r;
    auto d = atelier::sha256(buf);
    return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}
}  // namespace

// RFC 9162 §2.1.3.2, written from the RFC text (independent of the server's merkle.cpp).
bool verify_inclusion(const std::string& leaf_hash_hex, std::uint64_t index, std::uint64_t tree_size,
                      const std::vector<std::string>& path_hex, const std::string& root_hex) {
    if (index >= tree_size) return false;
    std::uint64_t fn = index, sn = tree_size - 1;
    std::string r = unhex(leaf_hash_hex);
    for (const auto& ph : path_hex) {
        auto p = unhex(ph);
        if (sn == 0) return false;
        if ((fn & 1) == 1 || fn == sn) {
            r = node(p, r);
            if ((fn & 1) == 0)
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            r = node(r, p);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && r == unhex(root_hex);
}

// RFC 9162 §2.1.4.2.
bool verify_consistency(std::uint64_t first, std::uint64_t second, const std::string& first_root_hex,
                        const std::string& second_root_hex, const std::vector<std::string>& proof_hex) {
    if (first == second) return proof_hex.empty() && first_root_hex == second_root_hex;
    if (first == 0 || first > second || proof_hex.empty()) return false;
    std::vector<std::string> path;
    for (const auto& h : proof_hex)
        path.push_back(unhex(h));
    // If first is an exact power of 2, prepend first_hash.
    if ((first & (first - 1)) == 0) path.insert(path.begin(), unhex(first_root_hex));
    std::uint64_t fn = first - 1, sn = second - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    std::string fr = path[0], sr = path[0];
    for (std::size_t i = 1; i < path.size(); ++i) {
        const auto& c = path[i];
        if (sn == 0) return false;
        if ((fn & 1) || fn == sn) {
            fr = node(c, fr);
            sr = node(c, sr);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            sr = node(sr, c);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && fr == unhex(first_root_hex) && sr == unhex(second_root_hex);
}

std::map<std::string, std::string> test_config() {
    // No nsfwjs moderation in these suites: their procedural value-noise images
    // are skin-toned blobs that the model sometimes rates "porn" ≥ 0.5 (about 1
    // in 15 uploads), and a forward pass per upload slows every suite down.
    // market_checks_test runs the model (market.moderation=required) and tests
    // its thresholds.
    return {{"market.moderation", "off"},
            {"market.access_log", "false"},
            {"market.auth_per_minute_ip", "100000"},
            {"market.auth_per_minute_account", "100000"},
            {"market.upload_per_minute_ip", "1000000"},
            {"market.upload_per_minute_account", "1000000"},
            {"market.chunk_bytes", "65536"},
            {"market.header_timeout_ms", "1500"},
            {"market.body_timeout_ms", "3000"},
            {"market.threads", "4"},
            {"market.metrics_token", kMetricsToken}};
}

std::string register_and_login(HttpClient& c, const std::string& email, const std::string& role) {
    auto r = c.post("/v1/accounts/register", {{"email", email}, {"password", "correct horse battery"}, {"role", role}});
    EXPECT_EQ(r.status, 201) << r.body;
    auto l = c.post("/v1/accounts/login", {{"email", email}, {"password", "correct horse battery"}});
    EXPECT_EQ(l.status, 200) << l.body;
    return l.js().value("token", std::string());
}

HttpResponse publish(HttpClient& c, const std::string& token, const std::string& bytes, const json& listing,
                     std::size_t chunk) {
    auto cr =
        c.post("/v1/uploads", {{"size", bytes.size()}, {"sha256", sha256_hex(bytes)}, {"listing", listing}}, token);
    EXPECT_EQ(cr.status, 201) << cr.body;
    std::string id = cr.js().value("id", std::string());
    for (std::size_t off = 0; off < bytes.size(); off += chunk) {
        auto part = bytes.substr(off, chunk);
        auto r = c.request("PUT", "/v1/uploads/" + id + "/chunks?offset=" + std::to_string(off), part,
                           {{"Authorization", "Bearer " + token}, {"X-Chunk-SHA256", sha256_hex(part)}});
        EXPECT_EQ(r.status, 200) << r.body;
    }
    return c.post("/v1/uploads/" + id + "/complete", json(), token);
}

}  // namespace market_test
