// SPDX-License-Identifier: MIT
// Load benchmark of atelier-market on loopback (JSON lines on stdout):
//  - browse/search JSON with wrk (keep-alive), req/s and p99, side by side with
//    nginx serving a static file of the same size in the same run;
//  - the HTTP library choice: the same fixed JSON body from Boost.Beast (our
//    HttpServer) and from cpp-httplib, plus how each copes with idle clients;
//  - chunked upload throughput and the server's peak memory;
//  - purchases per second on SQLite with synchronous=FULL.
// Usage: bench_market [--seconds N] [--connections N] [--threads N] [--access-log] [--wrk PATH] [--nginx PATH]
//                     [--only browse|http|upload|purchases]
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../market/support.h"
#include "atelier/market_server/http.h"

using namespace market_test;
using json = nlohmann::json;

namespace {

int g_seconds = 8;
int g_connections = 64;
int g_threads = 2;          ///< the server's I/O threads (market.threads)
bool g_access_log = false;  ///< the server's JSON access log (market.access_log; to a file)
std::string g_wrk = "/usr/bin/wrk";
std::string g_nginx = "/usr/sbin/nginx";

std::string run_capture(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    while (auto n = std::fread(buf, 1, sizeof buf, p))
        out.append(buf, n);
    ::pclose(p);
    return out;
}

double to_ms(const std::string& v) {
    double x = std::atof(v.c_str());
    if (v.find("us") != std::string::npos) return x / 1000.0;
    if (v.find("ms") != std::string::npos) return x;
    if (v.find('s') != std::string::npos) return x * 1000.0;
    return x;
}

struct WrkResult {
    double rps = 0, p50 = 0, p99 = 0;
    long errors = 0;
    long timeouts = 0;  ///< connections wrk gave up on (requests never answered)
};

WrkResult wrk(const std::string& url, const std::string& script = {}) {
    std::string cmd = g_wrk + " -t2 -c" + std::to_string(g_connections) + " -d" + std::to_string(g_seconds) +
                      "s --latency " + (script.empty() ? "" : "-s " + script + " ") + "'" + url + "' 2>&1";
    auto out = run_capture(cmd);
    WrkResult r;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string a, b;
        ls >> a >> b;
        if (a == "50%") r.p50 = to_ms(b);
        if (a == "99%") r.p99 = to_ms(b);
        if (a == "Requests/sec:") r.rps = std::atof(b.c_str());
        if (line.find("Non-2xx") != std::string::npos) r.errors += std::atol(line.substr(line.find(':') + 1).c_str());
        if (auto t = line.find("timeout "); line.find("Socket errors") != std::string::npos && t != std::string::npos)
            r.timeouts = std::atol(line.c_str() + t + 8);
    }
    if (r.rps == 0) std::cerr << "wrk failed: " << out << "\n";
    return r;
}

void emit(json j) {
    j["date"] = run_capture("date -u +%Y-%m-%d").substr(0, 10);
    // The box is shared: the 1-minute load average at the end of each figure.
    std::ifstream la("/proc/loadavg");
    double l1 = 0;
    la >> l1;
    j["loadavg_1m"] = l1;
    std::cout << j.dump() << std::endl;
}

long vm_kb(pid_t pid, const char* field = "VmHWM:") {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
    return 0;
}
long vm_hwm_kb(pid_t pid) {
    return vm_kb(pid);
}
// CPU seconds (user + system) a process has used so far.
double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto p = stat.rfind(')');
    if (p == std::string::npos) return 0;
    std::istringstream f(stat.substr(p + 2));
    std::string field;
    double ut = 0, st = 0;
    for (int i = 3; i <= 15 && f >> field; ++i) {
        if (i == 14) ut = std::atof(field.c_str());
        if (i == 15) st = std::atof(field.c_str());
    }
    return (ut + st) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Resets the peak RSS (VmHWM) to the current RSS (Linux ≥ 4.0).
void reset_hwm(pid_t pid) {
    std::ofstream("/proc/" + std::to_string(pid) + "/clear_refs") << "5";
}

