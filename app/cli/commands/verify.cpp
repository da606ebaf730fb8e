// SPDX-License-Identifier: MIT
// atelier verify FILE: reads and validates Content Credentials (C2PA).
// Exit 0: valid (or trusted), 1: invalid or unreadable, 2: no manifest.

#include <cstdio>

#include "atelier/provenance/crypto.h"
#include "atelier/provenance/validate.h"
#include "cli.h"

namespace atelier::cli {

namespace {

namespace pv = provenance;

struct VerifyArgs {
    std::string file;
    std::vector<std::string> trust;
};

void print_codes(const char* title, const std::vector<pv::Status>& list) {
    for (const auto& s : list)
        std::printf("  %-8s %-34s %s\n", title, s.code.c_str(), s.explanation.c_str());
}

int run_verify(Context& ctx, const VerifyArgs& a) {
    pv::ValidationOptions opts;
    std::vector<std::string> trust = a.trust;
    if (trust.empty()) {  // provenance.trust_anchors: colon-separated PEM files
        const std::string conf = ctx.config.get_string("provenance.trust_anchors");
        std::size_t start = 0;
        while (start < conf.size()) {
            const auto end = std::min(conf.find(':', start), conf.size());
            if (end > start) trust.push_back(conf.substr(start, end - start));
            start = end + 1;
        }
    }
    for (const auto& t : trust) {
        auto anchors = pv::Certificate::load_bundle(t);
        if (!anchors) return report(ctx, anchors.error().with_context("--trust"), kUsage);
        for (auto& c : *anchors)
            opts.trust_anchors.push_back(std::move(c));
    }
    auto rep = pv::validate_file(a.file, opts);
    if (!rep) return report(ctx, rep.error());
    const int code = rep->state == pv::ValidationState::no_manifest                                             ? 2
                     : (rep->state == pv::ValidationState::valid || rep->state == pv::ValidationState::trusted) ? 0
                                                                                                                : 1;
    if (ctx.json) {
        print_json(rep->to_json());
        return code;
    }
    if (rep->state == pv::ValidationState::no_manifest) {
        if (rep->remote_url)
            std::printf("%s: remote manifest, not fetched (%s)\n", a.file.c_str(), rep->remote_url->c_str());
        else
            std::printf("%s: no Content Credentials\n", a.file.c_str());
        return code;
    }
    if (rep->state == pv::ValidationState::unreadable) {
        std::printf("%s: Content Credentials present but unreadable: %s\n", a.file.c_str(), rep->error.c_str());
        return code;
    }
    std::printf("%s: %s (active manifest %s)\n", a.file.c_str(), std::string(pv::state_name(rep->state)).c_str(),
                rep->active_label.c_str());
    const auto& m = rep->manifests[rep->active_label];
    if (m.contains("signature_info"))
        std::printf("  signed by %s (issuer %s, %s)\n", m["signature_info"].value("common_name", "").c_str(),
                    m["signature_info"].value("issuer", "").c_str(), m["signature_info"].value("alg", "").c_str());
    for (const auto& as : m.value("assertions", nlohmann::json::array())) {
        std::printf("  assertion %s\n", as.value("label", "").c_str());
        if (as.value("label", "").rfind("c2pa.actions", 0) == 0 && as.contains("data"))
            for (const auto& act : as["data"].value("actions", nlohmann::json::array()))
                std::printf("    %s %s\n", act.value("action", "").c_str(), act.value("digitalSourceType", "").c_str());
    }
    for (const auto& ing : m.value("ingredients", nlohmann::json::array()))
        std::printf("  ingredient %s (%s)%s\n", ing.value("title", "").c_str(), ing.value("relationship", "").c_str(),
                    ing.contains("active_manifest") ? " with credentials" : "");
    print_codes("failure", rep->active.failure);
    print_codes("ok", rep->active.success);
    for (const auto& d : rep->ingredient_deltas) {
        if (d.deltas.failure.empty()) continue;
        std::printf("  ingredient %s\n", d.ingredient_assertion_uri.c_str());
        print_codes("  failure", d.deltas.failure);
    }
    return code;
}

}  // namespace

ATELIER_CLI_COMMAND("verify", 61, [](CLI::App& app, Context& ctx) {
    auto a = std::make_shared<VerifyArgs>();
    auto* cmd = app.add_subcommand("verify", "read and validate Content Credentials (exit 0 valid, 1 invalid, 2 none)");
    cmd->add_option("FILE", a->file, "PNG, JPEG, TIFF or WebP")->required()->check(CLI::ExistingFile);
    cmd->add_option("--trust", a->trust, "PEM file of trust anchors (e.g. $XDG_DATA_HOME/atelier/keys/ca.pem)");
    cmd->callback([&ctx, a] { ctx.exit_code = run_verify(ctx, *a); });
});

}  // namespace atelier::cli
