// SPDX-License-Identifier: MIT
// nsfwjs MobileNetV2 moderation and embeddings through the ml runtime.

#include "atelier/ops/tag_moderation.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace atelier::ops {

namespace {

/// One channel of one pixel as the model sees it: the 8-bit value
/// tf.browser.fromPixels gives, then img.toFloat().div(255) in float32.
float nsfw_value(const Image& img, int x, int y, int c, bool gray) {
    float v = img.sample(x, y, gray ? 0 : c);
    if (!std::isfinite(v)) v = 0;
    const auto u8 = static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
    return static_cast<float>(u8) / 255.0f;
}

}  // namespace

Result<ml::TensorF32> nsfwjs_input(const Image& image) {
    if (image.empty()) return fail(Errc::invalid_argument, "the image is empty; nothing to moderate");
    const int w = image.width(), h = image.height(), n = kNsfwInputSize;
    const bool gray = image.color_channels() < 3;
    ml::TensorF32 t({1, n, n, 3});
    if (w == n && h == n) {
        for (int y = 0; y < n; ++y)
            for (int x = 0; x < n; ++x)
                for (int k = 0; k < 3; ++k)
                    t.data[(static_cast<std::size_t>(y) * n + x) * 3 + k] = nsfw_value(image, x, y, k, gray);
        return t;
    }
    // tf.image.resizeBilinear(x, [224, 224], alignCorners = true), as the
    // TensorFlow.js CPU kernel computes it (double arithmetic, float32 store).
    // Only the source pixels the 224×224 samples read are converted (the
    // columns once, the two rows per output row), not the whole image: the
    // same values, ~12 instead of 3 conversions per output value on a 1 MP
    // image (16 ms → well under 1 ms).
    const double ry = (n > 1) ? static_cast<double>(h - 1) / (n - 1) : static_cast<double>(h) / n;
    const double rx = (n > 1) ? static_cast<double>(w - 1) / (n - 1) : static_cast<double>(w) / n;
    std::vector<int> cx0(n), cx1(n);
    std::vector<double> cdx(n);
    for (int c = 0; c < n; ++c) {
        const double fx = rx * c;
        cx0[c] = std::max(0, static_cast<int>(std::floor(fx)));
        cdx[c] = fx - cx0[c];
        cx1[c] = std::min(w - 1, static_cast<int>(std::ceil(fx)));
    }
    std::vector<double> top_row(static_cast<std::size_t>(n) * 6), bottom_row(static_cast<std::size_t>(n) * 6);
    auto load_row = [&](int yy, std::vector<double>& row) {  // per output column: x0's then x1's 3 values
        for (int c = 0; c < n; ++c)
            for (int k = 0; k < 3; ++k) {
                row[static_cast<std::size_t>(c) * 6 + k] = nsfw_value(image, cx0[c], yy, k, gray);
                row[static_cast<std::size_t>(c) * 6 + 3 + k] = nsfw_value(image, cx1[c], yy, k, gray);
            }
    };
    int loaded_top = -1, loaded_bottom = -1;
    for (int r = 0; r < n; ++r) {
        const double fy = ry * r;
        const int y0 = std::max(0, static_cast<int>(std::floor(fy)));
        const double dy = fy - y0;
        const int y1 = std::min(h - 1, static_cast<int>(std::ceil(fy)));
        if (y0 != loaded_top) {
            if (y0 == loaded_bottom)
                top_row = bottom_row;
            else
                load_row(y0, top_row);
            loaded_top = y0;
        }
        if (y1 != loaded_bottom) {
            load_row(y1, bottom_row);
            loaded_bottom = y1;
        }
        for (int c = 0; c < n; ++c) {
            const double dx = cdx[c];
            for (int k = 0; k < 3; ++k) {
                const std::size_t i = static_cast<std::size_t>(c) * 6 + k;
                const double top = top_row[i] + (top_row[i + 3] - top_row[i]) * dx;
                const double bottom = bottom_row[i] + (bottom_row[i + 3] - bottom_row[i]) * dx;
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

double embedding_similarity(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        s += static_cast<double>(a[i]) * b[i];
    return s;
}

namespace {

class ModerationTagger final : public Tagger {
public:
    ModerationTagger(std::shared_ptr<ml::Model> model, std::string hash, std::string version)
        : m_model(std::move(model)) {
        m_info = {"moderation", 1,
                  "nsfwjs MobileNetV2 " + version + ": drawing/hentai/neutral/porn/sexy, drawn-vs-photo, embedding",
                  std::move(hash)};
    }
    const TaggerInfo& info() const noexcept override { return m_info; }
    Result<std::vector<Tag>> tag(const TagInput& in) const override {
        auto r = moderate(*m_model, {&in.image}, true, in.cancel);
        if (!r) return r.error();
        return tags_from(r->front());
    }
    // One forward pass for the whole batch; when the batch fails (one image
    // the model cannot take), each image is retried alone so that only that
    // one gets the error.
    std::vector<Result<std::vector<Tag>>> tag_batch(const std::vector<const TagInput*>& inputs) const override {
        if (inputs.size() <= 1) return Tagger::tag_batch(inputs);
        std::vector<const Image*> images;
        for (const TagInput* in : inputs)
            images.push_back(&in->image);
        auto r = moderate(*m_model, images, true, inputs.front()->cancel);
        if (!r || r->size() != inputs.size()) return Tagger::tag_batch(inputs);
        std::vector<Result<std::vector<Tag>>> out;
        for (const auto& m : *r)
            out.emplace_back(tags_from(m));
        return out;
    }

private:
    std::vector<Tag> tags_from(const Moderation& m) const {
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
        return t;
    }

    std::shared_ptr<ml::Model> m_model;
    TaggerInfo m_info;
};

}  // namespace

std::unique_ptr<Tagger> make_moderation_tagger(std::shared_ptr<ml::Model> model, std::string model_hash,
                                               std::string model_version) {
    return std::make_unique<ModerationTagger>(std::move(model), std::move(model_hash), std::move(model_version));
}

}  // namespace atelier::ops
