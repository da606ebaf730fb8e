// SPDX-License-Identifier: MIT
// atelier info: version, build options, the machine, and installed models.

#include <cstdio>

#include "atelier/base/paths.h"
#include "atelier/base/sysinfo.h"
#include "atelier/base/version.h"
#include "atelier/imageio/imageio.h"
#include "atelier/ml/registry.h"
#include "cli.h"
#ifdef ATELIER_HAVE_ML
#include "atelier/ml/runtime.h"
#endif

namespace atelier::cli {

std::vector<std::filesystem::path> model_search_dirs(const Context& ctx) {
    std::vector<std::filesystem::path> dirs;
    if (auto extra = ctx.config.get_string("models.path"); !extra.empty()) dirs.emplace_back(extra);
    for (auto& d : paths::model_dirs())
        dirs.push_back(d);
    return dirs;
}

namespace {

double gib(std::uint64_t bytes) {
    return static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0);
}

int run_info(Context& ctx) {
    const auto cpu = sysinfo::cpu();
    const auto gpu = sysinfo::gpus();
    const auto dirs = model_search_dirs(ctx);
    const auto reg = ml::ModelRegistry::scan(dirs);

    nlohmann::json j;
    j["version"] = build::version;
    j["git_revision"] = build::git_revision;
    j["build"] = {{"type", build::build_type},
                  {"compiler", build::compiler},
                  {"cuda", build::with_cuda},
                  {"ui", build::with_ui},
                  {"server", build::with_server}};
    j["cpu"] = {{"model", cpu.model},
                {"cores", cpu.logical_cores},
                {"memory_bytes", cpu.memory_bytes},
                {"available_bytes", cpu.available_bytes},
                {"flags", cpu.flags}};
    nlohmann::json gpus = nlohmann::json::array();
    for (const auto& g : gpu.devices)
        gpus.push_back(
            {{"index", g.index},
             {"name", g.name},
             {"memory_bytes", g.memory_bytes},
             {"compute_capability", std::to_string(g.compute_major) + "." + std::to_string(g.compute_minor)}});
    j["gpus"] = gpus;
    if (gpu.devices.empty()) j["gpu_reason"] = gpu.reason;
#ifdef ATELIER_HAVE_ML
    // The inference runtime's own policy decides (LibTorch's view of CUDA, cores, memory).
    auto dev = ml::Runtime::probe(ctx.config.get_string("ml.device"));
    if (const auto t = ctx.config.get_int("ml.threads"); t && *t > 0 && dev.kind == ml::DeviceKind::cpu) {
        dev.threads = static_cast<int>(*t);
        dev.threads_reason = "configured (ml.threads = " + std::to_string(*t) + ")";
    }
    j["device"] = dev.name;
    j["device_reason"] = dev.reason;
    j["inference"] = {{"device", dev.name},
                      {"reason", dev.reason},
                      {"threads", dev.threads},
                      {"threads_reason", dev.threads_reason},
                      {"load_average", dev.load_average},
                      {"memory_budget_bytes", dev.memory_budget},
                      {"bf16", dev.bf16},
                      {"fp16", dev.fp16},
                      {"precision", ctx.config.get_string("ml.precision")},
                      {"libtorch", dev.torch_version},
                      {"libtorch_cuda", dev.cuda_in_build}};
#else
    const bool use_gpu = !gpu.devices.empty() && build::with_cuda && ctx.config.get_string("ml.device") != "cpu";
    j["device"] = use_gpu ? "cuda:0" : "cpu";
    j["device_reason"] = use_gpu               ? "an NVIDIA GPU was found and this build has CUDA"
                         : gpu.devices.empty() ? "no GPU: " + gpu.reason
                         : !build::with_cuda   ? "a GPU was found but this build has no CUDA"
                                               : "ml.device is set to cpu";
#endif
    // The image codec module (loaded here on purpose: info is the place to
    // see that it is installed and which OpenImageIO it carries).
    const auto codec = imageio::preload();
    j["image_io"] = codec ? nlohmann::json{{"ok", true}, {"codec", *codec}}
                          : nlohmann::json{{"ok", false}, {"error", codec.error().message}};
    j["paths"] = {{"data", paths::data_dir().string()},
                  {"config", paths::config_dir().string()},
                  {"cache", paths::cache_dir().string()}};
    nlohmann::json md = nlohmann::json::array();
    for (const auto& d : dirs)
        md.push_back(d.string());
    j["model_dirs"] = md;
    nlohmann::json models = nlohmann::json::array();
    for (const auto& m : reg.models())
        models.push_back({{"id", m.id},
                          {"scales", m.extra.contains("scales") && m.extra["scales"].is_object()
                                         ? [&] {
                                               std::vector<std::string> v;
                                               for (auto it = m.extra["scales"].begin(); it != m.extra["scales"].end(); ++it)
                                                   v.push_back("x" + it.key());
                                               return nlohmann::json(v);
                                           }()
                                         : nlohmann::json::array()},
                          {"version", m.version},
                          {"task", m.task},
                          {"format", m.format},
                          {"licence", m.licence},
                          {"source", m.source_package.empty() ? "" : m.source_package + "@" + m.source_version},
                          {"path", m.dir.string()}});
    j["models"] = models;
    j["model_problems"] = reg.problems();

    if (ctx.json) {
        print_json(j);
        return kOk;
    }
    std::printf("Atelier %s (%s), %s build, %s\n", build::version, build::git_revision, build::build_type,
                build::compiler);
    std::printf("Build options: CUDA %s, UI %s, server %s\n", build::with_cuda ? "on" : "off",
                build::with_ui ? "on" : "off", build::with_server ? "on" : "off");
    std::printf("CPU: %s, %u cores, %.1f GiB memory (%.1f GiB available)%s%s\n", cpu.model.c_str(), cpu.logical_cores,
                gib(cpu.memory_bytes), gib(cpu.available_bytes), cpu.flags.empty() ? "" : ", ",
                [&] {
                    std::string s;
                    for (const auto& f : cpu.flags)
                        s += (s.empty() ? "" : " ") + f;
                    return s;
                }()
                    .c_str());
    if (gpu.devices.empty()) std::printf("GPU: none (%s)\n", gpu.reason.c_str());
    for (const auto& g : gpu.devices)
        std::printf("GPU %d: %s, %.1f GiB, compute %d.%d\n", g.index, g.name.c_str(), gib(g.memory_bytes),
                    g.compute_major, g.compute_minor);
    std::printf("Inference device: %s (%s)\n", j["device"].get<std::string>().c_str(),
                j["device_reason"].get<std::string>().c_str());
#ifdef ATELIER_HAVE_ML
    std::printf(
        "Inference: LibTorch %s, %d thread%s (%s), memory budget %.1f GiB, precisions fp32%s%s (configured: %s)\n",
        dev.torch_version.c_str(), dev.threads, dev.threads == 1 ? "" : "s", dev.threads_reason.c_str(),
        gib(dev.memory_budget), dev.bf16 ? " bf16" : "", dev.fp16 ? " fp16" : "",
        ctx.config.get_string("ml.precision").c_str());
#endif
    std::printf("Image I/O: %s\n", codec ? codec->c_str() : ("unavailable: " + codec.error().message).c_str());
    std::printf("Data: %s\n", paths::data_dir().c_str());
    std::printf("Models (%zu):\n", reg.models().size());
    for (const auto& m : reg.models())
        std::printf("  %-22s %-10s %-11s %-14s %s  [%s]\n", m.id.c_str(), m.version.c_str(), m.task.c_str(),
                    m.format.c_str(), m.licence.c_str(), m.dir.c_str());
    if (reg.models().empty()) std::printf("  none installed; run ./installer/setup.sh models\n");
    for (const auto& p : reg.problems())
        std::printf("  problem: %s\n", p.c_str());
    return kOk;
}

}  // namespace

ATELIER_CLI_COMMAND("info", 10, [](CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("info", "version, build options, devices and installed models");
    cmd->callback([&ctx] { ctx.exit_code = run_info(ctx); });
});

}  // namespace atelier::cli
