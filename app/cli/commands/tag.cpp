// SPDX-License-Identifier: MIT
// atelier tag FILE|DIR... [--json] [--no-moderation]: every tag of every
// image (specs, seamless and repeat type, palette, style, perceptual hashes,
// and nsfwjs moderation when its model is installed).
// atelier similar FILE --in DIR [--radius N] [--by phash|embedding]:
// near-duplicates of FILE among the images under DIR by pHash (mirrored
// copies included), or the most alike by MobileNetV2 embedding. `--in` an
// asset library folder answers from its stored hashes (retag.cpp).

#if ATELIER_HAVE_OPS

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "atelier/base/hash.h"
#include "atelier/base/paths.h"
#include "atelier/imageio/imageio.h"
#include "atelier/ml/registry.h"
#include "atelier/ml/runtime.h"
#include "atelier/ops/tag_hash.h"
#include "atelier/ops/tag_load.h"
#include "atelier/ops/tag_moderation.h"
#include "atelier/ops/tag_plugins.h"
#include "atelier/ops/tagger.h"
#include "cli.h"

namespace atelier::cli {

std::vector<std::filesystem::path> model_search_dirs(const Context& ctx);
#ifdef ATELIER_HAVE_AUTOTAG
// retag.cpp: `--in LIBRARY` answers from the library's stored hashes / embeddings.
bool is_library_dir(const std::string& dir);
int run_similar_library(Context& ctx, const std::string& file, const std::string& dir, int radius,
                        const std::string& by, int top);
#endif

namespace {

namespace fs = std::filesystem;

// The image files named by `inputs`: files as given, folders walked
// recursively (readable extensions only, sorted). Missing paths are errors.
Result<std::vector<fs::path>> collect_images(const std::vector<std::string>& inputs, bool& any_folder) {
    std::vector<fs::path> out;
    any_folder = false;
    for (const auto& in : inputs) {
        std::error_code ec;
        const fs::path p(in);
        if (fs::is_directory(p, ec)) {
            any_folder = true;
            std::vector<fs::path> found;
            for (fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
                 !ec && it != end; it.increment(ec))
                if (it->is_regular_file(ec) && imageio::readable_extension(it->path())) found.push_back(it->path());
            if (ec) return fail(Errc::io_error, "cannot list folder " + in + ": " + ec.message());
            std::sort(found.begin(), found.end());
            out.insert(out.end(), found.begin(), found.end());
        } else if (fs::exists(p, ec)) {
            out.push_back(p);
        } else {
            return fail(Errc::not_found, in + ": no such file or folder");
        }
    }
    return out;
}

struct Tagged {
    fs::path file;
    Result<ops::TagReport> report = fail(Errc::internal, "not run");
};

// Images per model forward pass on a GPU.
constexpr std::size_t kGpuBatch = 16;

// Tags files [lo, hi) as one batch (one forward pass of the moderation model
// for the batch); files that cannot be read get their own error.
void tag_files_batch(const std::vector<fs::path>& files, std::size_t lo, std::size_t hi,
                     const imageio::ImageLimits& limits, const ops::TagPipeline& pipeline, const CancelToken& cancel,
                     std::vector<Tagged>& results) {
    std::vector<Image> images;
    std::vector<ops::FileFacts> facts;
    std::vector<std::size_t> index;
    images.reserve(hi - lo);
    facts.reserve(hi - lo);
    for (std::size_t i = lo; i < hi; ++i) {
        results[i].file = files[i];
        auto loaded = ops::load_for_tagging(files[i], limits);
        if (!loaded) {
            results[i].report = loaded.error();
            continue;
        }
        images.push_back(std::move(loaded->image));
        facts.push_back(std::move(loaded->facts));
        index.push_back(i);
    }
    std::vector<const Image*> image_ptrs;
    std::vector<const ops::FileFacts*> fact_ptrs;
    for (std::size_t k = 0; k < images.size(); ++k) {
        image_ptrs.push_back(&images[k]);
        fact_ptrs.push_back(&facts[k]);
    }
    auto r = pipeline.run_batch(image_ptrs, fact_ptrs, cancel);
    for (std::size_t k = 0; k < index.size(); ++k) {
        auto& out = results[index[k]].report;
        if (!r)
            out = r.error();
        else if (!(*r)[k])
            out = (*r)[k].error().with_context(files[index[k]].string());
        else
            out = std::move((*r)[k]);
    }
}

nlohmann::json tag_json(const ops::Tag& t) {
    nlohmann::json j{{"name", t.name}, {"confidence", t.confidence}, {"tagger", t.tagger}};
    std::visit([&](const auto& v) { j["value"] = v; }, t.value);
    if (!t.model_hash.empty()) j["model_hash"] = t.model_hash;
    return j;
}

// Runs `work(i)` for i in [0, n) on all cores, reporting progress.
template <class F>
void parallel_for(Context& ctx, std::size_t n, bool show_progress, const std::string& label, F&& work) {
    const unsigned threads =
        std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), static_cast<unsigned>(n)));
    std::atomic<std::size_t> next{0}, done{0};
    std::mutex progress_mutex;
    auto worker = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < n && !ctx.cancel.cancelled();) {
            work(i);
            const std::size_t d = done.fetch_add(1) + 1;
            if (show_progress) {
                std::lock_guard lock(progress_mutex);
                progress(ctx, label, static_cast<double>(d) / n);
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t)
        pool.emplace_back(worker);
    worker();
    for (auto& t : pool)
        t.join();
}

