// SPDX-License-Identifier: MIT
// atelier upscale IN OUT --model ID[@VER] [--scale N] [--tile N] [--overlap N]
//                 [--seamless] [--precision fp32|bf16|fp16|auto] [--device auto|cpu|cuda]
// atelier upscale --compare A,B IN OUTDIR [--reference REF]
// IN may be a folder: every readable image in it is upscaled into the folder OUT.
// Outputs carry signed Content Credentials (the input as parent, c2pa.resized
// by the model, org.atelier.generation naming it) unless --no-sign.

#include <cstdio>
#include <filesystem>
#include <future>

#include "atelier/base/job_queue.h"
#include "atelier/image/resize.h"
#include "atelier/imageio/imageio.h"
#include "atelier/ml/runtime.h"
#include "atelier/ops/upscale.h"
#include "cli.h"
#include "export_sign.h"

namespace atelier::cli {

std::vector<std::filesystem::path> model_search_dirs(const Context& ctx);  // info.cpp

namespace {

namespace fs = std::filesystem;

struct UpscaleArgs {
    std::string in, out, model, compare, reference, precision, device;
    int scale = 0, tile = 0, overlap = -1;
    bool seamless = false;
    bool no_sign = false;
};

struct Session {
    std::shared_ptr<ml::Runtime> runtime;
    ml::ModelRegistry registry;
    imageio::ImageLimits limits;
    ops::UpscaleOptions options;
};

Result<Session> open_session(Context& ctx, const UpscaleArgs& a) {
    Session s;
    ml::RuntimeOptions ro;
    ro.device = a.device.empty() ? ctx.config.get_string("ml.device") : a.device;
    auto prec = ml::parse_precision(a.precision.empty() ? ctx.config.get_string("ml.precision") : a.precision);
    if (!prec) return prec.error();
    ro.precision = *prec;
    auto threads = ctx.config.get_int("ml.threads");
    if (!threads) return threads.error();
    ro.threads = static_cast<int>(*threads);
    for (auto [key, field] :
         {std::pair{"ml.auto_queue_high", &ro.auto_queue_high}, std::pair{"ml.auto_queue_low", &ro.auto_queue_low}}) {
        auto v = ctx.config.get_int(key);
        if (!v) return v.error();
        if (*v < 0) return fail(Errc::invalid_argument, std::string(key) + " must be 0 or more");
        *field = static_cast<std::size_t>(*v);
    }
    auto budget = ctx.config.get_int("ml.memory_budget_mb");
    if (!budget) return budget.error();
    ro.memory_budget = static_cast<std::uint64_t>(std::max<std::int64_t>(0, *budget)) << 20;
    auto rt = ml::Runtime::create(ro);
    if (!rt) return rt.error();
    s.runtime = *rt;
    s.registry = ml::ModelRegistry::scan(model_search_dirs(ctx));
    auto limits = imageio::ImageLimits::from_config(ctx.config);
    if (!limits) return limits.error();
    s.limits = *limits;
    s.options.tile = a.tile;
    s.options.overlap = a.overlap;
    s.options.seamless = a.seamless;
    s.options.memory_budget = s.runtime->device().memory_budget;
    s.options.cancel = ctx.cancel.token();
    return s;
}

Result<std::shared_ptr<ml::Model>> load_model(Session& s, const std::string& ref, int scale,
                                              const CancelToken& cancel) {
    auto mf = s.registry.resolve(ref, cancel);
    if (!mf) return mf.error();
    if ((*mf)->task != "upscale")
        return fail(Errc::invalid_argument,
                    "model " + (*mf)->ref() + " is a " + (*mf)->task + " model, not an upscaler");
    return s.runtime->load(**mf, {scale});
}

/// Upscales one file; `precision` is fixed for the whole image (every tile alike).
Result<ops::UpscaleResult> upscale_file(Context& ctx, Session& s, ml::Model& model, const fs::path& in,
                                        const ProgressEvent& step, ml::Precision precision) {
    auto img = imageio::load(in, s.limits);
    if (!img) return img.error();
    const auto sc = static_cast<std::uint64_t>(model.info().scale);
    if (img->pixel_count() * sc * sc > s.limits.max_pixels)
        return fail(Errc::limit_exceeded, "'" + in.string() + "' upscaled x" + std::to_string(sc) + " would have " +
                                              std::to_string(img->pixel_count() * sc * sc) +
                                              " pixels, over the limit of " + std::to_string(s.limits.max_pixels) +
                                              "; raise it with --set image.max_pixels=N or use a smaller scale");
    if (ctx.progress_json) progress_event(ctx, step);  // the item starts (fraction 0)
    ops::UpscaleOptions o = s.options;
    o.precision = precision;
    o.progress = [&ctx, step](double f) {
        ProgressEvent e = step;
        e.fraction = f;
        progress_event(ctx, e);
    };
    return ops::upscale(model, *img, o);
}

nlohmann::json stats_json(const ops::UpscaleStats& st) {
    nlohmann::json j{{"tiles", st.tiles},
                     {"tile", st.tile},
                     {"overlap", st.overlap},
                     {"precision", ml::precision_name(st.precision)},
                     {"retried_fp32", st.retried_fp32},
                     {"milliseconds", st.milliseconds}};
    if (st.seam_error >= -0.5) j["seam_error"] = st.seam_error;
    return j;
}

/// Signs one upscaled output: the input is the parent, the model is named.
Result<nlohmann::json> sign_upscaled([[maybe_unused]] Context& ctx, [[maybe_unused]] const UpscaleArgs& a,
                                     [[maybe_unused]] const Session& s, [[maybe_unused]] const ml::Model& model,
                                     [[maybe_unused]] const fs::path& in, [[maybe_unused]] const fs::path& out,
                                     [[maybe_unused]] const Image& result,
                                     [[maybe_unused]] const ops::UpscaleStats& stats) {
    nlohmann::json credentials = {{"signed", false}};
#if ATELIER_HAVE_PROVENANCE
    if (a.no_sign) return credentials;
    const ml::ModelInfo& info = model.info();
    nlohmann::json m = {{"id", info.id}, {"architecture", info.architecture}};
    if (auto mf = s.registry.find(a.model.empty() ? info.id : a.model); mf) {
        m["id"] = (*mf)->id;
        m["version"] = (*mf)->version;
        if (!(*mf)->files.empty()) m["sha256"] = to_hex((*mf)->files.front().sha256);
        if (!(*mf)->licence.empty()) m["licence"] = (*mf)->licence;
    }
    provenance::ExportSigning how;
    how.parents.push_back(in);
    how.actions.push_back({"c2pa.resized",
                           provenance::digital_source::composite_trained,
                           {{"width", result.width()}, {"height", result.height()}, {"scale", info.scale}},
                           {},
                           "AI upscaling with " + info.id});
    how.generation =
        nlohmann::json{{"model", m},
                       {"pipeline", nlohmann::json::array({{{"step", "upscale"},
                                                            {"scale", info.scale},
                                                            {"tile", stats.tile},
                                                            {"overlap", stats.overlap},
                                                            {"seamless", a.seamless},
                                                            {"precision", ml::precision_name(stats.precision)},
                                                            {"device", s.runtime->device().name}}})}};
    how.log_action = "upscale";
    return sign_outgoing(ctx, out, std::move(how));
#else
    return credentials;
#endif
}

int run_single_or_batch(Context& ctx, const UpscaleArgs& a) {
    if (a.model.empty())
        return report(ctx, fail(Errc::invalid_argument, "--model is required (for example --model esrgan-slim)"),
                      kUsage);
    auto session = open_session(ctx, a);
    if (!session) return report(ctx, session.error());
    if (ctx.progress_json) progress_event(ctx, {"load-model", 0, "", -1, 0, a.model});
    auto model = load_model(*session, a.model, a.scale, ctx.cancel.token());
    if (!model) return report(ctx, model.error());
    std::error_code ec;
    std::vector<std::pair<fs::path, fs::path>> jobs;
    const bool batch = fs::is_directory(a.in, ec);
    if (batch) {
        if (fs::create_directories(a.out, ec); ec)
            return report(ctx, fail(Errc::io_error, "cannot create the output folder '" + a.out + "'"));
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(a.in, ec))
            if (e.is_regular_file() && imageio::readable_extension(e.path())) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files)
            jobs.emplace_back(f, fs::path(a.out) / f.filename());
        if (jobs.empty()) return report(ctx, fail(Errc::not_found, "no images found in the folder '" + a.in + "'"));
    } else {
        jobs.emplace_back(a.in, a.out);
    }
    // Every file is a job on one JobQueue (one worker: a job already uses all
    // the inference threads). The queue is the `auto` precision policy's
    // input: a long batch starts in the cheaper precision and returns to fp32
    // as it drains; each job's precision and the depth it saw are reported.
    JobQueue queue(JobQueue::Options{1, jobs.size() + 1});
    ml::follow_queue(*session->runtime, queue);
    struct Outcome {
        Result<ops::UpscaleResult> result = fail(Errc::cancelled, "not run");
        std::size_t queue_depth = 0;
    };
    std::vector<Outcome> outcomes(jobs.size());
    std::vector<JobHandle> handles;
    // The batch is queued as a whole before its first job starts, so that the
    // first job already sees the whole queue.
    std::promise<void> all_queued;
    auto queued_gate = all_queued.get_future().share();
    if (auto g = queue.submit(JobSpec("queue the batch", 1,
                                      [queued_gate](JobContext&) -> Result<void> {
                                          queued_gate.wait();
                                          return ok();
                                      }));
        !g)
        return report(ctx, g.error());
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const std::string label = batch ? "[" + std::to_string(i + 1) + "/" + std::to_string(jobs.size()) + "] " +
                                              jobs[i].first.filename().string()
                                        : "upscale";
        auto h = queue.submit(JobSpec(label, 0, [&, i](JobContext&) -> Result<void> {
            const auto& [in, out] = jobs[i];
            auto& oc = outcomes[i];
            if (ctx.cancel.cancelled()) return fail(Errc::cancelled, "cancelled");
            oc.queue_depth = queue.queued() + queue.running();
            const ml::Precision p = session->runtime->effective_precision();
            const ProgressEvent step{
                "upscale", 0, in.string(), static_cast<int>(i), static_cast<int>(jobs.size()), (*model)->info().id};
            oc.result = upscale_file(ctx, *session, **model, in, step, p);
            if (oc.result) {
                if (auto w = imageio::save(oc.result->image, out); !w) oc.result = w.error();
            }
            return ok();
        }));
        if (!h) {
            all_queued.set_value();
            queue.cancel_all();
            queue.wait_idle();
            session->runtime->set_queue_source({});
            return report(ctx, h.error());
        }
        handles.push_back(*h);
    }
    all_queued.set_value();
    nlohmann::json results = nlohmann::json::array();
    int failures = 0;
    std::optional<Error> cancelled;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        (void)handles[i].wait();
        const auto& [in, out] = jobs[i];
        auto& r = outcomes[i].result;
        nlohmann::json credentials;
        if (r) {
            auto c = sign_upscaled(ctx, a, *session, **model, in, out, r->image, r->stats);
            if (c)
                credentials = *c;
            else
                r = c.error();
        }
        if (!r) {
            if (r.error().code == Errc::cancelled) {
                if (!cancelled)
                    cancelled = Error{Errc::cancelled,
                                      batch ? "upscale cancelled; finished files are kept, nothing was written for '" +
                                                  in.string() + "'"
                                            : "upscale cancelled; nothing was written for '" + in.string() + "'"};
                continue;
            }
            if (!batch) {
                session->runtime->set_queue_source({});
                return report(ctx, r.error());
            }
            ++failures;
            progress_error(ctx, in.string(), r.error());
            if (!ctx.json) std::fprintf(stderr, "atelier: %s: %s\n", in.c_str(), r.error().message.c_str());
            results.push_back({{"input", in.string()},
                               {"error", {{"code", errc_name(r.error().code)}, {"message", r.error().message}}}});
            continue;
        }
        nlohmann::json j{{"input", in.string()},
                         {"output", out.string()},
                         {"model", (*model)->info().id},
                         {"scale", (*model)->info().scale},
                         {"width", r->image.width()},
                         {"height", r->image.height()},
                         {"device", session->runtime->device().name},
                         {"credentials", credentials},
                         {"threads", session->runtime->device().threads},
                         {"queue_depth", outcomes[i].queue_depth}};
        j.update(stats_json(r->stats));
        results.push_back(j);
        if (!ctx.json && !ctx.quiet) {
            std::printf("%s -> %s (%dx%d, x%d %s on %s, %d tile%s, %s%s%s, %.0f ms)\n", in.c_str(), out.c_str(),
                        r->image.width(), r->image.height(), (*model)->info().scale, (*model)->info().id.c_str(),
                        session->runtime->device().name.c_str(), r->stats.tiles, r->stats.tiles == 1 ? "" : "s",
                        std::string(ml::precision_name(r->stats.precision)).c_str(),
                        session->runtime->precision() == ml::Precision::automatic
                            ? (" auto, " + std::to_string(outcomes[i].queue_depth) + " in queue").c_str()
                            : "",
                        r->stats.retried_fp32 ? ", retried in fp32" : "", r->stats.milliseconds);
#if ATELIER_HAVE_PROVENANCE
            print_signing(ctx, credentials);
#endif
            if (a.seamless)
                std::printf(
                    "  seam error %.2g (mean difference at the seam against a window centred on it; seam jump %.4f vs "
                    "interior %.4f)\n",
                    r->stats.seam_error, r->stats.seam_step, r->stats.interior_step);
        }
        r->image = Image{};  // printed: free the pixels
    }
    session->runtime->set_queue_source({});
    if (cancelled) return report(ctx, fail(cancelled->code, cancelled->message));
    if (ctx.json) print_json(batch ? nlohmann::json{{"results", results}, {"failed", failures}} : results[0]);
    return failures ? kFailed : kOk;
}

