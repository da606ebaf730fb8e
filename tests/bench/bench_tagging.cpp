// SPDX-License-Identifier: MIT
// Tagging benchmarks (JSON lines on stdout):
//  - the full built-in tagging pipeline on 1 MP images: images/s on one
//    thread and on all cores, and each tagger's share of the time;
//  - the multi-index hash index: radius-8 queries on 1 M hashes (p50/p99),
//    with a linear scan measured side by side as the peer.
//  - MobileNetV2 (nsfwjs) batch throughput on the CPU and the pipeline with
//    the moderation tagger (when the ml runtime and the model are present).
//   bench_tagging [--images N] [--hashes N] [--queries N] [--radius R] [--ml 0|1] [--ml-threads N]
//                 [--ml-reps N] [--ml-only 1] [--batch N]
//   (--images 0 runs only the index benchmark; --ml-only 1 only the MobileNetV2 batch section;
//    --ml-threads 0 = the runtime's adaptive choice, measured besides 1 thread; the pipeline
//    with moderation then loads one model instance per core with one thread each; --batch:
//    images per forward pass in that pipeline, default 1)

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/image/procedural.h"
#include "atelier/ops/tag_hash.h"
#include "atelier/ops/tagger.h"
#include "eval_set.h"

#if ATELIER_BENCH_ML
#include "atelier/base/paths.h"
#include "atelier/ml/registry.h"
#include "atelier/ml/runtime.h"
#include "atelier/ops/tag_moderation.h"
#endif

using namespace atelier;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}
double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}
double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
void emit(const nlohmann::json& j) {
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
}

void bench_pipeline(int count, std::unique_ptr<ops::Tagger> moderation, std::size_t batch);

#if ATELIER_BENCH_ML
double process_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
double load_average() {
    double v = -1;
    if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf", &v) != 1) v = -1;
        std::fclose(f);
    }
    return v;
}

// MobileNetV2 (nsfwjs) batch throughput on the CPU: the model alone (inputs
// already 224×224, the embedding asked for as moderation does), for 1 and
// `threads` intra-op threads, fp32 and bf16, batch 1 / 8 / 32. Wall-clock
// images/s depend on the machine's load (reported); cpu_ms_per_image is the
// process CPU time per image, the load-independent cost. Returns an fp32
// model (`threads` threads) for the pipeline run.
std::shared_ptr<ml::Model> bench_mobilenet(int threads, int reps) {
    auto reg = ml::ModelRegistry::scan(paths::model_dirs());
    auto mf = reg.resolve("nsfwjs-mobilenetv2");
    if (!mf) {
        emit({{"bench", "mobilenetv2_batch"}, {"skipped", mf.error().message}});
        return nullptr;
    }
    std::vector<int> thread_counts{1};
    if (threads != 1) thread_counts.push_back(threads);
    std::shared_ptr<ml::Model> keep_model;
    for (int t : thread_counts) {
        ml::RuntimeOptions ro;
        ro.threads = t;  // 0 = adaptive
        auto rt = ml::Runtime::create(ro);
        if (!rt) {
            emit({{"bench", "mobilenetv2_batch"}, {"skipped", rt.error().message}});
            return nullptr;
        }
        static std::vector<std::shared_ptr<ml::Runtime>> keep;
        keep.push_back(*rt);
        auto model = (*rt)->load(**mf);
        if (!model) {
            emit({{"bench", "mobilenetv2_batch"}, {"skipped", model.error().message}});
            return nullptr;
        }
        std::vector<ml::Precision> precisions{ml::Precision::fp32};
        if ((*rt)->device().bf16) precisions.push_back(ml::Precision::bf16);
        for (auto prec : precisions)
            for (int batch : {1, 8, 32}) {
                ml::TensorF32 input({batch, ops::kNsfwInputSize, ops::kNsfwInputSize, 3});
                const std::size_t per = input.data.size() / static_cast<std::size_t>(batch);
                for (int i = 0; i < batch; ++i) {
                    auto one = ops::nsfwjs_input(evalset::photo_like(224, 224, static_cast<unsigned>(i)));
                    if (!one) std::exit(1);
                    std::copy(one->data.begin(), one->data.end(), input.data.begin() + i * per);
                }
                ml::RunOptions run;
                run.precision = prec;
                run.extra_outputs.emplace_back(ops::kEmbeddingLayer);
                if (!(*model)->run(input, run)) std::exit(1);  // warm-up (and the bf16 weight copy)
                std::vector<double> times, cpu;
                const double load0 = load_average();
                for (int rep = 0; rep < reps; ++rep) {
                    const auto w = Clock::now();
                    const double c = process_cpu_ms();
                    if (!(*model)->run(input, run)) std::exit(1);
                    cpu.push_back(process_cpu_ms() - c);
                    times.push_back(ms_since(w));
                }
                const double med = percentile(times, 0.5), cpu_med = percentile(cpu, 0.5);
                emit({{"bench", "mobilenetv2_batch"},
                      {"device", (*rt)->device().name},
                      {"threads", (*rt)->device().threads},
                      {"precision", std::string(ml::precision_name(prec))},
                      {"batch", batch},
                      {"median_ms", med},
                      {"images_per_s", batch / (med / 1000.0)},
                      {"cpu_ms_per_image", cpu_med / batch},
                      {"images_per_cpu_s", batch / (cpu_med / 1000.0)},
                      {"load_average", {load0, load_average()}}});
            }
        keep_model = *model;
    }
    {  // nsfwjs preprocessing of a 1 MP image (8-bit RGB, /255, bilinear to 224²), outside the model
        const Image big = evalset::photo_like(1024, 1024, 5);
        std::vector<double> times;
        for (int rep = 0; rep < 5; ++rep) {
            const double c = process_cpu_ms();
            if (!ops::nsfwjs_input(big)) std::exit(1);
            times.push_back(process_cpu_ms() - c);
        }
        emit({{"bench", "mobilenetv2_preprocess_1mp"}, {"cpu_ms", percentile(times, 0.5)}});
    }
    return keep_model;
}