// The installed nsfwjs MobileNetV2 (verified) on the configured device, one
// instance per tagging worker on the CPU (ops::tagging_model_pool_plan).
Result<ops::ModerationSetup> load_nsfw_model(Context& ctx, unsigned workers) {
    const auto threads = ctx.config.get_int("ml.threads");
    return ops::load_moderation(model_search_dirs(ctx), ctx.config.get_string("ml.device"),
                                threads ? static_cast<int>(*threads) : 0, workers, ctx.cancel.token());
}

unsigned tagging_workers(std::size_t files) {
    return std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), static_cast<unsigned>(files)));
}

// Adds the nsfwjs moderation tagger when its model is installed. Returns a
// note for the user when it is not (tagging goes on without it).
std::string add_moderation(Context& ctx, ops::TagPipeline& pipeline, unsigned workers, bool& gpu) {
    auto m = load_nsfw_model(ctx, workers);
    if (!m) return "moderation skipped: " + m.error().message + " (install it with ./installer/setup.sh models)";
    gpu = m->runtime->device().kind == ml::DeviceKind::cuda;
    (void)pipeline.add(std::move(m->tagger));
    return "";
}

// atelier similar --by embedding: "more like this", ranked by the cosine
// similarity of MobileNetV2 embeddings.
int run_similar_embedding(Context& ctx, const std::string& file, const std::vector<fs::path>& files,
                          const imageio::ImageLimits& limits, int top) {
    auto m = load_nsfw_model(ctx, tagging_workers(files.size()));
    if (!m) return report(ctx, m.error().with_context("similar --by embedding needs the nsfwjs-mobilenetv2 model"));
    std::atomic<std::size_t> turn{0};
    auto model_for = [&]() -> ml::Model& { return *m->models[turn.fetch_add(1) % m->models.size()]; };
    auto img = imageio::load(file, limits);
    if (!img) return report(ctx, img.error());
    auto q = ops::moderate(model_for(), {&*img}, true, ctx.cancel.token());
    if (!q) return report(ctx, q.error());
    std::vector<std::optional<std::vector<float>>> emb(files.size());
    parallel_for(ctx, files.size(), true, "embedding", [&](std::size_t i) {
        auto im = imageio::load(files[i], limits);
        if (!im) return;
        if (auto r = ops::moderate(model_for(), {&*im}, true, ctx.cancel.token()))
            emb[i] = std::move(r->front().embedding);
    });
    if (ctx.cancel.cancelled()) return report(ctx, fail(Errc::cancelled, "search cancelled"));
    std::vector<std::pair<double, std::size_t>> ranked;
    for (std::size_t i = 0; i < files.size(); ++i)
        if (emb[i]) ranked.emplace_back(ops::embedding_similarity(q->front().embedding, *emb[i]), i);
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    if (static_cast<int>(ranked.size()) > top) ranked.resize(static_cast<std::size_t>(top));
    if (ctx.json) {
        nlohmann::json j{{"file", file}, {"by", "embedding"}, {"model_hash", m->weights_hash}};
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& [sim, i] : ranked)
            arr.push_back({{"file", files[i].string()}, {"similarity", sim}});
        j["matches"] = arr;
        print_json(j);
        return kOk;
    }
    std::printf("%s  most similar by MobileNetV2 embedding (cosine):\n", file.c_str());
    for (const auto& [sim, i] : ranked)
        std::printf("  %.3f  %s\n", sim, files[i].c_str());
    return kOk;
}