Image side_by_side(const Image& a, const Image& b) {
    const int gap = 8;
    Image out = Image::create(a.width() + gap + b.width(), std::max(a.height(), b.height()), a.channels(), a.type(),
                              a.has_alpha())
                    .value();
    for (int y = 0; y < out.height(); ++y)
        for (int x = 0; x < out.width(); ++x)
            for (int c = 0; c < out.channels(); ++c) {
                float v = (c == out.channels() - 1 && out.has_alpha()) ? 1.0F : 0.5F;
                if (x < a.width() && y < a.height())
                    v = a.sample(x, y, c);
                else if (x >= a.width() + gap && y < b.height())
                    v = b.sample(x - a.width() - gap, y, c);
                out.set_sample(x, y, c, v);
            }
    return out;
}

int run_compare(Context& ctx, const UpscaleArgs& a) {
    const auto comma = a.compare.find(',');
    if (comma == std::string::npos || comma == 0 || comma + 1 == a.compare.size())
        return report(ctx, fail(Errc::invalid_argument, "--compare takes two models: --compare A,B"), kUsage);
    const std::string refs[2] = {a.compare.substr(0, comma), a.compare.substr(comma + 1)};
    auto session = open_session(ctx, a);
    if (!session) return report(ctx, session.error());
    auto img = imageio::load(a.in, session->limits);
    if (!img) return report(ctx, img.error());
    std::optional<Image> reference;
    if (!a.reference.empty()) {
        auto r = imageio::load(a.reference, session->limits);
        if (!r) return report(ctx, r.error());
        reference = std::move(r).value();
    }
    std::error_code ec;
    fs::create_directories(a.out, ec);
    if (ec) return report(ctx, fail(Errc::io_error, "cannot create the output folder '" + a.out + "'"));
    const std::string stem = fs::path(a.in).stem().string();
    Image results[2];
    nlohmann::json j{{"input", a.in}, {"models", nlohmann::json::array()}};
    for (int k = 0; k < 2; ++k) {
        if (ctx.progress_json) progress_event(ctx, {"load-model", 0, a.in, k, 2, refs[k]});
        auto model = load_model(*session, refs[k], a.scale, ctx.cancel.token());
        if (!model) return report(ctx, model.error());
        auto r = upscale_file(ctx, *session, **model, a.in, {"upscale", 0, a.in, k, 2, refs[k]},
                              session->runtime->effective_precision());
        if (!r) return report(ctx, r.error());
        const auto path = fs::path(a.out) / (stem + "." + refs[k] + ".png");
        if (auto w = imageio::save(r->image, path); !w) return report(ctx, w.error());
        UpscaleArgs one = a;
        one.model = refs[k];
        auto credentials = sign_upscaled(ctx, one, *session, **model, a.in, path, r->image, r->stats);
        if (!credentials) return report(ctx, credentials.error());
        nlohmann::json mj{{"model", (*model)->info().id}, {"output", path.string()}, {"credentials", *credentials}};
        mj.update(stats_json(r->stats));
        j["models"].push_back(mj);
        results[k] = std::move(r->image);
    }
    if (results[0].width() != results[1].width() || results[0].height() != results[1].height())
        return report(ctx, fail(Errc::invalid_argument,
                                "the two models give different sizes (" + std::to_string(results[0].width()) + " vs " +
                                    std::to_string(results[1].width()) + " wide); use --scale"));
    const auto sbs = fs::path(a.out) / (stem + ".side-by-side.png");
    if (auto w = imageio::save(side_by_side(results[0], results[1]), sbs); !w) return report(ctx, w.error());
    j["side_by_side"] = sbs.string();
    auto bicubic = resize(*img, results[0].width(), results[0].height(), {ResizeFilter::bicubic, a.seamless});
    if (!bicubic) return report(ctx, bicubic.error());
    const Image& truth = reference ? *reference : *bicubic;
    if (truth.width() != results[0].width() || truth.height() != results[0].height() ||
        truth.channels() != results[0].channels())
        return report(ctx, fail(Errc::invalid_argument, "the reference must be " + std::to_string(results[0].width()) +
                                                            "x" + std::to_string(results[0].height()) + " with " +
                                                            std::to_string(results[0].channels()) +
                                                            " channels, like the upscaled images"));
    nlohmann::json metrics = nlohmann::json::array();
    auto add = [&](const std::string& name, const Image& im) {
        metrics.push_back({{"name", name},
                           {"psnr_db", ops::psnr(im, truth).value_or(0)},
                           {"ssim", ops::ssim(im, truth).value_or(0)}});
    };
    add(refs[0], results[0]);
    add(refs[1], results[1]);
    if (reference) add("bicubic", *bicubic);
    j["metrics_against"] = reference ? "reference " + a.reference : std::string("bicubic baseline");
    j["metrics"] = metrics;
    if (ctx.json) {
        print_json(j);
        return kOk;
    }
    std::printf("%s: %s and %s -> %s\n", a.in.c_str(), refs[0].c_str(), refs[1].c_str(), sbs.c_str());
    std::printf("against the %s:\n", j["metrics_against"].get<std::string>().c_str());
    for (const auto& m : metrics)
        std::printf("  %-24s PSNR %6.2f dB  SSIM %.4f\n", m["name"].get<std::string>().c_str(),
                    m["psnr_db"].get<double>(), m["ssim"].get<double>());
    return kOk;
}

}  // namespace

