// SPDX-License-Identifier: MIT
// atelier convert IN OUT [--resize WxH] [--filter F] [--quality Q] [--bits 8|16|32] [--no-sign]
// The output carries signed Content Credentials (the input as its parent).

#include <charconv>
#include <chrono>

#include "atelier/image/resize.h"
#include "atelier/imageio/imageio.h"
#include "cli.h"
#if ATELIER_HAVE_PROVENANCE
#include "atelier/provenance/container.h"
#include "export_sign.h"
#endif

namespace atelier::cli {

Result<std::pair<int, int>> parse_size(const std::string& s, int src_w, int src_h) {
    auto x = s.find_first_of("xX");
    if (x == std::string::npos)
        return fail(Errc::invalid_argument, "size '" + s + "' must look like 1024x768 (or 1024x to keep the aspect)");
    int w = 0, h = 0;
    auto parse = [](std::string_view p, int& out) {
        if (p.empty()) return true;
        auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), out);
        return ec == std::errc{} && ptr == p.data() + p.size() && out > 0;
    };
    std::string_view sv(s);
    if (!parse(sv.substr(0, x), w) || !parse(sv.substr(x + 1), h) || (w == 0 && h == 0))
        return fail(Errc::invalid_argument, "size '" + s + "' must look like 1024x768 with positive numbers");
    if (w == 0) w = std::max(1, static_cast<int>(static_cast<long long>(h) * src_w / src_h));
    if (h == 0) h = std::max(1, static_cast<int>(static_cast<long long>(w) * src_h / src_w));
    return std::make_pair(w, h);
}

namespace {

struct ConvertArgs {
    std::string in, out, resize, filter = "lanczos3";
    int quality = 92;
    int bits = 0;
    bool wrap = false;
    bool sign = false;  ///< accepted for old scripts: signing is the default
    bool no_sign = false;
};

int run_convert(Context& ctx, const ConvertArgs& a) {
    const auto t0 = std::chrono::steady_clock::now();
    auto limits = imageio::ImageLimits::from_config(ctx.config);
    if (!limits) return report(ctx, limits.error());
    auto img = imageio::load(a.in, *limits);
    if (!img) return report(ctx, img.error());
    Image result = std::move(img).value();
    if (!a.resize.empty()) {
        auto size = parse_size(a.resize, result.width(), result.height());
        if (!size) return report(ctx, size.error(), kUsage);
        auto filter = parse_resize_filter(a.filter);
        if (!filter) return report(ctx, filter.error(), kUsage);
        auto r = atelier::resize(result, size->first, size->second, {*filter, a.wrap});
        if (!r) return report(ctx, r.error());
        result = std::move(r).value();
    }
    imageio::SaveOptions opts;
    opts.quality = a.quality;
    if (a.bits == 8)
        opts.type = PixelType::u8;
    else if (a.bits == 16)
        opts.type = PixelType::u16;
    else if (a.bits == 32)
        opts.type = PixelType::f32;
    else if (a.bits != 0)
        return report(ctx, fail(Errc::invalid_argument, "--bits must be 8, 16 or 32"), kUsage);
    if (auto r = imageio::save(result, a.out, opts); !r) return report(ctx, r.error());
    nlohmann::json credentials = {{"signed", false}};
#if ATELIER_HAVE_PROVENANCE
    if (!a.no_sign) {  // Content Credentials on the exported file; the input is its parent
        provenance::ExportSigning how;
        how.parents.push_back(a.in);
        const bool same_format = provenance::mime_type_for_name(a.in) == provenance::mime_type_for_name(a.out);
        nlohmann::json params = {{"quality", a.quality}};
        if (a.bits) params["bits"] = a.bits;
        if (!same_format)
            how.actions.push_back({"c2pa.converted", "", params, {}, ""});
        else if (a.resize.empty())
            how.actions.push_back({"c2pa.transcoded", "", params, {}, ""});
        if (!a.resize.empty())
            how.actions.push_back({"c2pa.resized",
                                   "",
                                   {{"width", result.width()}, {"height", result.height()}, {"filter", a.filter}},
                                   {},
                                   ""});
        how.log_action = "convert";
        auto s = sign_outgoing(ctx, a.out, std::move(how));
        if (!s) return report(ctx, s.error());
        credentials = *s;
    }
#endif
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (ctx.json)
        print_json({{"input", a.in},
                    {"output", a.out},
                    {"width", result.width()},
                    {"height", result.height()},
                    {"channels", result.channels()},
                    {"credentials", credentials},
                    {"milliseconds", ms}});
    else if (!ctx.quiet)
        std::printf("%s -> %s (%dx%d, %d channels, %.0f ms)\n", a.in.c_str(), a.out.c_str(), result.width(),
                    result.height(), result.channels(), ms);
#if ATELIER_HAVE_PROVENANCE
    print_signing(ctx, credentials);
#endif
    return kOk;
}

void add_sign_flag([[maybe_unused]] CLI::App* cmd, [[maybe_unused]] ConvertArgs& a) {
#if ATELIER_HAVE_PROVENANCE
    cmd->add_flag("--no-sign", a.no_sign,
                  "do not embed signed Content Credentials (by default PNG/JPEG/TIFF/WebP outputs get them, "
                  "the input as parent)");
    cmd->add_flag("--sign", a.sign, "sign the output (the default; kept for old scripts)");
#endif
}

}  // namespace

ATELIER_CLI_COMMAND("convert", 20, [](CLI::App& app, Context& ctx) {
    auto args = std::make_shared<ConvertArgs>();
    auto* cmd = app.add_subcommand("convert", "convert an image to another format, optionally resizing it");
    cmd->add_option("input", args->in, "image to read")->required();
    cmd->add_option("output", args->out, "image to write; the format follows the extension")->required();
    cmd->add_option("--resize", args->resize, "target size WxH (Wx or xH keeps the aspect ratio)");
    cmd->add_option("--filter", args->filter, "nearest, box, bilinear, bicubic, mitchell, lanczos3 (default)");
    cmd->add_flag("--seamless", args->wrap, "resize as a seamless tile (wraps at the edges)");
    cmd->add_option("--quality", args->quality, "JPEG/WebP quality 1-100 (default 92)")->check(CLI::Range(1, 100));
    cmd->add_option("--bits", args->bits, "bits per sample to store: 8, 16 or 32 (float)");
    add_sign_flag(cmd, *args);
    cmd->callback([&ctx, args] { ctx.exit_code = run_convert(ctx, *args); });
});

}  // namespace atelier::cli