// Adds the tagger plugins of the data dir and of `extra_dir`; refused ones
// are reported on stderr with their reason and skipped.
Result<void> add_plugins(Context& ctx, ops::TagPipeline& pipeline, const std::string& extra_dir) {
    if (!extra_dir.empty() && !fs::is_directory(extra_dir))
        return fail(Errc::not_found, "--plugins " + extra_dir + ": no such folder");
    std::vector<fs::path> dirs{paths::data_dir() / "plugins" / "tagger"};
    if (!extra_dir.empty()) dirs.emplace_back(extra_dir);
    for (const auto& dir : dirs) {
        auto loaded = ops::load_tagger_plugins(dir);
        for (const auto& [path, error] : loaded.rejected)
            if (!ctx.json) std::fprintf(stderr, "atelier: skipped %s\n", error.message.c_str());
        for (auto& t : loaded.taggers) {
            const std::string id = t->info().qualified();
            if (auto r = pipeline.add(std::move(t)); !r && !ctx.json)
                std::fprintf(stderr, "atelier: skipped plugin %s: %s\n", id.c_str(), r.error().message.c_str());
        }
    }
    return ok();
}

int run_tag(Context& ctx, const std::vector<std::string>& inputs, bool moderation, const std::string& plugin_dir) {
    auto limits = imageio::ImageLimits::from_config(ctx.config);
    if (!limits) return report(ctx, limits.error());
    bool any_folder = false;
    auto files = collect_images(inputs, any_folder);
    if (!files) return report(ctx, files.error(), kUsage);
    if (files->empty()) return report(ctx, fail(Errc::not_found, "no image files found in the given folders"));
    auto pipeline = ops::TagPipeline::with_builtin_taggers();
    if (auto r = add_plugins(ctx, pipeline, plugin_dir); !r) return report(ctx, r.error(), kUsage);
    // Throughput structure (docs/PERFORMANCE.md, "Auto-tagging"): one worker
    // thread per core, each decoding its next images and running every tagger
    // over them, so decoding on one worker overlaps tagging on the others.
    // On the CPU each worker has its own model instance with one intra-op
    // thread (no oversubscription, no OpenMP barriers between cores); on a
    // GPU one instance takes batches from all workers.
    const unsigned workers = tagging_workers(files->size());
    bool gpu = false;
    if (moderation) {
        if (auto note = add_moderation(ctx, pipeline, workers, gpu); !note.empty() && !ctx.json)
            std::fprintf(stderr, "atelier: %s\n", note.c_str());
    }
    std::vector<Tagged> results(files->size());
    // Images per `run_batch` call (one forward pass of the model). On the
    // CPU the model is fastest per image at batch 1 (measured: larger batches
    // only add memory traffic); on a GPU batches amortise the launches.
    const std::size_t batch = gpu ? kGpuBatch : 1;
    const std::size_t n = files->size(), batches = (n + batch - 1) / batch;
    parallel_for(ctx, batches, any_folder || n > 1, "tagging", [&](std::size_t b) {
        tag_files_batch(*files, b * batch, std::min(n, (b + 1) * batch), *limits, pipeline, ctx.cancel.token(),
                        results);
    });
    if (ctx.cancel.cancelled()) return report(ctx, fail(Errc::cancelled, "tagging cancelled"));
    int failures = 0;
    nlohmann::json all = nlohmann::json::array();
    for (const auto& r : results) {
        if (!r.report) {
            ++failures;
            if (ctx.json)
                all.push_back({{"file", r.file.string()},
                               {"error",
                                {{"code", std::string(errc_name(r.report.error().code))},
                                 {"message", r.report.error().message}}}});
            else
                report(ctx, r.report.error());
            continue;
        }
        if (ctx.json) {
            nlohmann::json tags = nlohmann::json::array(), problems = nlohmann::json::array();
            for (const auto& t : r.report->tags)
                if (t.name != "embedding") tags.push_back(tag_json(t));  // 1280 floats: `similar --by embedding`
            for (const auto& p : r.report->problems)
                problems.push_back({{"tagger", p.tagger},
                                    {"code", std::string(errc_name(p.error.code))},
                                    {"message", p.error.message}});
            all.push_back({{"file", r.file.string()}, {"tags", tags}, {"problems", problems}});
            continue;
        }
        std::printf("%s\n", r.file.c_str());
        std::string last_tagger;
        for (const auto& t : r.report->tags) {
            if (t.name == "embedding") continue;
            if (t.tagger != last_tagger) {
                std::printf("  [%s]%s%s\n", t.tagger.c_str(), t.model_hash.empty() ? "" : " model ",
                            t.model_hash.substr(0, 12).c_str());
                last_tagger = t.tagger;
            }
            const std::string v = ops::tag_value_string(t.value);
            if (t.confidence < 0.999)
                std::printf("    %-26s %-22s confidence %.2f\n", t.name.c_str(), v.c_str(), t.confidence);
            else
                std::printf("    %-26s %s\n", t.name.c_str(), v.c_str());
        }
        for (const auto& p : r.report->problems)
            std::printf("  [%s] not tagged: %s\n", p.tagger.c_str(), p.error.message.c_str());
    }
    if (ctx.json) print_json(all);
    return failures ? kFailed : kOk;
}