// The quality cost of bf16 for MobileNetV2: on the tagging evaluation set
// (every kind, `per_kind` each), the largest per-class probability
// difference and the smallest embedding cosine between bf16 and fp32.
void bench_mobilenet_bf16_quality(ml::Model& model, int per_kind) {
    const auto set = evalset::make_eval_set(per_kind, 7);
    double max_diff = 0, min_cos = 1, sum_cos = 0;
    std::string worst;
    for (const auto& s : set) {
        auto in = ops::nsfwjs_input(s.image);
        if (!in) std::exit(1);
        ml::RunOptions ro;
        ro.extra_outputs.emplace_back(ops::kEmbeddingLayer);
        ro.precision = ml::Precision::fp32;
        auto a = model.run(*in, ro);
        ro.precision = ml::Precision::bf16;
        auto b = model.run(*in, ro);
        if (!a || !b) std::exit(1);
        for (int c = 0; c < 5; ++c) {
            const double d = std::abs(static_cast<double>((*a)[0].data[c]) - (*b)[0].data[c]);
            if (d > max_diff) {
                max_diff = d;
                worst = s.name;
            }
        }
        double ab = 0, aa = 0, bb = 0;
        for (std::size_t i = 0; i < (*a)[1].data.size(); ++i) {
            ab += static_cast<double>((*a)[1].data[i]) * (*b)[1].data[i];
            aa += static_cast<double>((*a)[1].data[i]) * (*a)[1].data[i];
            bb += static_cast<double>((*b)[1].data[i]) * (*b)[1].data[i];
        }
        const double cos = ab / std::sqrt(std::max(aa * bb, 1e-30));
        min_cos = std::min(min_cos, cos);
        sum_cos += cos;
    }
    emit({{"bench", "mobilenetv2_bf16_quality"},
          {"images", set.size()},
          {"max_class_probability_diff", max_diff},
          {"worst_image", worst},
          {"min_embedding_cosine", min_cos},
          {"mean_embedding_cosine", sum_cos / static_cast<double>(set.size())}});
}
#endif