ATELIER_CLI_COMMAND("upscale", 40, [](CLI::App& app, Context& ctx) {
    auto a = std::make_shared<UpscaleArgs>();
    auto* cmd = app.add_subcommand("upscale", "upscale images with an AI model (a file, or every image in a folder)");
    cmd->add_option("input", a->in, "image or folder to read")->required();
    cmd->add_option("output", a->out, "image or folder to write (with --compare: the output folder)")->required();
    cmd->add_option("--model", a->model, "model id or id@version (see atelier info)");
    cmd->add_option("--scale", a->scale, "2, 3, 4 or 8 where the model has that variant (default 4)");
    cmd->add_option("--tile", a->tile, "tile side in input pixels (default: from the memory budget)");
    cmd->add_option("--overlap", a->overlap, "overlap around tiles in input pixels (default 24)");
    cmd->add_flag("--seamless", a->seamless, "treat the image as a seamless tile (wrap around the edges)");
    cmd->add_option("--precision", a->precision, "fp32, bf16, fp16 or auto (default: ml.precision)");
    cmd->add_option("--device", a->device, "auto, cpu or cuda (default: ml.device)");
    cmd->add_option("--compare", a->compare, "run two models A,B on one image and write both plus a side-by-side");
    cmd->add_option("--reference", a->reference, "with --compare: ground-truth image for PSNR/SSIM (else bicubic)");
    cmd->add_flag("--no-sign", a->no_sign, "do not embed signed Content Credentials in the outputs");
    cmd->callback(
        [&ctx, a] { ctx.exit_code = a->compare.empty() ? run_single_or_batch(ctx, *a) : run_compare(ctx, *a); });
});

}  // namespace atelier::cli
