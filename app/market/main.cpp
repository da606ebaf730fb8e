// SPDX-License-Identifier: MIT
// atelier-market: the marketplace backend. All logic is in atelier_market_server.
#include <pthread.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "atelier/base/config.h"
#include "atelier/market_server/app.h"

using namespace atelier;
using namespace atelier::market_server;

int main(int argc, char** argv) {
    CLI::App cli{"atelier-market: the Atelier marketplace backend (HTTP/JSON API)"};
    std::string data, listen, db, config_file, tls_cert, tls_key;
    std::vector<std::string> sets;
    int threads = -1, workers = -1;
    cli.add_option("--data", data, "data folder (database, blobs/, uploads/, keys/)")->required();
    cli.add_option("--listen", listen, "HOST:PORT to listen on (port 0 picks a free one)");
    cli.add_option("--db", db, "sqlite (default), sqlite:PATH or postgres://USER@HOST:PORT/DB");
    cli.add_option("--config", config_file, "config file with market.* keys (key = value lines)");
    cli.add_option("--tls-cert", tls_cert, "PEM certificate chain: serve HTTPS only (with --tls-key)");
    cli.add_option("--tls-key", tls_key, "PEM private key of --tls-cert");
    cli.add_option("--threads", threads, "I/O threads (market.threads; 0 = one per core, at least 2)")
        ->check(CLI::Range(0, 256));
    cli.add_option("--workers", workers, "worker threads for upload completion checks (market.workers; 0 = 2)")
        ->check(CLI::Range(0, 256));
    cli.add_option("--set", sets, "override one config key: --set market.threads=4");
    std::string admin_email;
    auto* create_admin = cli.add_subcommand("create-admin",
                                            "create or promote an admin account, then exit "
                                            "(password from ATELIER_MARKET_ADMIN_PASSWORD or stdin)");
    create_admin->add_option("email", admin_email, "the admin's e-mail address")->required();
    CLI11_PARSE(cli, argc, argv);

    auto cfg = Config::load(config_file);
    if (!cfg) {
        std::cerr << "atelier-market: " << cfg.error().message << "\n";
        return 2;
    }
    for (const auto& s : sets) {
        if (auto r = cfg->set_flag(s); !r) {
            std::cerr << "atelier-market: " << r.error().message << "\n";
            return 2;
        }
    }
    auto opts = MarketOptions::from_config(*cfg);
    if (!opts) {
        std::cerr << "atelier-market: " << opts.error().message << "\n";
        return 2;
    }
    opts->data_dir = data;
    if (!listen.empty()) opts->listen = listen;
    if (!db.empty()) opts->db = db;
    if (!tls_cert.empty()) opts->tls_cert = tls_cert;
    if (!tls_key.empty()) opts->tls_key = tls_key;
    if (threads >= 0) opts->http.threads = threads;
    if (workers >= 0) opts->http.worker_threads = workers;

    if (*create_admin) {
        std::string password;
        if (const char* p = std::getenv("ATELIER_MARKET_ADMIN_PASSWORD"))
            password = p;
        else
            std::getline(std::cin, password);
        auto r = MarketApp::create_admin(*opts, admin_email, password);
        if (!r) {
            std::cerr << "atelier-market: " << r.error().message << "\n";
            return 1;
        }
        std::cout << "admin " << admin_email << " ready\n";
        return 0;
    }

    auto app = MarketApp::create(*opts);
    if (!app) {
        std::cerr << "atelier-market: " << app.error().message << "\n";
        return 1;
    }
    // Tells scripts and tests which port was bound (useful with --listen :0).
    std::cout << "listening on port " << (*app)->port() << std::endl;
    (*app)->run(true);
    // Drained and stopped (every other thread joined): block further SIGTERM/SIGINT
    // so that a late second signal, arriving while the signal set is torn down
    // and the default action is back, cannot turn a clean exit into a kill.
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, nullptr);
    app->reset();
    return 0;
}
