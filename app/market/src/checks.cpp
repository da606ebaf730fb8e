// SPDX-License-Identifier: MIT
// The checks run on a completed upload before its listing exists (see
// UploadCheck in context.h). Each check is built from the module that does
// the real work when that module is part of the build:
//   - exact duplicates (always): the same content hash already listed;
//   - c2pa (core/provenance): the embedded Content Credentials are validated;
//     the summary becomes the listing's provenance summary; an invalid or
//     unreadable manifest is flagged;
//   - moderation (core/ops tag_moderation + core/ml): the nsfwjs MobileNetV2
//     model; explicit/suggestive probabilities above the configured
//     thresholds are flagged;
//   - near-duplicate (core/ops tag_hash): pHash (plus its mirrored form) and
//     dHash against every listing not rejected, through in-memory HashIndexes;
//   - watermark: the seam for the watermark module, which does not exist yet.
// A check whose module is missing is registered as "unavailable" so that the
// listing says what was not checked instead of pretending it passed.
#include <limits>
#include <mutex>
#include <set>
#include <shared_mutex>

#include "context.h"

#if ATELIER_MARKET_HAVE_PROVENANCE
#include "atelier/provenance/validate.h"
#endif
#if ATELIER_MARKET_HAVE_OPS
#include "atelier/ops/tag_hash.h"
#endif
#if ATELIER_MARKET_HAVE_MODERATION
#include "atelier/base/paths.h"
#include "atelier/ml/registry.h"
#include "atelier/ml/runtime.h"
#include "atelier/ops/tag_moderation.h"
#endif

