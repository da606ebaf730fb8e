// SPDX-License-Identifier: MIT
// atelier inspect FILE...: the technical specs of images, from their headers
// (and pixels, for whether alpha is actually used).

#include <cstdio>

#include "atelier/imageio/imageio.h"
#include "cli.h"

namespace atelier::cli {

namespace {

nlohmann::json specs_json(const imageio::ImageInfo& info, const Image* pixels) {
    nlohmann::json j{{"file", info.path.string()},
                     {"format", info.format},
                     {"width", info.width},
                     {"height", info.height},
                     {"megapixels", info.width * static_cast<double>(info.height) / 1e6},
                     {"channels", info.channels},
                     {"bits_per_sample", info.bits_per_sample},
                     {"sample_type", std::string(pixel_type_name(info.type))},
                     {"alpha", info.has_alpha},
                     {"color_space", info.color_space},
                     {"icc_profile", info.icc_profile_name},
                     {"file_bytes", info.file_bytes},
                     {"frames", info.subimages}};
    if (pixels != nullptr) j["alpha_used"] = pixels->alpha_used();
    if (info.dpi_x) {
        j["dpi"] = {*info.dpi_x, info.dpi_y.value_or(*info.dpi_x)};
    } else {
        j["dpi"] = nullptr;
    }
    for (int dpi : {150, 300})
        j["print_size_in_at_" + std::to_string(dpi)] = {info.width / static_cast<double>(dpi),
                                                        info.height / static_cast<double>(dpi)};
    return j;
}

int run_inspect(Context& ctx, const std::vector<std::string>& files) {
    auto limits = imageio::ImageLimits::from_config(ctx.config);
    if (!limits) return report(ctx, limits.error());
    nlohmann::json all = nlohmann::json::array();
    int failures = 0;
    for (const auto& f : files) {
        auto info = imageio::probe(f, *limits);
        if (!info) {
            report(ctx, info.error());
            ++failures;
            continue;
        }
        auto img = imageio::load(f, *limits);
        if (!img) {
            report(ctx, img.error());
            ++failures;
            continue;
        }
        auto j = specs_json(*info, &img.value());
        if (ctx.json) {
            all.push_back(j);
            continue;
        }
        std::printf("%s\n", f.c_str());
        std::printf(
            "  format      %s, %d-bit %s, %d channel%s%s\n", info->format.c_str(), info->bits_per_sample,
            std::string(pixel_type_name(info->type)).c_str(), info->channels, info->channels == 1 ? "" : "s",
            info->has_alpha ? (j["alpha_used"].get<bool>() ? " (alpha used)" : " (alpha present, unused)") : "");
        std::printf("  size        %d x %d px (%.2f MP), %llu bytes\n", info->width, info->height,
                    j["megapixels"].get<double>(), static_cast<unsigned long long>(info->file_bytes));
        if (info->dpi_x)
            std::printf("  resolution  %.0f dpi -> prints at %.2f x %.2f in\n", *info->dpi_x,
                        info->width / *info->dpi_x, info->height / info->dpi_y.value_or(*info->dpi_x));
        else
            std::printf("  resolution  not stated in the file\n");
        std::printf("  print size  %.2f x %.2f in at 300 dpi, %.2f x %.2f in at 150 dpi\n", info->width / 300.0,
                    info->height / 300.0, info->width / 150.0, info->height / 150.0);
        std::printf("  colour      %s%s%s\n", info->color_space.empty() ? "unspecified" : info->color_space.c_str(),
                    info->icc_profile_name.empty() ? "" : ", ICC: ", info->icc_profile_name.c_str());
        if (info->subimages > 1) std::printf("  frames      %d (the first is used)\n", info->subimages);
    }
    if (ctx.json) print_json(all);
    return failures == 0 ? kOk : kFailed;
}

}  // namespace

ATELIER_CLI_COMMAND("inspect", 25, [](CLI::App& app, Context& ctx) {
    auto files = std::make_shared<std::vector<std::string>>();
    auto* cmd = app.add_subcommand("inspect", "print the technical specs of images (size, DPI, print size, colour)");
    cmd->add_option("files", *files, "images")->required();
    cmd->callback([&ctx, files] {
        const int rc = run_inspect(ctx, *files);
        ctx.exit_code = rc;
    });
});

}  // namespace atelier::cli
