// SPDX-License-Identifier: MIT
// Tiled, seamless, alpha, 16-bit and gray upscaling with the installed
// UpscalerJS ESRGAN models (small images, slim unless a test needs more).

#include <gtest/gtest.h>

#include <set>

#include "atelier/base/paths.h"
#include "atelier/image/procedural.h"
#include "atelier/image/resize.h"
#include "atelier/ml/runtime.h"
#include "atelier/ops/upscale.h"

using namespace atelier;

namespace {

struct Env {
    ml::ModelRegistry reg = ml::ModelRegistry::scan(paths::model_dirs());
    std::shared_ptr<ml::Runtime> rt = ml::Runtime::create().value();
    std::map<std::string, std::shared_ptr<ml::Model>> cache;
    std::shared_ptr<ml::Model> model(const std::string& ref, int scale = 4) {
        const auto key = ref + "/" + std::to_string(scale);
        if (auto it = cache.find(key); it != cache.end()) return it->second;
        auto mf = reg.resolve(ref);
        EXPECT_TRUE(mf.ok()) << mf.error().message;
        if (!mf) return nullptr;
        auto m = rt->load(**mf, {scale});
        EXPECT_TRUE(m.ok()) << m.error().message;
        if (!m) return nullptr;
        return cache[key] = *m;
    }
};

Env& env() {
    static Env e;
    return e;
}

Image roll(const Image& src, int dx, int dy) {
    Image out = Image::create(src.width(), src.height(), src.channels(), src.type()).value();
    for (int y = 0; y < src.height(); ++y)
        for (int x = 0; x < src.width(); ++x)
            for (int c = 0; c < src.channels(); ++c)
                out.set_sample((x + dx) % src.width(), (y + dy) % src.height(), c, src.sample(x, y, c));
    return out;
}

}  // namespace

TEST(Upscale, TiledEqualsUntiledAbove50dB) {
    struct Case {
        const char* id;
        int w, h, tile, tiles;
    } cases[] = {{"esrgan-slim", 96, 80, 32, 9}};  // medium and thick: the peer test
    for (const auto& cs : cases) {
        const char* id = cs.id;
        auto m = env().model(id);
        ASSERT_TRUE(m);
        const Image img = procedural::noise_texture(cs.w, cs.h, 3).value();
        ops::UpscaleOptions whole;
        whole.tile = 128;
        auto a = ops::upscale(*m, img, whole);
        ASSERT_TRUE(a.ok()) << a.error().message;
        EXPECT_EQ(a->stats.tiles, 1);
        ops::UpscaleOptions tiled;
        tiled.tile = cs.tile;
        auto b = ops::upscale(*m, img, tiled);
        ASSERT_TRUE(b.ok()) << b.error().message;
        EXPECT_EQ(b->stats.tiles, cs.tiles);
        EXPECT_EQ(b->image.width(), cs.w * 4);
        EXPECT_EQ(b->image.height(), cs.h * 4);
        const double p = ops::psnr(a->image, b->image).value();
        EXPECT_GE(p, 50.0) << id;
        std::printf("%s: tiled vs untiled PSNR %.1f dB\n", id, p);
        // Without overlap the seams show: the blending is what makes it work.
        tiled.overlap = 0;
        auto c = ops::upscale(*m, img, tiled);
        ASSERT_TRUE(c.ok());
        EXPECT_LT(ops::psnr(a->image, c->image).value(), p - 5.0) << id;
    }
}

TEST(Upscale, OneWindowIsSplitForTheCpuWorkers) {
    // With two CPU threads a single window is cut into two strips run as one
    // batch (one worker each); the result equals the one-window result.
    auto rt = ml::Runtime::create({.device = "cpu", .threads = 2});
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    // medium: bit-exact in 8 bits (its receptive field fits in the overlap);
    // thick gives 96.8 dB but takes ~11 s here
    auto mf = env().reg.resolve("esrgan-medium");
    ASSERT_TRUE(mf.ok()) << mf.error().message;
    auto m = (*rt)->load(**mf, {4});
    ASSERT_TRUE(m.ok()) << m.error().message;
    ASSERT_EQ((*m)->batch_parallelism(), 2);
    const Image img = procedural::noise_texture(112, 96, 4).value();
    ops::UpscaleOptions whole;
    whole.tile = 112;
    auto a = ops::upscale(**m, img, whole);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->stats.tiles, 1);
    auto b = ops::upscale(**m, img, {});
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(b->stats.tiles, 2);
    const double p = ops::psnr(a->image, b->image).value();
    EXPECT_GE(p, 50.0);
    std::printf("split vs one window PSNR %.1f dB\n", p);
    // Seamless: the strips wrap around and the result still tiles.
    const Image waves = procedural::seamless_waves(112, 96, 6).value();
    ops::UpscaleOptions seam;
    seam.seamless = true;
    auto c = ops::upscale(**m, waves, seam);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->stats.tiles, 2);
    EXPECT_LT(c->stats.seam_error, 0.002);
    seam.tile = 112;
    auto d = ops::upscale(**m, waves, seam);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->stats.tiles, 1);
    EXPECT_GE(ops::psnr(c->image, d->image).value(), 50.0);
}

