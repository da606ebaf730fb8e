// SPDX-License-Identifier: MIT
// Upscaling throughput (output MP/s) for esrgan-slim/medium/thick x4 at 128²
// and 512² inputs, side by side with the reference runtime (UpscalerJS's
// model packages on TensorFlow.js + WebAssembly in Node) on the same images
// in the same run; the quality cost of bf16 (PSNR against fp32) per model;
// and, with --peak, the peak memory of a 1024² → 4096² thick x4 tiled upscale.
//   bench_upscale [--reps N] [--sizes 128,512] [--models slim,medium,thick]
//                 [--node-dir DIR] [--script FILE] [--no-peer] [--peak] [--gpu-peak-tflops T]
//                 [--configs fp32:1,fp32:all,bf16:1,bf16:all,fp16:0] (PRECISION:THREADS, 0 = the policy)
//                 [--peer-large] (also the reference on thick at 512²)
//   → JSON lines. On a CUDA machine fp16 runs too, with the fraction of the card's fp16 peak.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/base/paths.h"
#include "atelier/image/procedural.h"
#include "atelier/ml/runtime.h"
#include "atelier/ops/upscale.h"

namespace fs = std::filesystem;
using namespace atelier;
using Clock = std::chrono::steady_clock;

namespace {

void emit(const nlohmann::json& j) {
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> v;
    std::stringstream ss(s);
    for (std::string item; std::getline(ss, item, ',');)
        v.push_back(item);
    return v;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

double load1() {
    std::ifstream f("/proc/loadavg");
    double v = -1;
    f >> v;
    return v;
}

/// This process's CPU time (user + system) in milliseconds.
double cpu_ms() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return (static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
}

double max_rss_mib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
    int reps = 3;
    std::vector<std::string> sizes{"128", "512"}, models{"slim", "medium", "thick"};
    fs::path node_dir = fs::path(ATELIER_BINARY_DIR) / "peer-node" / "upscale";
    fs::path script = fs::path(ATELIER_SOURCE_DIR) / "tests" / "peer" / "upscalerjs_reference.js";
    bool peer = true, peak = false;
    double gpu_peak_tflops = 989.4;  // H100 SXM dense fp16 tensor-core peak
    int peak_threads = 0;            // --peak: CPU threads (0 = the policy)
    // --configs PREC:THREADS,... (THREADS 0 = the adaptive policy, "all" = every core)
    // (the policy picks 1 or all on a 2-core machine, so both are measured and "policy_threads" says which)
    std::vector<std::string> config_list{"fp32:1", "fp32:all", "bf16:1", "bf16:all", "fp16:0"};
    bool peer_large = false;  // --peer-large: also run the reference on thick at 512² (> 5 min here)
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--reps")
            reps = std::max(1, std::atoi(next().c_str()));
        else if (a == "--sizes")
            sizes = split(next());
        else if (a == "--models")
            models = split(next());
        else if (a == "--node-dir")
            node_dir = next();
        else if (a == "--script")
            script = next();
        else if (a == "--no-peer")
            peer = false;
        else if (a == "--gpu-peak-tflops")
            gpu_peak_tflops = std::atof(next().c_str());
        else if (a == "--peak")
            peak = true;
        else if (a == "--threads")
            peak_threads = std::atoi(next().c_str());
        else if (a == "--configs")
            config_list = split(next());
        else if (a == "--peer-large")
            peer_large = true;
    }
    auto rt = ml::Runtime::create(
        {.device = "auto", .precision = ml::Precision::fp32, .memory_budget = 0, .threads = peak ? peak_threads : 0});
    if (!rt) {
        std::fprintf(stderr, "%s\n", rt.error().message.c_str());
        return 1;
    }
    const auto reg = ml::ModelRegistry::scan(paths::model_dirs());
    const auto& dev = (*rt)->device();