// The moderation tagger loaded as `atelier tag` loads it
// (ops::load_moderation: on the CPU one model instance per core with one
// intra-op thread each, or `threads` per instance when set).
std::unique_ptr<ops::Tagger> moderation_tagger(int threads) {
#if ATELIER_BENCH_ML
    auto setup =
        ops::load_moderation(paths::model_dirs(), "auto", threads, std::max(1u, std::thread::hardware_concurrency()));
    if (!setup) {
        emit({{"bench", "tag_pipeline_1mp_with_moderation"}, {"skipped", setup.error().message}});
        return nullptr;
    }
    static ops::ModerationSetup keep;  // the runtime and models outlive the tagger
    keep.runtime = setup->runtime;
    keep.models = setup->models;
    return std::move(setup->tagger);
#else
    (void)threads;
    return nullptr;
#endif
}

void bench_pipeline(int count, std::unique_ptr<ops::Tagger> moderation, std::size_t batch) {
    std::vector<Image> images;
    for (int i = 0; i < count; ++i) {
        const unsigned s = 100u + static_cast<unsigned>(i);
        switch (i % 5) {
            case 0:
                images.push_back(evalset::photo_like(1024, 1024, s));
                break;
            case 1:
                images.push_back(evalset::illustration(1024, 1024, s));
                break;
            case 2:
                images.push_back(procedural::seamless_waves(1024, 1024, s).value());
                break;
            case 3:
                images.push_back(procedural::noise_texture(1024, 1024, s).value());
                break;
            default:
                images.push_back(evalset::periodic_shapes(1024, 1024, ops::RepeatType::half_drop, s));
                break;
        }
    }
    auto pipeline = ops::TagPipeline::with_builtin_taggers();
    std::string label = "tag_pipeline_1mp";
    if (moderation) {
        (void)pipeline.add(std::move(moderation));
        label += "_with_moderation";
    }
    (void)pipeline.run(images[0]);  // warm-up (tables, caches)
    // `batch` images per `run_batch` call (one forward pass of the model).
    auto run_chunk = [&](std::size_t lo) {
        const std::size_t hi = std::min(images.size(), lo + batch);
        std::vector<Result<ops::TagReport>> out;
        if (batch == 1) {
            out.push_back(pipeline.run(images[lo]));
        } else {
            std::vector<const Image*> ptrs;
            for (std::size_t i = lo; i < hi; ++i)
                ptrs.push_back(&images[i]);
            auto r = pipeline.run_batch(ptrs);
            if (!r)
                out.push_back(r.error());
            else
                out = std::move(*r);
        }
        for (const auto& r : out)
            if (!r) {
                std::fprintf(stderr, "tagging failed: %s\n", r.error().message.c_str());
                std::exit(1);
            }
        return out;
    };
    // One thread, with per-tagger times.
    std::map<std::string, double> per_tagger;
    std::vector<double> per_image;
    const auto t0 = Clock::now();
    for (std::size_t lo = 0; lo < images.size(); lo += batch) {
        const auto t = Clock::now();
        auto out = run_chunk(lo);
        const double each = ms_since(t) / static_cast<double>(out.size());
        for (const auto& r : out) {
            per_image.push_back(each);
            for (const auto& [id, ms] : r->timings_ms)
                per_tagger[id] += ms;
        }
    }
    const double single_ms = ms_since(t0);
    // The intrinsic cost per tagger: this thread's CPU time (not preempted
    // time), median over the images; robust on a shared machine.
    std::map<std::string, std::vector<double>> cpu_ms;
    for (const auto& img : images) {
        double c = thread_cpu_ms();
        auto preview = ops::make_preview(img);
        cpu_ms["preview"].push_back(thread_cpu_ms() - c);
        const ops::TagInput input{img, *preview, nullptr, {}};
        for (const auto& tagger : pipeline.taggers()) {
            c = thread_cpu_ms();
            (void)tagger->tag(input);
            cpu_ms[tagger->info().id].push_back(thread_cpu_ms() - c);
        }
    }
    nlohmann::json cpu_json;
    double cpu_total = 0;
    for (const auto& [id, v] : cpu_ms)
        cpu_total += percentile(v, 0.5);
    for (const auto& [id, v] : cpu_ms)
        cpu_json[id] = {{"cpu_median_ms", percentile(v, 0.5)}, {"share", percentile(v, 0.5) / cpu_total}};
    double total = 0;
    for (const auto& [id, ms] : per_tagger)
        total += ms;
    nlohmann::json shares;
    for (const auto& [id, ms] : per_tagger)
        shares[id] = {{"share", ms / total}, {"ms_per_image", ms / count}};
    nlohmann::json single{{"bench", label + "_single_thread"},
                          {"images", count},
                          {"batch", batch},
                          {"images_per_s", count / (single_ms / 1000.0)},
                          {"median_ms", percentile(per_image, 0.5)},
                          {"taggers", shares}};
    if (!cpu_ms.empty()) {
        single["cpu_ms_sum_of_medians"] = cpu_total;
        single["cpu_images_per_s_one_core"] = 1000.0 / cpu_total;
        single["taggers_cpu"] = cpu_json;
    }
    emit(single);
    // All cores: one batch per thread at a time.
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::atomic<std::size_t> next{0};
    const auto t1 = Clock::now();
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (std::size_t lo; (lo = next.fetch_add(batch)) < images.size();)
                (void)run_chunk(lo);
        });
    for (auto& t : pool)
        t.join();
    const double all_ms = ms_since(t1);
    double load1 = -1;
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf", &load1) != 1) load1 = -1;
        std::fclose(f);
    }
    emit({{"bench", label + "_all_cores"},
          {"images", count},
          {"batch", batch},
          {"threads", threads},
          {"load_average_1m", load1},
          {"images_per_s", count / (all_ms / 1000.0)}});
}

