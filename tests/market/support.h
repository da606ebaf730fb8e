// SPDX-License-Identifier: MIT
#pragma once

// Test support for the atelier-market suites: the real server process on
// loopback, a small blocking HTTP/1.1 client over raw sockets (so hostile
// tests can send any bytes), a throw-away PostgreSQL cluster, test images,
// and an independent RFC 9162 proof verifier.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace market_test {

using json = nlohmann::json;

struct HttpResponse {
    int status = 0;                              ///< 0 = connection failed or closed without an answer
    std::map<std::string, std::string> headers;  ///< lower-case names
    std::string body;
    [[nodiscard]] json js() const;
    [[nodiscard]] std::string header(const std::string& name) const;
};

/// A keep-alive connection; reconnects when the server closed it.
class HttpClient {
public:
    explicit HttpClient(int port) : m_port(port) {}
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;
    HttpResponse request(const std::string& method, const std::string& target, const std::string& body = {},
                         const std::map<std::string, std::string>& headers = {});
    HttpResponse get(const std::string& target, const std::string& token = {});
    HttpResponse post(const std::string& target, const json& body, const std::string& token = {},
                      std::map<std::string, std::string> headers = {});
    void close();

private:
    bool connect();
    int m_port;
    int m_fd = -1;
};

/// Opens a raw TCP connection to 127.0.0.1:port; -1 on failure.
int connect_raw(int port);
/// Sends all bytes; false on error.
bool send_all(int fd, const std::string& data);
/// Reads one HTTP response from fd (Content-Length framing) with a timeout.
HttpResponse read_response(int fd, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

/// True when the server closes fd (EOF or reset) within `timeout`, reading and discarding anything it sends.
bool closed_by_server(int fd, std::chrono::milliseconds timeout);

/// The atelier-market executable run as a child process.
class ServerProcess {
public:
    struct Options {
        std::filesystem::path data_dir;
        std::string db = "sqlite";
        std::map<std::string, std::string> config;  ///< market.* keys written to a --config file
        int port = 0;                               ///< 0: pick a free one
    };
    explicit ServerProcess(Options options);
    ~ServerProcess();
    /// Starts and waits until it accepts connections; false (with a message on stderr) otherwise.
    bool start();
    /// SIGKILL, no goodbye.
    void kill9();
    /// SIGTERM and wait for a clean exit; returns the exit status (or -1).
    int terminate();
    [[nodiscard]] int port() const { return m_port; }
    [[nodiscard]] bool running();
    [[nodiscard]] pid_t pid() const { return m_pid; }

private:
    Options m_opt;
    pid_t m_pid = -1;
    int m_port = 0;
};

std::filesystem::path market_binary();
/// A fresh empty folder under the build tree.
std::filesystem::path temp_dir(const std::string& name);

/// A PostgreSQL database URI for a fresh database on the test cluster (the one
/// ctest's fixture started, or one started for this process). Fails the test
/// (ADD_FAILURE + empty string) when PostgreSQL cannot be started.
std::string fresh_pg_database();
/// "sqlite" or a fresh PostgreSQL URI.
std::string db_spec(const std::string& backend);

/// A PNG of a deterministic procedural pattern, as bytes.
/// `tweak` changes one pixel slightly (a near duplicate).
std::string test_png(int width, int height, int seed, bool tweak = false);

std::string sha256_hex(const std::string& data);
std::string base64url_decode(const std::string& s);

/// Independent RFC 9162 §2.1.3.2 inclusion verification (hex hashes).
bool verify_inclusion(const std::string& leaf_hash_hex, std::uint64_t index, std::uint64_t tree_size,
                      const std::vector<std::string>& path_hex, const std::string& root_hex);
/// Independent RFC 9162 §2.1.4.2 consistency verification (hex hashes).
bool verify_consistency(std::uint64_t first, std::uint64_t second, const std::string& first_root_hex,
                        const std::string& second_root_hex, const std::vector<std::string>& proof_hex);

/// The scraper token test_config() sets as market.metrics_token.
inline constexpr const char* kMetricsToken = "test-metrics-token-4f1c9a";

/// Config for tests: generous rate limits, no access log, short timeouts, a metrics token,
/// no nsfwjs moderation (see support.cpp).
std::map<std::string, std::string> test_config();

/// Registers and logs in; returns the token ("" on failure, with a test failure).
std::string register_and_login(HttpClient& c, const std::string& email, const std::string& role);
/// Uploads `bytes` in chunks and completes; returns the completion response.
HttpResponse publish(HttpClient& c, const std::string& token, const std::string& bytes, const json& listing,
                     std::size_t chunk = 4096);

}  // namespace market_test