    if (peak) {
        // One 1024² → 4096² thick x4 upscale, tiles from the default budget; this process's peak RSS.
        auto mf = reg.resolve("esrgan-thick");
        if (!mf) return std::fprintf(stderr, "%s\n", mf.error().message.c_str()), 1;
        auto m = (*rt)->load(**mf, {4});
        if (!m) return std::fprintf(stderr, "%s\n", m.error().message.c_str()), 1;
        const Image img = procedural::noise_texture(1024, 1024, 42).value();
        ops::UpscaleOptions o;
        o.memory_budget = dev.memory_budget;
        const auto t0 = Clock::now();
        auto r = ops::upscale(**m, img, o);
        if (!r) return std::fprintf(stderr, "%s\n", r.error().message.c_str()), 1;
        emit({{"bench", "upscale_peak_memory"},
              {"model", "esrgan-thick"},
              {"input", "1024x1024"},
              {"output", std::to_string(r->image.width()) + "x" + std::to_string(r->image.height())},
              {"tiles", r->stats.tiles},
              {"tile", r->stats.tile},
              {"overlap", r->stats.overlap},
              {"budget_mib", static_cast<double>(dev.memory_budget) / 1048576.0},
              {"seconds", std::chrono::duration<double>(Clock::now() - t0).count()},
              {"peak_rss_mib", max_rss_mib()},
              {"threads", dev.threads},
              {"precision", "fp32"}});
        return 0;
    }