// Peer: a BK-tree over Hamming distance (the other structure the issue
// names), nodes in one array, children as (distance, node) lists.
class BkTree {
public:
    void add(std::uint64_t h, std::uint32_t id) {
        const auto n = static_cast<std::uint32_t>(m_nodes.size());
        m_nodes.push_back({h, id, {}});
        if (n == 0) return;
        std::uint32_t cur = 0;
        for (;;) {
            const int d = ops::hamming(m_nodes[cur].hash, h);
            auto& kids = m_nodes[cur].children;
            auto it = std::find_if(kids.begin(), kids.end(), [&](const auto& k) { return k.first == d; });
            if (it == kids.end()) {
                kids.emplace_back(d, n);
                return;
            }
            cur = it->second;
        }
    }
    std::size_t query(std::uint64_t h, int r) const {
        std::size_t found = 0;
        std::vector<std::uint32_t> stack{0};
        while (!stack.empty()) {
            const auto& node = m_nodes[stack.back()];
            stack.pop_back();
            const int d = ops::hamming(node.hash, h);
            found += d <= r;
            for (const auto& [kd, child] : node.children)
                if (kd >= d - r && kd <= d + r) stack.push_back(child);
        }
        return found;
    }

private:
    struct Node {
        std::uint64_t hash;
        std::uint32_t id;
        std::vector<std::pair<int, std::uint32_t>> children;
    };
    std::vector<Node> m_nodes;
};

struct Latency {
    double p50 = 0, p99 = 0, cpu_p50 = 0, cpu_p99 = 0, max = 0;
    std::size_t found = 0;
};

// Times `fn(q)` over the queries, `passes` times: wall latency (includes
// preemption on a shared machine) and the thread's CPU time (intrinsic cost).
template <class F>
Latency measure(const std::vector<std::uint64_t>& qs, int passes, F&& fn) {
    std::vector<double> lat, cpu;
    Latency out;
    for (int pass = 0; pass < passes; ++pass)
        for (auto q : qs) {
            const auto t = Clock::now();
            const double c0 = thread_cpu_ms();
            const std::size_t n = fn(q);
            cpu.push_back(thread_cpu_ms() - c0);
            lat.push_back(ms_since(t));
            if (pass == 0) out.found += n;
        }
    out.p50 = percentile(lat, 0.5);
    out.p99 = percentile(lat, 0.99);
    out.cpu_p50 = percentile(cpu, 0.5);
    out.cpu_p99 = percentile(cpu, 0.99);
    out.max = percentile(lat, 1.0);
    return out;
}

nlohmann::json to_json(const Latency& l) {
    return {{"p50_ms", l.p50},         {"p99_ms", l.p99}, {"cpu_p50_ms", l.cpu_p50},
            {"cpu_p99_ms", l.cpu_p99}, {"max_ms", l.max}, {"matches", l.found}};
}