// nginx serving one static file on a free port; stopped on destruction.
struct Nginx {
    pid_t pid = -1;
    int port = 0;
    std::filesystem::path dir;
    bool start(const std::string& body) {
        dir = temp_dir("nginx");
        std::filesystem::permissions(dir, std::filesystem::perms::all);
        std::ofstream(dir / "listings.json") << body;
        for (int attempt = 0; attempt < 20 && pid < 0; ++attempt) {
            port = 20000 + static_cast<int>(::getpid() * 7 + attempt * 131) % 40000;
            std::ofstream conf(dir / "nginx.conf");
            conf << "worker_processes 2;\ndaemon off;\nuser root;\nerror_log " << (dir / "error.log").string()
                 << ";\npid " << (dir / "nginx.pid").string()
                 << ";\nevents { worker_connections 1024; }\nhttp {\n access_log off;\n keepalive_requests 1000000;\n"
                    " default_type application/json;\n client_body_temp_path "
                 << (dir / "tmp").string() << ";\n server {\n  listen 127.0.0.1:" << port << ";\n  root "
                 << dir.string() << ";\n }\n}\n";
            conf.close();
            pid = ::fork();
            if (pid == 0) {
                ::execl(g_nginx.c_str(), g_nginx.c_str(), "-c", (dir / "nginx.conf").c_str(), "-p", dir.c_str(),
                        static_cast<char*>(nullptr));
                ::_exit(127);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            HttpClient c(port);
            if (c.get("/listings.json").status != 200) {
                ::kill(pid, SIGKILL);
                ::waitpid(pid, nullptr, 0);
                pid = -1;
            }
        }
        return pid > 0;
    }
    ~Nginx() {
        if (pid > 0) {
            ::kill(pid, SIGQUIT);
            ::waitpid(pid, nullptr, 0);
        }
    }
};

void bench_browse(ServerProcess& server, const std::string& creator) {
    HttpClient c(server.port());
    (void)creator;
    auto page = c.get("/v1/listings?limit=20");
    Nginx nginx;
    bool have_nginx = nginx.start(page.body);
    auto lua = temp_dir("lua") / "vary.lua";
    std::ofstream(lua) << "request = function()\n  return wrk.format(\"GET\", "
                          "\"/v1/listings?limit=20&cursor=\" .. math.random(2, 61))\nend\n";
    auto search_lua = temp_dir("lua") / "search.lua";
    std::ofstream(search_lua) << "local words = {\"pattern\", \"blue\", \"waves\", \"texture\", \"tile\"}\n"
                                 "request = function()\n  return wrk.format(\"GET\", \"/v1/listings?limit=20&q=\" .. "
                                 "words[math.random(1, 5)] .. \"&min_price=\" .. math.random(1, 400))\nend\n";
    std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    auto hot = wrk(base + "/v1/listings?limit=20");
    WrkResult ng;
    if (have_nginx) ng = wrk("http://127.0.0.1:" + std::to_string(nginx.port) + "/listings.json");
    auto vary = wrk(base, lua.string());
    auto search = wrk(base, search_lua.string());
    auto cold_lua = temp_dir("lua") / "search_cold.lua";
    std::ofstream(cold_lua) << "local words = {\"pattern\", \"blue\", \"waves\", \"texture\", \"tile\"}\n"
                               "request = function()\n  return wrk.format(\"GET\", \"/v1/listings?limit=20&q=\" .. "
                               "words[math.random(1, 5)] .. \"&min_price=\" .. math.random(1, 1000000))\nend\n";
    auto cold = wrk(base, cold_lua.string());
    emit({{"bench", "market.browse"},
          {"case", "same query"},
          {"server_io_threads", g_threads},
          {"access_log", g_access_log},
          {"body_bytes", page.body.size()},
          {"rps", hot.rps},
          {"p50_ms", hot.p50},
          {"p99_ms", hot.p99},
          {"non2xx", hot.errors},
          {"nginx_rps", ng.rps},
          {"nginx_p99_ms", ng.p99},
          {"ratio_to_nginx", ng.rps > 0 ? hot.rps / ng.rps : 0}});
    emit({{"bench", "market.browse"},
          {"case", "60 different pages"},
          {"rps", vary.rps},
          {"p50_ms", vary.p50},
          {"p99_ms", vary.p99},
          {"non2xx", vary.errors},
          {"nginx_rps", ng.rps},
          {"ratio_to_nginx", ng.rps > 0 ? vary.rps / ng.rps : 0}});
    emit({{"bench", "market.browse"},
          {"case", "full-text search + price filter, 2000 distinct queries (5 words x 400 prices)"},
          {"rps", search.rps},
          {"p50_ms", search.p50},
          {"p99_ms", search.p99},
          {"non2xx", search.errors},
          {"nginx_rps", ng.rps},
          {"ratio_to_nginx", ng.rps > 0 ? search.rps / ng.rps : 0}});
    emit({{"bench", "market.browse"},
          {"case", "full-text search + price filter, 5,000,000 distinct queries (mostly few hits)"},
          {"rps", cold.rps},
          {"p50_ms", cold.p50},
          {"p99_ms", cold.p99},
          {"non2xx", cold.errors},
          {"nginx_rps", ng.rps},
          {"ratio_to_nginx", ng.rps > 0 ? cold.rps / ng.rps : 0}});
}

void bench_http_libraries(std::size_t body_size) {
    std::string body = json({{"items", std::string(body_size > 40 ? body_size - 40 : 1, 'x')}}).dump();
    // Boost.Beast: our server stack with one route, no access log.
    atelier::market_server::Router router;
    router.add("GET", "/x", [&body](atelier::market_server::Request&) {
        atelier::market_server::Response r;
        r.body = body;
        return r;
    });
    atelier::market_server::HttpLimits limits;
    limits.threads = 2;
    atelier::market_server::HttpServer beast(std::move(router), limits);
    beast.set_access_log(false);
    if (!beast.listen("127.0.0.1:0").ok()) return;
    std::thread bt([&] { beast.run(false); });
    // cpp-httplib (Debian 0.11): thread pool, blocking I/O.
    httplib::Server hl;
    hl.set_tcp_nodelay(true);             // otherwise Nagle + delayed ACK cap it at a few hundred req/s
    hl.set_keep_alive_max_count(100000);  // default 5 requests per connection
    hl.Get("/x",
           [&body](const httplib::Request&, httplib::Response& res) { res.set_content(body, "application/json"); });
    int hport = hl.bind_to_any_port("127.0.0.1");
    std::thread ht([&] { hl.listen_after_bind(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));

    auto b = wrk("http://127.0.0.1:" + std::to_string(beast.port()) + "/x");
    auto h = wrk("http://127.0.0.1:" + std::to_string(hport) + "/x");
    // Idle keep-alive clients: 64 connections that sent nothing; how long does one real request take?
    auto idle_probe = [](int port) {
        std::vector<int> fds;
        for (int i = 0; i < 64; ++i)
            fds.push_back(connect_raw(port));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        auto t0 = std::chrono::steady_clock::now();
        HttpClient c(port);
        auto r = c.get("/x");
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        for (int fd : fds)
            ::close(fd);
        return r.status == 200 ? ms : -1.0;
    };
    double b_idle = idle_probe(beast.port());
    double h_idle = idle_probe(hport);
    emit({{"bench", "market.http_library"},
          {"body_bytes", body.size()},
          {"beast_rps", b.rps},
          {"beast_p99_ms", b.p99},
          {"httplib_rps", h.rps},
          {"httplib_p99_ms", h.p99},
          {"beast_wrk_timeouts", b.timeouts},
          {"httplib_wrk_timeouts", h.timeouts},
          {"connections", g_connections},
          {"beast_ms_with_64_idle_clients", b_idle},
          {"httplib_ms_with_64_idle_clients", h_idle}});
    beast.stop();
    hl.stop();
    bt.join();
    ht.join();
}

void bench_upload(ServerProcess& server, const std::string& creator) {
    const std::size_t total = 256u << 20, chunk = 8u << 20;
    std::string data(total, '\0');
    std::uint64_t x = 88172645463325252ull;
    for (std::size_t i = 0; i < total; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::memcpy(&data[i], &x, 8);
    }
    std::vector<std::string> sums;
    for (std::size_t off = 0; off < total; off += chunk)
        sums.push_back(sha256_hex(data.substr(off, chunk)));
    const std::string whole = sha256_hex(data);
    // The load generator must not be the bottleneck: chunks are sent straight
    // from `data` (header, then the 8 MiB slice; no per-chunk copy or fresh
    // allocation), as a real client streaming from a mapped file would.
    auto put_chunk = [&](int& fd, const std::string& id, std::size_t off, std::size_t k) -> int {
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (fd < 0) fd = connect_raw(server.port());
            if (fd < 0) return 0;
            const std::size_t n = std::min(chunk, total - off);
            std::string head = "PUT /v1/uploads/" + id + "/chunks?offset=" + std::to_string(off) +
                               " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + creator +
                               "\r\nX-Chunk-SHA256: " + sums[k] + "\r\nContent-Length: " + std::to_string(n) +
                               "\r\n\r\n";
            bool sent = send_all(fd, head);
            for (std::size_t done = 0; sent && done < n;) {
                auto w = ::send(fd, data.data() + off + done, n - done, MSG_NOSIGNAL);
                if (w <= 0) {
                    sent = false;
                    break;
                }
                done += static_cast<std::size_t>(w);
            }
            if (sent) {
                auto r = read_response(fd, std::chrono::milliseconds(30000));
                if (r.status != 0) {
                    if (r.status != 200) std::cerr << "upload failed: " << r.body << "\n";
                    return r.status;
                }
            }
            ::close(fd);
            fd = -1;
        }
        return 0;
    };
    auto one = [&](HttpClient& c) {
        auto cr =
            c.post("/v1/uploads", {{"size", total}, {"sha256", whole}, {"listing", {{"title", "big"}, {"price", 100}}}},
                   creator);
        std::string id = cr.js()["id"];
        int fd = -1;
        for (std::size_t off = 0, k = 0; off < total; off += chunk, ++k)
            put_chunk(fd, id, off, k);
        if (fd >= 0) ::close(fd);
    };
    HttpClient c(server.port());
    // The server already holds LibTorch and the moderation model; measure what uploads add.
    const long rss_before = vm_kb(server.pid(), "VmRSS:");
    reset_hwm(server.pid());
    double cpu0 = cpu_seconds(server.pid());
    auto t0 = std::chrono::steady_clock::now();
    one(c);
    double s1 = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu1 = cpu_seconds(server.pid());
    t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; ++i)
        ts.emplace_back([&] {
            HttpClient own(server.port());
            one(own);
        });
    for (auto& t : ts)
        t.join();
    double s4 = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu4 = cpu_seconds(server.pid());
    emit({{"bench", "market.upload"},
          {"chunk_mib", chunk >> 20},
          {"one_upload_mb_s", total / 1e6 / s1},
          {"four_parallel_mb_s", 4 * total / 1e6 / s4},
          // Server CPU per GiB received: independent of what else the box runs.
          {"server_cpu_s_per_gib_one", (cpu1 - cpu0) / (total / 1073741824.0)},
          {"server_cpu_s_per_gib_four", (cpu4 - cpu1) / (4 * total / 1073741824.0)},
          {"server_rss_before_mib", rss_before / 1024.0},
          {"server_peak_rss_during_uploads_mib", vm_hwm_kb(server.pid()) / 1024.0},
          {"note",
           "each chunk is streamed from the socket into pwrite (256 KiB pieces), SHA-256 checked, then its offset "
           "committed (not fsynced); the file is fdatasynced once at completion (market.fsync_chunks=false)"}});
}

