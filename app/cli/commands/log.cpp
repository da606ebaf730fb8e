// SPDX-License-Identifier: MIT
// atelier log: the signed, hash-chained provenance log (list, show, verify,
// append). Every action on an asset lands here; `verify` detects edited,
// removed, reordered or truncated entries.

#include <cstdio>

#include "atelier/base/hash.h"
#include "atelier/provenance/log.h"
#include "cli.h"

namespace atelier::cli {

namespace {

namespace pv = provenance;

struct LogArgs {
    std::string db;
    std::string keys;
    std::int64_t id = 0;
    std::size_t limit = 20;
    std::vector<std::string> trust;
    std::string action;
    std::string asset;
    std::string manifest;
    std::string details;
};

std::filesystem::path db_path(const LogArgs& a) {
    return a.db.empty() ? pv::ProvenanceLog::default_path() : std::filesystem::path(a.db);
}

void print_entry(const pv::LogEntry& e) {
    std::printf("#%lld  %s  %-9s asset %s%s%s\n", static_cast<long long>(e.seq), e.time.c_str(), e.action.c_str(),
                e.asset_sha256.substr(0, 16).c_str(), e.manifest.empty() ? "" : "  manifest ", e.manifest.c_str());
}

int run_list(Context& ctx, const LogArgs& a) {
    auto log = pv::ProvenanceLog::open(db_path(a));
    if (!log) return report(ctx, log.error());
    auto entries = log->list(a.limit);
    if (!entries) return report(ctx, entries.error());
    if (ctx.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& e : *entries)
            j.push_back(e.to_json());
        print_json(j);
    } else {
        for (const auto& e : *entries)
            print_entry(e);
        if (entries->empty()) std::printf("the provenance log is empty\n");
    }
    return kOk;
}

int run_show(Context& ctx, const LogArgs& a) {
    auto log = pv::ProvenanceLog::open(db_path(a));
    if (!log) return report(ctx, log.error());
    auto e = log->get(a.id);
    if (!e) return report(ctx, e.error());
    if (ctx.json) {
        print_json(e->to_json());
        return kOk;
    }
    print_entry(*e);
    std::printf("  asset    %s\n  details  %s\n  prev     %s\n  hash     %s\n  signer   %s\n", e->asset_sha256.c_str(),
                e->details.dump().c_str(), e->prev_hash.c_str(), e->hash.c_str(), e->signer.c_str());
    return kOk;
}

int run_verify(Context& ctx, const LogArgs& a) {
    std::vector<pv::Certificate> anchors;
    for (const auto& t : a.trust) {
        auto b = pv::Certificate::load_bundle(t);
        if (!b) return report(ctx, b.error().with_context("--trust"), kUsage);
        for (auto& c : *b)
            anchors.push_back(std::move(c));
    }
    auto log = pv::ProvenanceLog::open(db_path(a));
    if (!log) return report(ctx, log.error());
    auto entries = log->list();
    if (!entries) return report(ctx, entries.error());
    auto problems = log->verify(anchors);
    if (!problems) return report(ctx, problems.error());
    if (ctx.json) {
        nlohmann::json j = {{"entries", entries->size()}, {"intact", problems->empty()}};
        nlohmann::json ps = nlohmann::json::array();
        for (const auto& p : *problems)
            ps.push_back({{"seq", p.seq}, {"kind", p.kind}, {"message", p.message}});
        j["problems"] = ps;
        print_json(j);
    } else if (problems->empty()) {
        std::printf("provenance log intact: %zu entries, chain and signatures verified\n", entries->size());
    } else {
        std::printf("provenance log damaged (%zu problems):\n", problems->size());
        for (const auto& p : *problems)
            std::printf("  #%lld %-10s %s\n", static_cast<long long>(p.seq), p.kind.c_str(), p.message.c_str());
    }
    return problems->empty() ? kOk : kFailed;
}

int run_append(Context& ctx, const LogArgs& a) {
    pv::KeyStore keys(a.keys.empty() ? pv::KeyStore::default_dir() : std::filesystem::path(a.keys));
    auto id = keys.identity();
    if (!id) return report(ctx, id.error());
    auto hash = sha256_file(a.asset);
    if (!hash) return report(ctx, hash.error());
    nlohmann::json details = nlohmann::json::object();
    if (!a.details.empty()) {
        details = nlohmann::json::parse(a.details, nullptr, false);
        if (!details.is_object())
            return report(ctx, fail(Errc::invalid_argument, "--details must be a JSON object"), kUsage);
    }
    details["file"] = std::filesystem::path(a.asset).filename().string();
    auto log = pv::ProvenanceLog::open(db_path(a), std::move(*id));
    if (!log) return report(ctx, log.error());
    auto e = log->append(a.action, to_hex(*hash), a.manifest, details);
    if (!e) return report(ctx, e.error());
    if (ctx.json)
        print_json(e->to_json());
    else
        print_entry(*e);
    return kOk;
}

}  // namespace

ATELIER_CLI_COMMAND("log", 62, [](CLI::App& app, Context& ctx) {
    auto a = std::make_shared<LogArgs>();
    auto* cmd = app.add_subcommand("log", "the signed provenance log: list, show ID, verify, append");
    cmd->add_option("--db", a->db, "log database (default $XDG_DATA_HOME/atelier/provenance.db)");
    cmd->require_subcommand(1);
    auto* list = cmd->add_subcommand("list", "recent entries");
    list->add_option("--limit", a->limit, "how many (0: all)");
    list->callback([&ctx, a] { ctx.exit_code = run_list(ctx, *a); });
    auto* show = cmd->add_subcommand("show", "one entry");
    show->add_option("ID", a->id, "entry number")->required();
    show->callback([&ctx, a] { ctx.exit_code = run_show(ctx, *a); });
    auto* verify = cmd->add_subcommand("verify", "check the hash chain, every signature and the signed head");
    verify->add_option("--trust", a->trust, "PEM trust anchors the signers must chain to");
    verify->callback([&ctx, a] { ctx.exit_code = run_verify(ctx, *a); });
    auto* append = cmd->add_subcommand("append", "record an action on an asset");
    append->add_option("--action", a->action, "generate, import, edit, upscale, sign, publish, license")->required();
    append->add_option("--asset", a->asset, "the asset file")->required()->check(CLI::ExistingFile);
    append->add_option("--manifest", a->manifest, "C2PA manifest label, if any");
    append->add_option("--details", a->details, "JSON object with more detail");
    append->add_option("--keys", a->keys, "key directory (default $XDG_DATA_HOME/atelier/keys)");
    append->callback([&ctx, a] { ctx.exit_code = run_append(ctx, *a); });
});

}  // namespace atelier::cli