TEST(Upscale, SeamlessResultStillTiles) {
    auto m = env().model("esrgan-slim");
    ASSERT_TRUE(m);
    const Image img = procedural::seamless_waves(48, 40, 11).value();
    ops::UpscaleOptions o;
    o.seamless = true;
    o.tile = 24;  // several tiles, windows wrap around the edges
    auto a = ops::upscale(*m, img, o);
    ASSERT_TRUE(a.ok()) << a.error().message;
    // Upscaling a rolled copy equals rolling the upscaled image: no edge is special.
    auto b = ops::upscale(*m, roll(img, 13, 7), o);
    ASSERT_TRUE(b.ok());
    EXPECT_GE(ops::psnr(roll(a->image, 13 * 4, 7 * 4), b->image).value(), 50.0);
    EXPECT_GE(a->stats.seam_error, 0.0);
    EXPECT_LT(a->stats.seam_error, 0.002);  // < 0.5 of an 8-bit level on average
    // The plain mode treats the edges as borders: the seam is worse.
    ops::UpscaleOptions plain;
    auto c = ops::upscale(*m, img, plain);
    ASSERT_TRUE(c.ok());
    auto [seam, inner] = ops::seam_steps(c->image);
    auto [seam_a, inner_a] = ops::seam_steps(a->image);
    EXPECT_GT(seam / inner, seam_a / inner_a);
    EXPECT_LT(ops::psnr(roll(c->image, 13 * 4, 7 * 4), b->image).value(), 40.0);
}

TEST(Upscale, AlphaIsUpscaledSeparately) {
    auto m = env().model("esrgan-slim", 2);
    ASSERT_TRUE(m);
    Image img = procedural::gradient(32, 24, 5).value().with_channels(4).value();
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x)
            img.set_sample(x, y, 3, x < 16 ? 0.0F : static_cast<float>(y) / 23.0F);
    auto r = ops::upscale(*m, img);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->image.channels(), 4);
    ASSERT_TRUE(r->image.has_alpha());
    EXPECT_EQ(r->image.width(), 64);
    // alpha follows the input's alpha, not the colour
    const Image ref = resize(img, 64, 48, {ResizeFilter::bicubic}).value();
    double err = 0;
    for (int y = 0; y < 48; ++y)
        for (int x = 0; x < 64; ++x)
            err += std::abs(r->image.sample(x, y, 3) - ref.sample(x, y, 3));
    EXPECT_LT(err / (64 * 48), 0.05);
    EXPECT_LT(r->image.sample(5, 20, 3), 0.05F);
    EXPECT_GT(r->image.sample(60, 46, 3), 0.8F);
}

TEST(Upscale, SixteenBitStaysSixteenBit) {
    auto m = env().model("esrgan-slim", 2);
    ASSERT_TRUE(m);
    Image img = Image::create(40, 8, 3, PixelType::u16).value();
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 40; ++x)
            for (int c = 0; c < 3; ++c)
                img.set_sample(x, y, c, 0.3F + 0.002F * static_cast<float>(x) + 0.0001F * static_cast<float>(c));
    auto r = ops::upscale(*m, img);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->image.type(), PixelType::u16);
    std::set<std::uint16_t> levels;
    for (int y = 0; y < r->image.height(); ++y)
        for (int x = 0; x < r->image.width(); ++x)
            levels.insert(r->image.row_as<std::uint16_t>(y)[x * 3]);
    // the input ramp spans ~20 8-bit levels; 16-bit keeps far more distinct values
    EXPECT_GT(levels.size(), 60U);
}

TEST(Upscale, GrayInGrayOut) {
    auto m = env().model("esrgan-slim", 2);
    ASSERT_TRUE(m);
    const Image img = procedural::noise_texture(24, 24, 9).value().with_channels(1).value();
    auto r = ops::upscale(*m, img);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->image.channels(), 1);
    EXPECT_EQ(r->image.width(), 48);
    const Image ref = resize(img, 48, 48, {ResizeFilter::bicubic}).value();
    EXPECT_GT(ops::psnr(ref, r->image).value(), 20.0);
}

TEST(Upscale, CancelStopsCleanly) {
    auto m = env().model("esrgan-slim");
    ASSERT_TRUE(m);
    CancelSource cs;
    int calls = 0;
    ops::UpscaleOptions o;
    o.tile = 16;
    o.cancel = cs.token();
    o.progress = [&](double) {
        if (++calls == 2) cs.cancel();
    };
    auto r = ops::upscale(*m, procedural::noise_texture(64, 64, 1).value(), o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::cancelled);
    EXPECT_EQ(calls, 2);
}

TEST(Upscale, RefusesAClassifier) {
    auto mf = env().reg.resolve("nsfwjs-mobilenetv2");
    ASSERT_TRUE(mf.ok()) << mf.error().message;
    auto m = env().rt->load(**mf);
    ASSERT_TRUE(m.ok()) << m.error().message;
    auto r = ops::upscale(**m, procedural::gradient(16, 16, 1).value());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find("not an RGB image-to-image upscaler"), std::string::npos);
}

TEST(Upscale, TileFromMemoryBudget) {
    auto m = env().model("esrgan-slim");
    ASSERT_TRUE(m);
    const int small = ops::choose_tile(*m, 64ull << 20, ml::Precision::fp32, 24);
    const int large = ops::choose_tile(*m, 3ull << 30, ml::Precision::fp32, 24);
    EXPECT_LT(small, large);
    // the window of a tile stays within the budget
    const double bytes = (small + 48.0) * (small + 48.0) * m->bytes_per_pixel(ml::Precision::fp32);
    EXPECT_LE(bytes, static_cast<double>(64ull << 20));
    EXPECT_GE(small, 16);
}