namespace atelier::market_server {

namespace {

// A check whose module is not part of this build (or not installed).
class UnavailableCheck final : public UploadCheck {
public:
    UnavailableCheck(std::string name, std::string why) : m_name(std::move(name)), m_why(std::move(why)) {}
    std::string name() const override { return m_name; }
    Result<CheckVerdict> check(Conn&, const UploadFacts&) override {
        CheckVerdict v;
        v.unavailable = true;
        v.reason = m_why;
        return v;
    }

private:
    std::string m_name, m_why;
};

class ExactDuplicateCheck final : public UploadCheck {
public:
    std::string name() const override { return "exact-duplicate"; }
    Result<CheckVerdict> check(Conn& conn, const UploadFacts& f) override {
        CheckVerdict v;
        auto rows =
            conn.query("SELECT id FROM listings WHERE asset_sha256 = $1 AND status <> 'rejected' LIMIT 1", {f.sha256});
        if (!rows) return std::move(rows).error();
        if (!rows->empty()) {
            v.flag = true;
            v.reason = "identical file already listed as " + (*rows)[0].str(0);
        }
        return v;
    }
};

#if ATELIER_MARKET_HAVE_PROVENANCE
// Content Credentials: validated with core/provenance against the configured
// trust anchors. Summary: state (the reference's names: NoManifest,
// Unreadable, Invalid, Valid, Trusted), the active manifest's label, title, generator, signer, and the
// failure codes. Only PNG and JPEG carry manifests here; other formats report
// no_manifest.
class ProvenanceCheck final : public UploadCheck {
public:
    explicit ProvenanceCheck(std::vector<provenance::Certificate> anchors) {
        m_opts.trust_anchors = std::move(anchors);
    }
    std::string name() const override { return "c2pa"; }
    Result<CheckVerdict> check(Conn&, const UploadFacts& f) override {
        CheckVerdict v;
        auto rep = provenance::validate_file(f.file, m_opts);
        if (!rep) return std::move(rep).error();
        json s = {{"state", provenance::state_name(rep->state)}};
        if (rep->remote_url) s["remote_url"] = *rep->remote_url;
        if (!rep->error.empty()) s["error"] = rep->error;
        if (!rep->active_label.empty()) {
            s["active_manifest"] = rep->active_label;
            const auto& m = rep->manifests.value(rep->active_label, json::object());
            for (const char* k : {"title", "claim_generator", "claim_generator_info", "signature_info"})
                if (m.contains(k)) s[k] = m[k];
            if (m.contains("assertions") && m["assertions"].is_array()) {
                json labels = json::array();
                for (const auto& a : m["assertions"])
                    if (a.is_object() && a.contains("label")) labels.push_back(a["label"]);
                s["assertions"] = labels;
            }
        }
        json failures = json::array();
        for (const auto& st : rep->active.failure)
            failures.push_back({{"code", st.code}, {"explanation", st.explanation}});
        for (const auto& d : rep->ingredient_deltas)
            for (const auto& st : d.deltas.failure)
                failures.push_back({{"code", st.code}, {"explanation", st.explanation}, {"ingredient", true}});
        s["failures"] = failures;
        s["validated"] = rep->active.success.size();
        if (rep->state == provenance::ValidationState::invalid ||
            rep->state == provenance::ValidationState::unreadable) {
            v.flag = true;
            v.reason = "Content Credentials are " + std::string(provenance::state_name(rep->state));
            if (!failures.empty()) v.reason += " (" + failures[0]["code"].get<std::string>() + ")";
            if (!rep->error.empty()) v.reason += ": " + rep->error;
        }
        v.summary = std::move(s);
        return v;
    }

private:
    provenance::ValidationOptions m_opts;
};
#endif

#if ATELIER_MARKET_HAVE_OPS
// Near duplicates: pHash (and the mirrored pHash, so a flipped copy is
// caught) and dHash of the decoded image, compared with every listing that is
// not rejected. Either hash within its radius flags the upload.
//
// Lookup through two in-memory ops::HashIndex (multi-index hashing; pHash and
// dHash), ids = listing seq. Before each lookup the indexes catch up with the
// listings created since the last one (`seq > m_seq`: seqs commit in order,
// since next_counter holds the counter row until commit), so listings
// published by this or another instance are found. Rejection is not undone
// in the index (it has no removal): the few candidates within the radii are
// read back from the database and those rejected (or with this very file) are
// dropped there, so a rejected or re-approved listing is always judged by its
// current status.
class NearDuplicateCheck final : public UploadCheck {
public:
    NearDuplicateCheck(int phash_max, int dhash_max) : m_pmax(phash_max), m_dmax(dhash_max) {}
    std::string name() const override { return "near-duplicate"; }
    Result<CheckVerdict> check(Conn& conn, const UploadFacts& f) override {
        auto ph = ops::phash(f.image);
        if (!ph) return std::move(ph).error();
        auto pm = ops::phash_mirrored(f.image);
        if (!pm) return std::move(pm).error();
        auto dh = ops::dhash(f.image);
        if (!dh) return std::move(dh).error();
        CheckVerdict v;
        v.summary = {{"phash", ops::hash_hex(*ph)}, {"dhash", ops::hash_hex(*dh)}};
        ATELIER_TRY(catch_up(conn));
        std::set<std::uint32_t> candidates;
        {
            std::shared_lock lock(m_mu);
            for (auto h : {*ph, *pm})
                for (const auto& m : m_phashes.query(h, m_pmax))
                    candidates.insert(m.id);
            for (const auto& m : m_dhashes.query(*dh, m_dmax))
                candidates.insert(m.id);
        }
        if (candidates.empty()) return v;
        std::string sql =
            "SELECT id, phash, dhash FROM listings WHERE status <> 'rejected' AND asset_sha256 <> $1 AND phash IS NOT "
            "NULL AND seq IN (";
        std::vector<Value> args{f.sha256};
        for (auto seq : candidates) {
            args.emplace_back(static_cast<std::int64_t>(seq));
            sql += (args.size() > 2 ? ", $" : "$") + std::to_string(args.size());
        }
        sql += ") ORDER BY seq";
        auto rows = conn.query(sql, args);
        if (!rows) return std::move(rows).error();
        int best = 65;
        for (const auto& r : *rows) {
            auto p = ops::parse_hash_hex(r.str(1));
            auto d = ops::parse_hash_hex(r.str(2));
            if (!p || !d) continue;
            int dp = std::min(ops::hamming(*ph, *p), ops::hamming(*pm, *p));
            int dd = ops::hamming(*dh, *d);
            if ((dp <= m_pmax || dd <= m_dmax) && dp + dd < best) {
                best = dp + dd;
                v.flag = true;
                v.reason = "looks like listing " + r.str(0) + " (pHash distance " + std::to_string(dp) +
                           "/64, dHash distance " + std::to_string(dd) + "/64)";
                v.summary["similar_to"] = r.str(0);
            }
        }
        return v;
    }

private:
    // Adds the listings with seq > m_seq to the indexes (all of them on the
    // first call; one short query afterwards).
    Result<void> catch_up(Conn& conn) {
        std::int64_t from = 0;
        {
            std::shared_lock lock(m_mu);
            from = m_seq;
        }
        auto rows = conn.query(
            "SELECT seq, phash, dhash FROM listings WHERE seq > $1 AND phash IS NOT NULL ORDER BY seq", {from});
        if (!rows) return std::move(rows).error();
        if (rows->empty()) return ok();
        std::unique_lock lock(m_mu);
        const bool bulk = rows->size() > 1024;
        for (const auto& r : *rows) {
            const std::int64_t seq = r.i64(0);
            if (seq <= m_seq) continue;  // another thread added it meanwhile
            m_seq = seq;
            auto p = ops::parse_hash_hex(r.str(1));
            auto d = ops::parse_hash_hex(r.null(2) ? std::string() : r.str(2));
            if (!p || seq > std::numeric_limits<std::uint32_t>::max()) continue;
            m_phashes.add(*p, static_cast<std::uint32_t>(seq));
            if (d) m_dhashes.add(*d, static_cast<std::uint32_t>(seq));
        }
        if (bulk) {
            m_phashes.compact();
            m_dhashes.compact();
        }
        return ok();
    }

