// SPDX-License-Identifier: MIT
// atelier sign IN OUT: embeds signed Content Credentials (C2PA) into a PNG,
// JPEG, TIFF or WebP without touching its pixels.

#include <cstdio>
#include <fstream>

#include "atelier/base/paths.h"
#include "atelier/image/resize.h"
#include "atelier/imageio/imageio.h"
#include "atelier/provenance/container.h"
#include "atelier/provenance/log.h"
#include "atelier/provenance/manifest.h"
#include "cli.h"

namespace atelier::cli {

namespace {

namespace pv = provenance;

struct SignArgs {
    std::string in;
    std::string out;
    std::vector<std::string> actions;
    std::vector<std::string> ingredients;
    std::vector<std::string> components;
    std::string source = "trained";
    std::string title;
    std::string generation_file;
    std::string license_terms;
    std::string licensor;
    std::string license_scope;
    std::string alg = "es256";
    std::string keys_dir;
    bool no_thumbnail = false;
    bool no_log = false;
};

Result<std::string> source_uri(const std::string& s) {
    if (s == "trained") return std::string(pv::digital_source::trained_algorithmic);
    if (s == "algorithmic") return std::string(pv::digital_source::algorithmic);
    if (s == "composite") return std::string(pv::digital_source::composite_trained);
    if (s == "capture") return std::string(pv::digital_source::digital_capture);
    return fail(Errc::invalid_argument,
                "--source must be trained, algorithmic, composite or capture (got '" + s + "')");
}

/// A small JPEG thumbnail (longest side 256 px) through imageio; empty on failure.
pv::Bytes make_thumbnail(const std::string& file, const Config& config) {
    auto limits = imageio::ImageLimits::from_config(config);
    if (!limits) return {};
    auto img = imageio::load(file, *limits);
    if (!img) return {};
    const int w = img->width(), h = img->height();
    const double s = 256.0 / std::max(w, h);
    if (s < 1.0) {
        auto small = resize(*img, std::max(1, int(w * s)), std::max(1, int(h * s)));
        if (!small) return {};
        *img = std::move(*small);
    }
    const auto tmp = paths::cache_dir() / ("thumb-" + pv::random_uuid() + ".jpg");
    if (!paths::ensure_dir(tmp.parent_path())) return {};
    imageio::SaveOptions opt;
    opt.quality = 80;
    if (!imageio::save(*img, tmp, opt)) return {};
    auto bytes = pv::read_file_bytes(tmp);
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    return bytes ? std::move(*bytes) : pv::Bytes{};
}

int run_sign(Context& ctx, const SignArgs& a) {
    pv::ManifestSpec spec;
    spec.title = a.title.empty() ? std::filesystem::path(a.out).filename().string() : a.title;
    auto src = source_uri(a.source);
    if (!src) return report(ctx, src.error(), kUsage);

    // Re-signing a file that already has credentials keeps its history: the
    // file itself becomes the parent ingredient unless parents are named.
    std::vector<std::string> parents = a.ingredients;
    if (parents.empty()) {
        auto self = pv::read_file_bytes(a.in);
        if (!self) return report(ctx, self.error());
        auto fmt = pv::detect_format(*self);
        if (!fmt) return report(ctx, fmt.error());
        auto em = pv::find_manifest(*self, *fmt);
        if (!em) return report(ctx, em.error());
        if (em->store) parents.push_back(a.in);
    }
    for (const auto& f : parents) {
        auto b = pv::read_file_bytes(f);
        if (!b) return report(ctx, b.error());
        spec.ingredients.push_back({std::move(*b), std::filesystem::path(f).filename().string(), "parentOf"});
    }
    const std::size_t first_component = spec.ingredients.size();
    for (const auto& f : a.components) {
        auto b = pv::read_file_bytes(f);
        if (!b) return report(ctx, b.error());
        spec.ingredients.push_back({std::move(*b), std::filesystem::path(f).filename().string(), "componentOf"});
    }
    std::vector<std::size_t> component_idx;
    for (std::size_t i = first_component; i < spec.ingredients.size(); ++i)
        component_idx.push_back(i);

    // The first action: opened (with a parent) or created.
    if (!parents.empty()) {
        pv::ActionSpec opened{"c2pa.opened", "", nlohmann::json::object(), {0}, ""};
        spec.actions.push_back(opened);
    } else {
        spec.actions.push_back({"c2pa.created", *src, nlohmann::json::object(), {}, ""});
    }
    for (const auto& name : a.actions) {
        std::string n = name.rfind("c2pa.", 0) == 0 ? name : "c2pa." + name;
        if (n == "c2pa.created" || n == "c2pa.opened") continue;  // already first
        pv::ActionSpec act{n, "", nlohmann::json::object(), {}, ""};
        if (n == "c2pa.placed") {
            if (component_idx.empty())
                return report(ctx, fail(Errc::invalid_argument, "--action placed needs at least one --component FILE"),
                              kUsage);
            act.ingredients = component_idx;
        }
        if (n == "c2pa.edited" && !parents.empty()) act.digital_source_type = *src;
        spec.actions.push_back(std::move(act));
    }
    if (!component_idx.empty() &&
        std::none_of(spec.actions.begin(), spec.actions.end(), [](const auto& x) { return x.action == "c2pa.placed"; }))
        spec.actions.push_back({"c2pa.placed", "", nlohmann::json::object(), component_idx, ""});

    if (!a.generation_file.empty()) {
        std::ifstream gin(a.generation_file);
        auto j = nlohmann::json::parse(gin, nullptr, false);
        if (!gin || j.is_discarded() || !j.is_object())
            return report(ctx, fail(Errc::invalid_argument, a.generation_file + " is not a JSON object"), kUsage);
        spec.generation = j;
    }
    if (!a.license_terms.empty() || !a.licensor.empty()) {
        spec.license = nlohmann::json{{"terms", a.license_terms}, {"licensor", a.licensor}, {"scope", a.license_scope}};
    }
    if (!a.no_thumbnail) {
        auto t = make_thumbnail(a.in, ctx.config);
        if (!t.empty()) spec.thumbnail = pv::ThumbnailSpec{"image/jpeg", std::move(t)};
    }

    const std::string keys_dir = a.keys_dir.empty() ? ctx.config.get_string("provenance.keys_dir") : a.keys_dir;
    pv::KeyStore keys(keys_dir.empty() ? pv::KeyStore::default_dir() : std::filesystem::path(keys_dir));
    auto id = keys.identity(a.alg == "ed25519" ? pv::SigningAlg::ed25519 : pv::SigningAlg::es256);
    if (!id) return report(ctx, id.error());
    auto r = pv::sign_file(a.in, a.out, spec, *id);
    if (!r) return report(ctx, r.error());
    // Every signature is recorded in the provenance log.
    if (!a.no_log) {
        nlohmann::json details = {{"input", std::filesystem::path(a.in).filename().string()},
                                  {"output", std::filesystem::path(a.out).filename().string()}};
        nlohmann::json acts = nlohmann::json::array();
        for (const auto& act : spec.actions)
            acts.push_back(act.action);
        details["actions"] = acts;
        auto log = pv::ProvenanceLog::open(pv::ProvenanceLog::default_path(), *id);
        auto entry = log ? log->append("sign", to_hex(sha256(r->asset)), r->manifest_label, details)
                         : Result<pv::LogEntry>(log.error());
        if (!entry)
            return report(ctx, entry.error().with_context("signed, but recording it in the provenance log failed"));
    }
    if (ctx.json) {
        print_json({{"output", a.out},
                    {"manifest", r->manifest_label},
                    {"manifest_bytes", r->manifest_size},
                    {"signer", id->chain.front().subject()},
                    {"alg", pv::alg_name(id->alg)},
                    {"trust_anchor", keys.ca_cert_path().string()}});
    } else {
        std::printf("Signed %s -> %s\n  manifest %s (%zu bytes), %s, signer %s\n  trust anchor: %s\n", a.in.c_str(),
                    a.out.c_str(), r->manifest_label.c_str(), r->manifest_size, pv::alg_name(id->alg).c_str(),
                    id->chain.front().subject().c_str(), keys.ca_cert_path().c_str());
    }
    return kOk;
}

}  // namespace

ATELIER_CLI_COMMAND("sign", 60, [](CLI::App& app, Context& ctx) {
    auto a = std::make_shared<SignArgs>();
    auto* cmd = app.add_subcommand("sign", "embed signed Content Credentials (C2PA) in a PNG, JPEG, TIFF or WebP");
    cmd->add_option("IN", a->in, "input PNG, JPEG, TIFF or WebP")->required()->check(CLI::ExistingFile);
    cmd->add_option("OUT", a->out, "signed output file")->required();
    cmd->add_option("--action", a->actions, "action after creation: edited, resized, placed, ... (repeatable)");
    cmd->add_option("--ingredient", a->ingredients, "parent asset (its own credentials are carried along)");
    cmd->add_option("--component", a->components, "asset placed into this one (componentOf)");
    cmd->add_option("--source", a->source, "digital source: trained (default), algorithmic, composite, capture");
    cmd->add_option("--title", a->title, "title in the manifest (default: output file name)");
    cmd->add_option("--generation", a->generation_file,
                    "JSON file for org.atelier.generation (model, prompt, seed...)");
    cmd->add_option("--license-terms", a->license_terms, "org.atelier.license terms");
    cmd->add_option("--licensor", a->licensor, "org.atelier.license licensor");
    cmd->add_option("--license-scope", a->license_scope, "org.atelier.license scope");
    cmd->add_option("--alg", a->alg, "es256 (default) or ed25519")->check(CLI::IsMember({"es256", "ed25519"}));
    cmd->add_option("--keys", a->keys_dir, "key directory (default $XDG_DATA_HOME/atelier/keys)");
    cmd->add_flag("--no-thumbnail", a->no_thumbnail, "do not embed a thumbnail");
    cmd->add_flag("--no-log", a->no_log, "do not record the signature in the provenance log");
    cmd->callback([&ctx, a] { ctx.exit_code = run_sign(ctx, *a); });
});

}  // namespace atelier::cli