void bench_index(int n, int queries, int radius) {
    std::mt19937_64 rng(42);
    std::vector<std::uint64_t> hashes(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        // 90% random, 10% near-duplicates (a few bits off an earlier hash).
        hashes[i] =
            (i > 0 && i % 10 == 0) ? hashes[rng() % i] ^ (1ull << (rng() % 64)) ^ (1ull << (rng() % 64)) : rng();
    }
    std::vector<std::uint64_t> qs;
    for (int q = 0; q < queries; ++q)  // half near a stored hash, half random
        qs.push_back(q % 2 ? hashes[rng() % n] ^ (rng() & rng() & rng() & rng()) : rng());
    nlohmann::json variants = nlohmann::json::array();
    Latency best;
    int best_m = 0;
    for (int m : {4, 5, 6, 8, 9}) {
        const auto tb = Clock::now();
        ops::HashIndex index(m);
        index.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i)
            index.add(hashes[i], static_cast<std::uint32_t>(i));
        index.compact();
        const double build_ms = ms_since(tb);
        (void)measure(qs, 1, [&](std::uint64_t q) { return index.query(q, radius).size(); });  // warm
        const Latency l = measure(qs, 3, [&](std::uint64_t q) { return index.query(q, radius).size(); });
        auto j = to_json(l);
        j["substrings"] = m;
        j["build_ms"] = build_ms;
        variants.push_back(j);
        if (m == ops::HashIndex::kDefaultSubstrings) {
            best = l;
            best_m = m;
        }
    }
    // Peers in the same run: BK-tree and a linear scan over the same hashes.
    const auto tbk = Clock::now();
    BkTree bk;
    for (int i = 0; i < n; ++i)
        bk.add(hashes[i], static_cast<std::uint32_t>(i));
    const double bk_build_ms = ms_since(tbk);
    const std::vector<std::uint64_t> few(qs.begin(), qs.begin() + std::min<std::size_t>(qs.size(), 500));
    const Latency lbk = measure(few, 1, [&](std::uint64_t q) { return bk.query(q, radius); });
    const Latency lscan = measure(few, 1, [&](std::uint64_t q) {
        std::size_t f = 0;
        for (int i = 0; i < n; ++i)
            f += ops::hamming(hashes[i], q) <= radius;
        return f;
    });
    auto jbk = to_json(lbk);
    jbk["build_ms"] = bk_build_ms;
    jbk["queries"] = few.size();
    auto jscan = to_json(lscan);
    jscan["queries"] = few.size();
    emit({{"bench", "hash_index_radius" + std::to_string(radius)},
          {"hashes", n},
          {"queries", queries},
          {"default_substrings", best_m},
          {"p50_ms", best.p50},
          {"p99_ms", best.p99},
          {"cpu_p99_ms", best.cpu_p99},
          {"variants", variants},
          {"peer_bk_tree", jbk},
          {"peer_linear_scan", jscan}});
}

}  // namespace

int main(int argc, char** argv) {
    int images = 20, hashes = 1'000'000, queries = 10'000, ml_threads = 0, ml_reps = 5, batch = 1;
    bool ml_only = false;
    std::vector<int> radii{8, 12};
    bool ml = true;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--images")) images = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--hashes")) hashes = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--queries")) queries = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--ml-threads")) ml_threads = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--radius")) radii = {std::atoi(argv[i + 1])};
        if (!std::strcmp(argv[i], "--ml")) ml = std::atoi(argv[i + 1]) != 0;
        if (!std::strcmp(argv[i], "--batch")) batch = std::max(1, std::atoi(argv[i + 1]));
        if (!std::strcmp(argv[i], "--ml-reps")) ml_reps = std::max(1, std::atoi(argv[i + 1]));
        if (!std::strcmp(argv[i], "--ml-only")) ml_only = std::atoi(argv[i + 1]) != 0;
    }
#if ATELIER_BENCH_ML
    if (ml_only) {
        if (auto m = bench_mobilenet(ml_threads, ml_reps)) bench_mobilenet_bf16_quality(*m, 4);
        return 0;
    }
#endif
    for (int r : radii)
        bench_index(hashes, queries, r);
    if (images > 0) bench_pipeline(images, nullptr, 1);
#if ATELIER_BENCH_ML
    if (images > 0 && ml && bench_mobilenet(ml_threads, ml_reps))
        if (auto t = moderation_tagger(ml_threads))
            bench_pipeline(images, std::move(t), static_cast<std::size_t>(batch));
#endif
    return 0;
}