void bench_purchases(ServerProcess& server, const std::vector<std::string>& listings) {
    HttpClient c(server.port());
    std::vector<std::string> buyers;
    for (int i = 0; i < 16; ++i)
        buyers.push_back(register_and_login(c, "pb" + std::to_string(i) + "@bench.test", "buyer"));
    std::atomic<int> done{0}, failed{0};
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> ts;
    for (int b = 0; b < 16; ++b)
        ts.emplace_back([&, b] {
            HttpClient own(server.port());
            const char* types[] = {"personal", "commercial", "extended"};
            for (std::size_t l = 0; l < listings.size() && l < 40; ++l) {
                auto r = own.post("/v1/purchases", {{"listing_id", listings[l]}, {"licence_type", types[l % 3]}},
                                  buyers[static_cast<std::size_t>(b)],
                                  {{"Idempotency-Key", "bench-" + std::to_string(b) + "-" + std::to_string(l)}});
                (r.status == 201 ? done : failed)++;
            }
        });
    for (auto& t : ts)
        t.join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    emit({{"bench", "market.purchases"},
          {"db", "sqlite WAL synchronous=FULL"},
          {"clients", 16},
          {"purchases", done.load()},
          {"failed", failed.load()},
          {"per_second", done / s},
          {"note",
           "each purchase: idempotency record, payment, Ed25519 licence, 6 ledger postings, log leaf, "
           "change record — one transaction, fsynced"}});
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> only;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--seconds" && i + 1 < argc)
            g_seconds = std::atoi(argv[++i]);
        else if (a == "--connections" && i + 1 < argc)
            g_connections = std::atoi(argv[++i]);
        else if (a == "--access-log")
            g_access_log = true;
        else if (a == "--threads" && i + 1 < argc)
            g_threads = std::atoi(argv[++i]);
        else if (a == "--wrk" && i + 1 < argc)
            g_wrk = argv[++i];
        else if (a == "--nginx" && i + 1 < argc)
            g_nginx = argv[++i];
        else if (a == "--only" && i + 1 < argc)
            only.push_back(argv[++i]);
    }
    auto want = [&](const std::string& n) {
        return only.empty() || std::find(only.begin(), only.end(), n) != only.end();
    };
    if (::access(g_wrk.c_str(), X_OK) != 0) {
        std::cerr << "bench_market: wrk not found at " << g_wrk << " (install the wrk package)\n";
        return 1;
    }
    auto dir = temp_dir("bench-market");
    ServerProcess::Options o;
    o.data_dir = dir / "data";
    o.config = test_config();
    o.config["market.threads"] = std::to_string(g_threads);
    o.config["market.access_log"] = g_access_log ? "true" : "false";
    o.config["market.chunk_bytes"] = std::to_string(8 << 20);
    o.config["market.body_timeout_ms"] = "60000";
    o.config["market.db_pool"] = "16";
    ServerProcess server(o);
    if (!server.start()) return 1;
    HttpClient c(server.port());
    auto creator = register_and_login(c, "bench@bench.test", "creator");
    std::vector<std::string> listings;
    const char* words[] = {"pattern", "blue", "waves", "texture", "tile"};
    for (int i = 0; i < 60; ++i) {
        json meta = {{"title", std::string("Seamless ") + words[i % 5] + " " + std::to_string(i)},
                     {"description", "A repeatable textile pattern for print on demand"},
                     {"tags", {words[i % 5], words[(i + 2) % 5], "seamless"}},
                     {"price", 100 + i * 5},
                     {"currency", "EUR"}};
        auto r = publish(c, creator, test_png(64, 64, 5000 + i), meta, 1 << 20);
        if (r.status == 200) listings.push_back(r.js()["listing"]["id"]);
    }
    if (want("browse")) bench_browse(server, creator);
    if (want("http")) bench_http_libraries(c.get("/v1/listings?limit=20").body.size());
    if (want("upload")) bench_upload(server, creator);
    if (want("purchases")) bench_purchases(server, listings);
    server.terminate();
    std::filesystem::remove_all(dir);
    return 0;
}