int run_similar(Context& ctx, const std::string& file, const std::string& dir, int radius, const std::string& by,
                int top) {
    if (radius < 0 || radius > 64) return report(ctx, fail(Errc::invalid_argument, "--radius must be 0..64"), kUsage);
    if (by != "phash" && by != "embedding")
        return report(ctx, fail(Errc::invalid_argument, "--by must be phash or embedding"), kUsage);
#ifdef ATELIER_HAVE_AUTOTAG
    if (is_library_dir(dir)) return run_similar_library(ctx, file, dir, radius, by, std::max(1, top));
#endif
    auto limits = imageio::ImageLimits::from_config(ctx.config);
    if (!limits) return report(ctx, limits.error());
    if (by == "embedding") {
        bool folder = false;
        auto all = collect_images({dir}, folder);
        if (!all) return report(ctx, all.error(), kUsage);
        return run_similar_embedding(ctx, file, *all, *limits, std::max(1, top));
    }
    auto img = imageio::load(file, *limits);
    if (!img) return report(ctx, img.error());
    auto preview = ops::make_preview(*img);
    if (!preview) return report(ctx, preview.error());
    auto query = ops::hashes_from_preview(*preview);
    if (!query) return report(ctx, query.error());
    bool any_folder = false;
    auto files = collect_images({dir}, any_folder);
    if (!files) return report(ctx, files.error(), kUsage);
    std::vector<std::optional<std::uint64_t>> hashes(files->size());
    parallel_for(ctx, files->size(), true, "hashing", [&](std::size_t i) {
        auto im = imageio::load((*files)[i], *limits);
        if (!im) return;
        auto p = ops::make_preview(*im);
        if (!p) return;
        if (auto h = ops::hashes_from_preview(*p)) hashes[i] = h->phash;
    });
    if (ctx.cancel.cancelled()) return report(ctx, fail(Errc::cancelled, "search cancelled"));
    ops::HashIndex index;
    std::size_t skipped = 0;
    for (std::size_t i = 0; i < hashes.size(); ++i) {
        if (hashes[i])
            index.add(*hashes[i], static_cast<std::uint32_t>(i));
        else
            ++skipped;
    }
    struct Hit {
        std::uint32_t id;
        int distance;
        bool mirrored;
    };
    std::vector<Hit> hits;
    for (const auto& m : index.query(query->phash, radius))
        hits.push_back({m.id, m.distance, false});
    for (const auto& m : index.query(query->phash_mirrored, radius)) {
        auto it = std::find_if(hits.begin(), hits.end(), [&](const Hit& h) { return h.id == m.id; });
        if (it == hits.end())
            hits.push_back({m.id, m.distance, true});
        else if (m.distance < it->distance)
            *it = {m.id, m.distance, true};
    }
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
        return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
    });
    std::error_code ec;
    const auto self = fs::weakly_canonical(file, ec);
    if (ctx.json) {
        nlohmann::json j{{"file", file},
                         {"phash", ops::hash_hex(query->phash)},
                         {"searched", index.size()},
                         {"unreadable", skipped},
                         {"radius", radius}};
        nlohmann::json m = nlohmann::json::array();
        for (const auto& h : hits)
            m.push_back({{"file", (*files)[h.id].string()},
                         {"distance", h.distance},
                         {"mirrored", h.mirrored},
                         {"same_file", fs::weakly_canonical((*files)[h.id], ec) == self}});
        j["matches"] = m;
        print_json(j);
        return kOk;
    }
    std::printf("%s  pHash %s: %zu match%s within %d bits among %zu images%s\n", file.c_str(),
                ops::hash_hex(query->phash).c_str(), hits.size(), hits.size() == 1 ? "" : "es", radius, index.size(),
                skipped ? (" (" + std::to_string(skipped) + " unreadable skipped)").c_str() : "");
    for (const auto& h : hits) {
        const bool same = fs::weakly_canonical((*files)[h.id], ec) == self;
        std::printf("  %2d  %s%s%s\n", h.distance, (*files)[h.id].c_str(), h.mirrored ? "  (mirrored)" : "",
                    same ? "  (the file itself)" : "");
    }
    return kOk;
}

}  // namespace

