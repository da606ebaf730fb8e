// SPDX-License-Identifier: MIT
// atelier sample OUTDIR: writes procedural sample assets (seamless repeats,
// a gradient, a texture) for the demo and for trying the tools.

#include <cstdio>
#include <filesystem>

#include "atelier/base/paths.h"
#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"
#include "cli.h"

namespace atelier::cli {

namespace {

struct SampleArgs {
    std::string out;
    int size = 512;
    unsigned seed = 1;
};

int run_sample(Context& ctx, const SampleArgs& a) {
    if (auto r = paths::ensure_dir(a.out); !r) return report(ctx, r.error());
    struct Item {
        const char* name;
        Result<Image> (*make)(int, int, std::uint32_t);
    };
    const Item items[] = {
        {"waves-seamless.png", [](int w, int h, std::uint32_t s) { return procedural::seamless_waves(w, h, s); }},
        {"dots-halfdrop.png", procedural::seamless_dots},
        {"gradient.jpg", procedural::gradient},
        {"texture.tif", procedural::noise_texture},
    };
    nlohmann::json written = nlohmann::json::array();
    int i = 0;
    for (const auto& it : items) {
        if (ctx.cancel.cancelled()) return report(ctx, fail(Errc::cancelled, "cancelled"));
        auto img = it.make(a.size, a.size, a.seed + static_cast<unsigned>(i++));
        if (!img) return report(ctx, img.error());
        const auto path = std::filesystem::path(a.out) / it.name;
        if (auto r = imageio::save(*img, path); !r) return report(ctx, r.error());
        written.push_back(path.string());
        progress(ctx, "samples", static_cast<double>(i) / std::size(items));
    }
    if (ctx.json)
        print_json({{"written", written}});
    else
        for (const auto& w : written)
            std::printf("%s\n", w.get<std::string>().c_str());
    return kOk;
}

}  // namespace

ATELIER_CLI_COMMAND("sample", 15, [](CLI::App& app, Context& ctx) {
    auto args = std::make_shared<SampleArgs>();
    auto* cmd = app.add_subcommand("sample", "write procedural sample images (seamless repeats, gradient, texture)");
    cmd->add_option("outdir", args->out, "folder to write into (created if missing)")->required();
    cmd->add_option("--size", args->size, "width and height in pixels (default 512)")->check(CLI::Range(8, 8192));
    cmd->add_option("--seed", args->seed, "random seed (default 1)");
    cmd->callback([&ctx, args] { ctx.exit_code = run_sample(ctx, *args); });
});

}  // namespace atelier::cli
