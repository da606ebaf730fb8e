// SPDX-License-Identifier: MIT
#include "atelier/autotag/autotag.h"

#include <algorithm>
#include <thread>
#include <variant>

#include "atelier/base/hash.h"
#include "atelier/ml/runtime.h"
#include "atelier/ops/tag_hash.h"
#include "atelier/ops/tag_load.h"
#include "atelier/ops/tag_moderation.h"
#include "atelier/ops/tagger.h"

namespace atelier::autotag {

namespace {

namespace fs = std::filesystem;

class OpsAutoTagger final : public catalog::AutoTagger {
public:
    OpsAutoTagger(ops::TagPipeline pipeline, std::shared_ptr<ml::Runtime> runtime,
                  std::vector<std::shared_ptr<ml::Model>> models, std::string embedding_model,
                  imageio::ImageLimits limits)
        : m_pipeline(std::move(pipeline)),
          m_runtime(std::move(runtime)),
          m_models(std::move(models)),
          m_embedding_model(std::move(embedding_model)),
          m_limits(limits) {
        for (const auto& t : m_pipeline.taggers())
            m_stamps.push_back({t->info().id, t->info().version, t->info().model_hash});
    }

    [[nodiscard]] std::vector<catalog::TaggerStamp> taggers() const override { return m_stamps; }

    Result<catalog::AutoTagResult> tag(const fs::path& file, const CancelToken& cancel) override {
        auto loaded = ops::load_for_tagging(file, m_limits);
        if (!loaded) return loaded.error();
        auto report = m_pipeline.run(loaded->image, &loaded->facts, cancel);
        if (!report) return report.error().with_context(file.string());
        catalog::AutoTagResult out;
        catalog::PerceptualHashes hashes;
        int hash_parts = 0;
        for (auto& t : report->tags) {
            if (t.name.rfind("hash.", 0) == 0) {
                auto text = std::get_if<std::string>(&t.value);
                auto h = text ? ops::parse_hash_hex(*text) : Result<std::uint64_t>(fail(Errc::internal, "no hex"));
                if (!h) {
                    out.problems.push_back(t.tagger + ": unreadable " + t.name);
                    continue;
                }
                if (t.name == "hash.phash") {
                    hashes.phash = *h;
                    out.hashes_source = t.tagger;
                    ++hash_parts;
                } else if (t.name == "hash.phash_mirrored") {
                    hashes.phash_mirrored = *h;
                } else if (t.name == "hash.dhash") {
                    hashes.dhash = *h;
                }
                continue;
            }
            if (t.name == "embedding.dims") continue;
            if (t.name == "embedding") {  // the moderation tagger's features: no second forward pass
                if (auto* v = std::get_if<std::vector<float>>(&t.value);
                    v && !v->empty() && !m_embedding_model.empty()) {
                    out.embedding = std::move(*v);
                    out.embedding_model = m_embedding_model;
                }
                continue;
            }
            out.tags.push_back({t.name, ops::tag_value_string(t.value), t.confidence, t.tagger, t.model_hash});
        }
        if (hash_parts > 0) out.hashes = hashes;
        for (const auto& p : report->problems)
            out.problems.push_back(p.tagger + ": " + p.error.message);
        return out;
    }

private:
    ops::TagPipeline m_pipeline;
    std::shared_ptr<ml::Runtime> m_runtime;            // keeps the model's runtime alive
    std::vector<std::shared_ptr<ml::Model>> m_models;  // kept alive for the moderation tagger
    std::string m_embedding_model;
    imageio::ImageLimits m_limits;
    std::vector<catalog::TaggerStamp> m_stamps;
};

}  // namespace

Result<std::shared_ptr<catalog::AutoTagger>> make_auto_tagger(const Options& options, std::string* note) {
    auto pipeline = ops::TagPipeline::with_builtin_taggers();
    std::shared_ptr<ml::Runtime> runtime;
    std::vector<std::shared_ptr<ml::Model>> models;
    std::string embedding_model;
    if (options.moderation) {
        // One model instance per tagging thread on the CPU (the library tags
        // on one worker per core): ops::tagging_model_pool_plan.
        const unsigned workers = options.workers ? options.workers : std::max(1u, std::thread::hardware_concurrency());
        auto loaded = [&]() -> Result<void> {
            auto m = ops::load_moderation(options.model_dirs, options.device, options.threads, workers);
            if (!m) return m.error();
            ATELIER_TRY(pipeline.add(std::move(m->tagger)));
            const auto& info = pipeline.taggers().back()->info();
            embedding_model = info.qualified() + "#" + m->weights_hash.substr(0, 16);
            runtime = m->runtime;
            models = m->models;
            return ok();
        }();
        if (!loaded && note)
            *note = "moderation and embeddings skipped: " + loaded.error().message +
                    " (install the model with ./installer/setup.sh models)";
    }
    return std::shared_ptr<catalog::AutoTagger>(std::make_shared<OpsAutoTagger>(
        std::move(pipeline), std::move(runtime), std::move(models), std::move(embedding_model), options.limits));
}

}  // namespace atelier::autotag