    if (peer && !fs::exists(node_dir / "node_modules" / "@upscalerjs" / "esrgan-thick")) {
        fs::create_directories(node_dir);
        fs::copy_file(fs::path(ATELIER_SOURCE_DIR) / "tests" / "peer" / "package.json", node_dir / "package.json",
                      fs::copy_options::overwrite_existing);
        const std::string cmd =
            "cd '" + node_dir.string() + "' && npm install --no-audit --no-fund --loglevel=error >&2";
        if (std::system(cmd.c_str()) != 0) {
            std::fprintf(stderr, "npm install of the reference failed; rerun with --no-peer\n");
            return 1;
        }
    }
    struct Config {
        ml::Precision precision;
        int threads;  // 0 = one per core (the policy)
        bool large;   // also for thick at 512² (slow in fp32 on 2 cores)
    };
    std::vector<Config> configs;
    for (const auto& c : config_list) {
        const auto colon = c.find(':');
        auto prec = ml::parse_precision(c.substr(0, colon));
        if (!prec || colon == std::string::npos)
            return std::fprintf(stderr, "--configs: '%s' is not PRECISION:THREADS\n", c.c_str()), 1;
        const std::string t = c.substr(colon + 1);
        const int threads = t == "all" ? -1 : std::atoi(t.c_str());
        // (every core in fp32 on thick at 512² took ~10 min on the loaded 2-core machine before
        // single images were split among the CPU workers; it now takes as long as one thread)
        configs.push_back({*prec, threads, true});
    }
    const int all_cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const fs::path tmp = fs::temp_directory_path() / ("atelier-bench-upscale-" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    for (const auto& name : models) {
        const std::string id = "esrgan-" + name;
        auto mf = reg.resolve(id);
        if (!mf) return std::fprintf(stderr, "%s\n", mf.error().message.c_str()), 1;
        for (const auto& sz : sizes) {
            const int n = std::atoi(sz.c_str());
            const Image img = procedural::noise_texture(n, n, 7).value();
            const double out_mp = 16.0 * n * n / 1e6;
            ops::UpscaleOptions o;
            o.memory_budget = dev.memory_budget;
            nlohmann::json j{{"bench", "upscale_throughput"},
                             {"model", id},
                             {"scale", 4},
                             {"input", std::to_string(n) + "x" + std::to_string(n)},
                             {"reps", reps},
                             {"device", dev.name},
                             {"cores", all_cores},
                             {"policy_threads", dev.threads},
                             {"policy_threads_reason", dev.threads_reason},
                             {"load_average_at_start", dev.load_average}};
            // The policy (fp32, one thread per core) first; then bf16 and single-threaded runs,
            // because a shared, oversubscribed machine punishes OpenMP barriers.
            Image fp32_result;
            double policy_ms = 0;
            for (const auto& cfg : configs) {
                if (cfg.precision == ml::Precision::bf16 && !dev.bf16) continue;
                if (cfg.precision == ml::Precision::fp16 && !dev.fp16) continue;
                if (cfg.threads == 1 && dev.kind == ml::DeviceKind::cuda) continue;
                if (!cfg.large && n >= 512 && name == "thick") continue;
                const int threads = cfg.threads == 0 ? dev.threads : cfg.threads < 0 ? all_cores : cfg.threads;
                // The model is loaded under a runtime with this thread count: its CPU workers follow it.
                auto rt_cfg = ml::Runtime::create(
                    {.device = dev.name, .precision = ml::Precision::fp32, .memory_budget = 0, .threads = threads});
                if (!rt_cfg) return std::fprintf(stderr, "%s\n", rt_cfg.error().message.c_str()), 1;
                auto m = (*rt_cfg)->load(**mf, {4});
                if (!m) return std::fprintf(stderr, "%s\n", m.error().message.c_str()), 1;
                o.precision = cfg.precision;
                auto warm = ops::upscale(**m, img, o);  // warm-up (oneDNN primitive creation)
                if (!warm) return std::fprintf(stderr, "%s\n", warm.error().message.c_str()), 1;
                std::vector<double> ms, cpu;
                const int r_count = n >= 512 ? 1 : reps;
                for (int r = 0; r < r_count; ++r) {
                    const auto t0 = Clock::now();
                    const double c0 = cpu_ms();
                    auto res = ops::upscale(**m, img, o);
                    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
                    cpu.push_back(cpu_ms() - c0);
                }
                const double med = median(ms);
                nlohmann::json c{{"precision", ml::precision_name(cfg.precision)},
                                 {"threads", threads},
                                 {"policy", cfg.threads == 0},
                                 {"load1", load1()},
                                 {"reps", r_count},
                                 {"tiles", warm->stats.tiles},
                                 {"ms", med},
                                 {"cpu_ms", median(cpu)},  // CPU time of all threads: ≈ ms × threads when not starved
                                 {"output_mp_per_s", out_mp / (med / 1000.0)},
                                 {"gflops", (*m)->flops_per_pixel() * n * n / (med / 1000.0) / 1e9}};
                if (dev.kind == ml::DeviceKind::cuda && cfg.precision == ml::Precision::fp16)
                    c["fraction_of_fp16_peak"] = c["gflops"].get<double>() / 1000.0 / gpu_peak_tflops;
                if (cfg.precision == ml::Precision::fp32 && fp32_result.empty()) fp32_result = warm->image;
                if (cfg.precision != ml::Precision::fp32 && !fp32_result.empty())
                    c["psnr_db_vs_fp32"] = ops::psnr(warm->image, fp32_result).value_or(0);
                if (threads == dev.threads && cfg.precision == ml::Precision::fp32 && policy_ms == 0) policy_ms = med;
                j["runs"].push_back(c);
            }
            (void)ml::Runtime::create({.device = dev.name});  // back to the policy
            if (peer) {
                const auto in = tmp / "in.rgb", out = tmp / "out.rgb";
                {
                    std::ofstream f(in, std::ios::binary);
                    f.write(reinterpret_cast<const char*>(img.data()), static_cast<std::streamsize>(img.byte_size()));
                }
                if (n >= 512 && name == "thick" && !peer_large) {  // one run of the reference takes > 5 min here
                    j["peer_skipped"] = "thick at 512² is too slow for the reference on this machine";
                    emit(j);
                    continue;
                }
                const int peer_reps = n >= 512 ? 1 : reps;
                const std::string cmd = "NODE_PATH='" + (node_dir / "node_modules").string() + "' node '" +
                                        script.string() + "' " + id + " 4 '" + in.string() + "' " + sz + " " + sz +
                                        " '" + out.string() + "' " + std::to_string(peer_reps) + " > '" +
                                        (tmp / "peer.json").string() + "'";
                if (std::system(cmd.c_str()) == 0) {
                    std::ifstream pf(tmp / "peer.json");
                    auto pj = nlohmann::json::parse(pf, nullptr, false);
                    if (!pj.is_discarded() && pj.contains("milliseconds")) {
                        const double ref = median(pj["milliseconds"].get<std::vector<double>>());
                        j["peer"] =
                            "UpscalerJS model package on tfjs " + pj.value("tfjs", "") + " " + pj.value("backend", "");
                        j["peer_reps"] = peer_reps;
                        j["peer_ms"] = ref;
                        j["peer_load1"] = load1();
                        if (pj.contains("cpu_milliseconds"))
                            j["peer_cpu_ms"] = median(pj["cpu_milliseconds"].get<std::vector<double>>());
                        j["peer_output_mp_per_s"] = out_mp / (ref / 1000.0);
                        if (policy_ms > 0) j["speedup_fp32_policy"] = ref / policy_ms;
                        for (auto& c : j["runs"])
                            c["speedup"] = ref / c["ms"].get<double>();
                    }
                } else {
                    j["peer_error"] = "the reference failed (out of memory in wasm?)";
                }
            }
            emit(j);
        }
    }
    fs::remove_all(tmp);
    return 0;
}