    int m_pmax, m_dmax;
    std::shared_mutex m_mu;  // guards the indexes and m_seq (queries shared, catch-up exclusive)
    ops::HashIndex m_phashes, m_dhashes;
    std::int64_t m_seq = 0;  // highest listing seq looked at
};
#endif

#if ATELIER_MARKET_HAVE_MODERATION
// Moderation with the installed nsfwjs MobileNetV2 (loaded on first use, on
// the CPU; the model serialises its runs). explicit = hentai + porn,
// suggestive = explicit + sexy, as the moderation tagger rates them.
class ModerationCheck final : public UploadCheck {
public:
    ModerationCheck(double explicit_at, double suggestive_at) : m_explicit(explicit_at), m_suggestive(suggestive_at) {}
    std::string name() const override { return "moderation"; }

    /// Loads the model now; errors when it is not installed or does not verify.
    Result<void> load() {
        std::lock_guard lock(m_mu);
        if (m_model) return ok();
        auto reg = ml::ModelRegistry::scan(paths::model_dirs());
        auto mf = reg.resolve("nsfwjs-mobilenetv2");
        if (!mf)
            return mf.error().with_context(
                "the moderation model nsfwjs-mobilenetv2 is not installed (./installer/setup.sh models)");
        ml::RuntimeOptions ro;
        ro.device = "cpu";
        auto rt = ml::Runtime::create(ro);
        if (!rt) return std::move(rt).error();
        auto model = (*rt)->load(**mf);
        if (!model) return std::move(model).error();
        m_runtime = *rt;
        m_model = *model;
        m_version = (*mf)->version;
        return ok();
    }