ATELIER_CLI_COMMAND("tag", 40, [](CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("tag", "auto-tag images: specs, seamless/repeat, palette, style, perceptual hashes");
    static std::vector<std::string> inputs;
    static bool no_moderation = false;
    static std::string plugins;
    cmd->add_option("paths", inputs, "image files or folders (searched recursively)")->required();
    cmd->add_option("--plugins", plugins,
                    "folder of tagger plugins (*.so, see docs/TAGGING.md) loaded in addition to "
                    "<data dir>/plugins/tagger");
    cmd->add_flag("--no-moderation", no_moderation,
                  "skip the nsfwjs moderation/embedding model (used when installed; loads LibTorch)");
    cmd->callback([&ctx] { ctx.exit_code = run_tag(ctx, inputs, !no_moderation, plugins); });
});

ATELIER_CLI_COMMAND("similar", 41, [](CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand(
        "similar", "find near-duplicates of an image (resized, recoloured, cropped, mirrored) in a folder");
    static std::string file, dir, by = "phash";
    static int radius = 12, top = 10;
    cmd->add_option("file", file, "the image to look for")->required();
    cmd->add_option("--in", dir, "folder to search (recursively), or an asset library folder (its stored hashes)")
        ->required();
    cmd->add_option("--radius", radius, "largest pHash Hamming distance that counts as a match (0..64)")
        ->capture_default_str();
    cmd->add_option("--by", by,
                    "phash: near-duplicates within --radius; embedding: the --top most alike by MobileNetV2 features")
        ->capture_default_str();
    cmd->add_option("--top", top, "how many results --by embedding lists")->capture_default_str();
    cmd->callback([&ctx] { ctx.exit_code = run_similar(ctx, file, dir, radius, by, top); });
});

}  // namespace atelier::cli

#endif  // ATELIER_HAVE_OPS
