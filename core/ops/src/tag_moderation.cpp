// SPDX-License-Identifier: MIT
// nsfwjs MobileNetV2 moderation and embeddings through the ml runtime.

#include "atelier/ops/tag_moderation.h"

#include "atelier/base/hash.h"
#include "atelier/ml/registry.h"

#include <algorithm>
#include <atomic>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <cmath>

namespace atelier::ops {

namespace {

// The 8-bit RGB value of one sample as tf.browser.fromPixels would see it
// (alpha ignored, gray replicated, 16-bit and float rounded to 8 bits),
// divided by 255 in float32 as nsfwjs does.
struct PixelReader {
    const Image& img;
    bool gray;
    float operator()(int x, int y, int c) const {
        if (img.type() == PixelType::u8)
            return static_cast<float>(
                       img.row_as<std::uint8_t>(y)[static_cast<std::size_t>(x) * img.channels() + (gray ? 0 : c)]) /
                   255.0f;
        float v = img.sample(x, y, gray ? 0 : c);
        if (!std::isfinite(v)) v = 0;
        return static_cast<float>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)) / 255.0f;
    }
};

}  // namespace

Result<ml::TensorF32> nsfwjs_input(const Image& image) {
    if (image.empty()) return fail(Errc::invalid_argument, "the image is empty; nothing to moderate");
    const int w = image.width(), h = image.height(), n = kNsfwInputSize;
    const PixelReader px{image, image.color_channels() < 3};
    ml::TensorF32 t({1, n, n, 3});
    if (w == n && h == n) {
        for (int y = 0; y < n; ++y)
            for (int x = 0; x < n; ++x)
                for (int k = 0; k < 3; ++k)
                    t.data[(static_cast<std::size_t>(y) * n + x) * 3 + k] = px(x, y, k);
        return t;
    }
    // tf.image.resizeBilinear(x, [224, 224], alignCorners = true), as the
    // TensorFlow.js CPU kernel computes it (double arithmetic, float32 store).
    // Only the (at most 4 × 224²) source pixels the kernel reads are
    // converted, so the cost does not grow with the image.
    const double ry = (n > 1) ? static_cast<double>(h - 1) / (n - 1) : static_cast<double>(h) / n;
    const double rx = (n > 1) ? static_cast<double>(w - 1) / (n - 1) : static_cast<double>(w) / n;
    struct Tap {
        int i0, i1;
        double d;
    };
    auto taps = [](double ratio, int size, int count) {
        std::vector<Tap> out(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i) {
            const double f = ratio * i;
            const int i0 = std::max(0, static_cast<int>(std::floor(f)));
            out[i] = {i0, std::min(size - 1, static_cast<int>(std::ceil(f))), f - i0};
        }
        return out;
    };
    const auto tx = taps(rx, w, n), ty = taps(ry, h, n);
    // The two source rows of an output row, resampled to the 224 output
    // columns' left/right taps: [x][k] for x0 and x1.
    std::vector<float> r0(static_cast<std::size_t>(n) * 6), r1(static_cast<std::size_t>(n) * 6);
    auto fill = [&](int y, std::vector<float>& r) {
        for (int c = 0; c < n; ++c)
            for (int k = 0; k < 3; ++k) {
                r[static_cast<std::size_t>(c) * 6 + k] = px(tx[c].i0, y, k);
                r[static_cast<std::size_t>(c) * 6 + 3 + k] = px(tx[c].i1, y, k);
            }
    };
    for (int r = 0; r < n; ++r) {
        fill(ty[r].i0, r0);
        fill(ty[r].i1, r1);
        const double dy = ty[r].d;
        for (int c = 0; c < n; ++c) {
            const double dx = tx[c].d;
            const float* a = &r0[static_cast<std::size_t>(c) * 6];
            const float* b = &r1[static_cast<std::size_t>(c) * 6];
            for (int k = 0; k < 3; ++k) {
                const double tl = a[k], tr = a[3 + k], bl = b[k], br = b[3 + k];
                const double top = tl + (tr - tl) * dx;
                const double bottom = bl + (br - bl) * dx;
                t.data[(static_cast<std::size_t>(r) * n + c) * 3 + k] = static_cast<float>(top + (bottom - top) * dy);
            }
        }
    }
    return t;
}