    Result<CheckVerdict> check(Conn&, const UploadFacts& f) override {
        CheckVerdict v;
        if (auto l = load(); !l) {
            v.unavailable = true;
            v.reason = l.error().message;
            return v;
        }
        auto m = ops::moderate(*m_model, {&f.image}, false);
        if (!m) return std::move(m).error();
        const auto& p = (*m)[0].probabilities;
        json probs = json::object();
        for (std::size_t i = 0; i < p.size(); ++i)
            probs[std::string(ops::kModerationClasses[i])] = p[i];
        const double explicit_p = p[1] + p[3];
        const double suggestive_p = explicit_p + p[4];
        v.summary = {{"model", "nsfwjs-mobilenetv2@" + m_version},
                     {"probabilities", probs},
                     {"explicit", explicit_p},
                     {"suggestive", suggestive_p}};
        if (explicit_p >= m_explicit) {
            v.flag = true;
            v.reason =
                "explicit content probability " + std::to_string(explicit_p) + " ≥ " + std::to_string(m_explicit);
        } else if (suggestive_p >= m_suggestive) {
            v.flag = true;
            v.reason =
                "suggestive content probability " + std::to_string(suggestive_p) + " ≥ " + std::to_string(m_suggestive);
        }
        return v;
    }

private:
    double m_explicit, m_suggestive;
    std::mutex m_mu;
    std::shared_ptr<ml::Runtime> m_runtime;
    std::shared_ptr<ml::Model> m_model;
    std::string m_version;
};
#endif

}  // namespace

Result<void> register_default_checks(Context& ctx) {
    const auto& o = ctx.opt;
    ctx.checks.push_back(std::make_unique<ExactDuplicateCheck>());
#if ATELIER_MARKET_HAVE_PROVENANCE
    {
        std::vector<provenance::Certificate> anchors;
        std::string list = o.c2pa_trust_anchors;
        std::size_t i = 0;
        while (i <= list.size() && !list.empty()) {
            auto j = list.find(':', i);
            if (j == std::string::npos) j = list.size();
            auto file = list.substr(i, j - i);
            i = j + 1;
            if (file.empty()) continue;
            auto b = provenance::Certificate::load_bundle(file);
            if (!b) return b.error().with_context("market.c2pa_trust_anchors");
            anchors.insert(anchors.end(), b->begin(), b->end());
        }
        ctx.checks.push_back(std::make_unique<ProvenanceCheck>(std::move(anchors)));
    }
#else
    ctx.checks.push_back(std::make_unique<UnavailableCheck>(
        "c2pa", "not checked: this atelier-market was built without core/provenance"));
#endif
#if ATELIER_MARKET_HAVE_OPS
    ctx.checks.push_back(std::make_unique<NearDuplicateCheck>(o.phash_max_distance, o.dhash_max_distance));
#else
    ctx.checks.push_back(std::make_unique<UnavailableCheck>(
        "near-duplicate", "not checked: this atelier-market was built without core/ops (perceptual hashes)"));
#endif
    if (o.moderation == "off") {
        ctx.checks.push_back(std::make_unique<UnavailableCheck>("moderation", "turned off (market.moderation=off)"));
    } else {
#if ATELIER_MARKET_HAVE_MODERATION
        auto m = std::make_unique<ModerationCheck>(o.moderation_flag_explicit, o.moderation_flag_suggestive);
        if (o.moderation == "required") ATELIER_TRY(m->load());
        ctx.checks.push_back(std::move(m));
#else
        if (o.moderation == "required")
            return fail(Errc::unsupported,
                        "market.moderation=required but this atelier-market was built without core/ml and core/ops");
        ctx.checks.push_back(std::make_unique<UnavailableCheck>(
            "moderation", "not checked: this atelier-market was built without core/ml and core/ops"));
#endif
    }
    // Seam for the watermark module (does not exist yet): a WatermarkCheck
    // will read the invisible payload (creator/asset id) from f.image, put it
    // in its summary and flag an upload whose payload names another creator.
    // Register it here, in place of this placeholder.
    ctx.checks.push_back(
        std::make_unique<UnavailableCheck>("watermark", "not checked: the watermark module does not exist yet"));
    return ok();
}

}  // namespace atelier::market_server