Result<std::vector<Moderation>> moderate(ml::Model& model, const std::vector<const Image*>& images, bool with_embedding,
                                         const CancelToken& cancel) {
    if (images.empty()) return std::vector<Moderation>{};
    const int n = kNsfwInputSize;
    const std::size_t per = static_cast<std::size_t>(n) * n * 3;
    ml::TensorF32 batch({static_cast<std::int64_t>(images.size()), n, n, 3});
    for (std::size_t i = 0; i < images.size(); ++i) {
        auto t = nsfwjs_input(*images[i]);
        if (!t) return t.error();
        std::copy(t->data.begin(), t->data.end(), batch.data.begin() + static_cast<std::ptrdiff_t>(i * per));
    }
    ml::RunOptions ro;
    ro.cancel = cancel;
    ro.precision = ml::Precision::fp32;  // the peer comparison is in fp32
    if (with_embedding) ro.extra_outputs.emplace_back(kEmbeddingLayer);
    auto out = model.run(batch, ro);
    if (!out) return out.error().with_context("moderation model " + model.info().id);
    const auto& probs = (*out)[0];
    if (probs.shape.size() != 2 || probs.dim(1) != 5 || probs.dim(0) != static_cast<std::int64_t>(images.size()))
        return fail(Errc::invalid_argument, "model " + model.info().id + " gives output " + probs.shape_string() +
                                                "; a moderation model must give 5 class probabilities");
    std::vector<Moderation> res(images.size());
    for (std::size_t i = 0; i < images.size(); ++i) {
        for (int c = 0; c < 5; ++c)
            res[i].probabilities[c] = probs.data[i * 5 + c];
        if (with_embedding && out->size() > 1) {
            const auto& f = (*out)[1];
            const std::size_t d = static_cast<std::size_t>(f.numel() / f.dim(0));
            std::vector<float> e(f.data.begin() + static_cast<std::ptrdiff_t>(i * d),
                                 f.data.begin() + static_cast<std::ptrdiff_t>((i + 1) * d));
            double norm = 0;
            for (float v : e)
                norm += static_cast<double>(v) * v;
            norm = std::sqrt(norm);
            if (norm > 0)
                for (float& v : e)
                    v = static_cast<float>(v / norm);
            res[i].embedding = std::move(e);
        }
    }
    return res;
}

ModelPoolPlan tagging_model_pool_plan(unsigned cores, int configured_threads, bool gpu) {
    ModelPoolPlan p;
    if (gpu) return p;
    const int c = static_cast<int>(std::max(1u, cores));
    p.threads_per_instance = std::clamp(configured_threads > 0 ? configured_threads : 1, 1, c);
    p.instances = std::max(1, c / p.threads_per_instance);
    return p;
}

Result<ModerationSetup> load_moderation(const std::vector<std::filesystem::path>& model_dirs, const std::string& device,
                                        int configured_threads, unsigned workers, const CancelToken& cancel) {
    const auto reg = ml::ModelRegistry::scan(model_dirs);
    auto mf = reg.resolve("nsfwjs-mobilenetv2", cancel);
    if (!mf) return mf.error();
#if defined(__GLIBC__)
    // Every forward pass allocates and frees its activations (up to ~5 MB
    // per image and layer). With glibc's defaults those go back to the
    // kernel each time (mmap/munmap, then page faults on first touch):
    // measured 4.4 s of system time in a 13 s tagging run, and the page
    // faults of two worker threads contend on the address-space lock. Keep
    // them in the heap instead (process-wide; bounded by the largest
    // working set, tens of MB).
    static const bool tuned = [] {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 256 << 20);
        mallopt(M_TOP_PAD, 16 << 20);
        return true;
    }();
    (void)tuned;
#endif
    ml::RuntimeOptions ro;
    ro.device = device.empty() ? "auto" : device;
    // Threads per instance from the plan; whether it is a GPU only shows
    // once the runtime has probed the device.
    ro.threads = tagging_model_pool_plan(workers, configured_threads, false).threads_per_instance;
    auto rt = ml::Runtime::create(ro);
    if (!rt) return rt.error();
    const auto plan =
        tagging_model_pool_plan(workers, configured_threads, (*rt)->device().kind == ml::DeviceKind::cuda);
    ModerationSetup s;
    s.runtime = *rt;
    s.version = (*mf)->version;
    for (const auto& f : (*mf)->files)
        if (f.path.find("shard") != std::string::npos) s.weights_hash = to_hex(f.sha256);
    for (int i = 0; i < plan.instances; ++i) {
        auto model = s.runtime->load(**mf);
        if (!model) return model.error();
        s.models.push_back(*model);
    }
    s.tagger = make_moderation_tagger(s.models, s.weights_hash, s.version);
    return s;
}

double embedding_similarity(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        s += static_cast<double>(a[i]) * b[i];
    return s;
}

namespace {

class ModerationTagger final : public Tagger {
public:
    ModerationTagger(std::vector<std::shared_ptr<ml::Model>> models, std::string hash, std::string version)
        : m_models(std::move(models)), m_busy(m_models.size()) {
        m_info = {"moderation", 1,
                  "nsfwjs MobileNetV2 " + version + ": drawing/hentai/neutral/porn/sexy, drawn-vs-photo, embedding",
                  std::move(hash)};
    }
    const TaggerInfo& info() const noexcept override { return m_info; }
    Result<std::vector<Tag>> tag(const TagInput& in) const override {
        auto r = run({&in.image}, in.cancel);
        if (!r) return r.error();
        return tags_from(std::move(r->front()));
    }
    // One forward pass for the whole batch; when the batch fails (one image
    // the model cannot take), each image is retried alone so that only that
    // one gets the error.
    std::vector<Result<std::vector<Tag>>> tag_batch(const std::vector<const TagInput*>& inputs) const override {
        if (inputs.size() <= 1) return Tagger::tag_batch(inputs);
        std::vector<const Image*> images;
        for (const TagInput* in : inputs)
            images.push_back(&in->image);
        auto r = run(images, inputs.front()->cancel);
        if (!r || r->size() != inputs.size()) return Tagger::tag_batch(inputs);
        std::vector<Result<std::vector<Tag>>> out;
        for (auto& m : *r)
            out.emplace_back(tags_from(std::move(m)));
        return out;
    }

private:
    // Runs on a free model instance (each serialises its own runs), waiting
    // for the least recently taken one when all are busy.
    Result<std::vector<Moderation>> run(const std::vector<const Image*>& images, const CancelToken& cancel) const {
        std::size_t pick = m_models.size();
        for (std::size_t i = 0; i < m_models.size() && pick == m_models.size(); ++i)
            if (!m_busy[i].exchange(true)) pick = i;
        if (pick == m_models.size()) {
            pick = m_next.fetch_add(1) % m_models.size();
            m_busy[pick] = true;
        }
        auto r = moderate(*m_models[pick], images, true, cancel);
        m_busy[pick] = false;
        return r;
    }

    std::vector<Tag> tags_from(Moderation m) const {
        std::vector<Tag> t;
        for (std::size_t c = 0; c < kModerationClasses.size(); ++c)
            t.push_back(
                make_tag("moderation." + std::string(kModerationClasses[c]), m.probabilities[c], m.probabilities[c]));
        const double explicit_p = m.probabilities[1] + m.probabilities[3];
        const double suggestive_p = explicit_p + m.probabilities[4];
        const std::string rating = explicit_p >= 0.5 ? "explicit" : suggestive_p >= 0.5 ? "suggestive" : "safe";
        const double conf = rating == "explicit"     ? explicit_p
                            : rating == "suggestive" ? suggestive_p
                                                     : 1 - suggestive_p;
        t.push_back(make_tag("moderation.rating", rating, conf));
        const double drawn = m.probabilities[0] + m.probabilities[1];
        t.push_back(make_tag("style.drawn", drawn, std::max(drawn, 1 - drawn)));
        t.push_back(make_tag("embedding.dims", static_cast<std::int64_t>(m.embedding.size())));
        t.push_back(make_tag("embedding", std::move(m.embedding)));
        return t;
    }

    std::vector<std::shared_ptr<ml::Model>> m_models;
    mutable std::vector<std::atomic<bool>> m_busy;
    mutable std::atomic<std::size_t> m_next{0};
    TaggerInfo m_info;
};

}  // namespace

std::unique_ptr<Tagger> make_moderation_tagger(std::shared_ptr<ml::Model> model, std::string model_hash,
                                               std::string model_version) {
    return make_moderation_tagger(std::vector<std::shared_ptr<ml::Model>>{std::move(model)}, std::move(model_hash),
                                  std::move(model_version));
}

std::unique_ptr<Tagger> make_moderation_tagger(std::vector<std::shared_ptr<ml::Model>> models, std::string model_hash,
                                               std::string model_version) {
    models.erase(std::remove(models.begin(), models.end(), nullptr), models.end());
    if (models.empty()) return nullptr;
    return std::make_unique<ModerationTagger>(std::move(models), std::move(model_hash), std::move(model_version));
}

}  // namespace atelier::ops
