// SPDX-License-Identifier: MIT
// Awkward files through imageio and the tagger pipeline: CMYK and grayscale
// JPEGs, palette PNGs, animated GIF and WebP (first frame), 16-bit and float,
// 1×1, alpha-only, and images at (and over) the pixel limit. Each is tagged,
// or refused with a reason — never a crash. The odd files are written here
// with libjpeg, libpng and OpenImageIO.

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <vector>

#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

#include <OpenImageIO/imageio.h>

#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"
#include "atelier/ops/tag_load.h"
#include "atelier/ops/tagger.h"
#include "eval_set.h"

namespace atelier {
namespace {

namespace fs = std::filesystem;

class BadInput : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() / ("atelier-tag-bad-" + std::to_string(::getpid()));
        fs::create_directories(m_dir);
    }
    void TearDown() override { fs::remove_all(m_dir); }

    // Through the reader `atelier tag` and the library use.
    Result<ops::TagReport> tag(const fs::path& file, const imageio::ImageLimits& limits = {}) {
        auto loaded = ops::load_for_tagging(file, limits);
        if (!loaded) return loaded.error();
        return m_pipeline.run(loaded->image, &loaded->facts);
    }
    static std::string str(const ops::TagReport& r, std::string_view name) {
        const ops::Tag* t = r.find(name);
        return t ? ops::tag_value_string(t->value) : "<missing " + std::string(name) + ">";
    }
    fs::path m_dir;
    ops::TagPipeline m_pipeline = ops::TagPipeline::with_builtin_taggers();
};

// A CMYK JPEG (as print workflows produce), written with libjpeg.
void write_cmyk_jpeg(const fs::path& path, int w, int h) {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    jpeg_compress_struct cinfo{};
    jpeg_error_mgr jerr{};
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, f);
    cinfo.image_width = static_cast<JDIMENSION>(w);
    cinfo.image_height = static_cast<JDIMENSION>(h);
    cinfo.input_components = 4;
    cinfo.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    jpeg_set_colorspace(&cinfo, JCS_CMYK);
    jpeg_set_quality(&cinfo, 90, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    std::vector<JSAMPLE> row(static_cast<std::size_t>(w) * 4);
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            // Mostly cyan on the left, magenta on the right.
            row[4 * x + 0] = static_cast<JSAMPLE>(x < w / 2 ? 200 : 10);
            row[4 * x + 1] = static_cast<JSAMPLE>(x < w / 2 ? 10 : 200);
            row[4 * x + 2] = 10;
            row[4 * x + 3] = 0;
        }
        JSAMPROW r = row.data();
        jpeg_write_scanlines(&cinfo, &r, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    std::fclose(f);
}

// An 8-bit palette PNG written with libpng.
void write_palette_png(const fs::path& path, int w, int h) {
    FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    ASSERT_FALSE(setjmp(png_jmpbuf(png)));
    png_init_io(png, f);
    png_set_IHDR(png, info, static_cast<png_uint_32>(w), static_cast<png_uint_32>(h), 8, PNG_COLOR_TYPE_PALETTE,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_color pal[3] = {{255, 0, 0}, {0, 128, 0}, {0, 0, 255}};
    png_set_PLTE(png, info, pal, 3);
    png_write_info(png, info);
    std::vector<png_byte> row(static_cast<std::size_t>(w));
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x)
            row[x] = static_cast<png_byte>(x * 3 / w);
        png_write_row(png, row.data());
    }
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
}

// A multi-frame file through OpenImageIO (GIF supports appending frames).
void write_frames(const fs::path& path, const std::vector<Image>& frames) {
    auto out = OIIO::ImageOutput::create(path.string());
    ASSERT_TRUE(out) << OIIO::geterror();
    std::vector<OIIO::ImageSpec> specs;
    for (const auto& f : frames)
        specs.emplace_back(f.width(), f.height(), f.channels(), OIIO::TypeDesc::UINT8);
    ASSERT_TRUE(out->open(path.string(), static_cast<int>(specs.size()), specs.data())) << out->geterror();
    for (std::size_t i = 0; i < frames.size(); ++i) {
        if (i > 0) {
            ASSERT_TRUE(out->open(path.string(), specs[i], OIIO::ImageOutput::AppendSubimage));
        }
        ASSERT_TRUE(out->write_image(OIIO::TypeDesc::UINT8, frames[i].data())) << out->geterror();
    }
    out->close();
}

Image solid(int w, int h, float r, float g, float b) {
    auto img = Image::create(w, h, 3, PixelType::u8).value();
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            img.set_sample(x, y, 0, r);
            img.set_sample(x, y, 1, g);
            img.set_sample(x, y, 2, b);
        }
    return img;
}

// Reads a RIFF chunk list (after the 12-byte header).
std::vector<std::pair<std::string, std::string>> riff_chunks(const std::string& bytes) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t pos = 12;
    while (pos + 8 <= bytes.size()) {
        const std::string id = bytes.substr(pos, 4);
        const std::uint32_t n = static_cast<std::uint8_t>(bytes[pos + 4]) |
                                static_cast<std::uint8_t>(bytes[pos + 5]) << 8 |
                                static_cast<std::uint8_t>(bytes[pos + 6]) << 16 |
                                static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[pos + 7])) << 24;
        out.emplace_back(id, bytes.substr(pos + 8, n));
        pos += 8 + n + (n & 1);
    }
    return out;
}
std::string le(std::uint32_t v, int bytes) {
    std::string s;
    for (int i = 0; i < bytes; ++i)
        s.push_back(static_cast<char>((v >> (8 * i)) & 255));
    return s;
}
std::string chunk(const std::string& id, const std::string& data) {
    return id + le(static_cast<std::uint32_t>(data.size()), 4) + data + (data.size() & 1 ? std::string(1, '\0') : "");
}

TEST_F(BadInput, CmykJpegIsConvertedAndTagged) {
    const auto p = m_dir / "cmyk.jpg";
    write_cmyk_jpeg(p, 64, 48);
    auto r = tag(p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(str(*r, "format"), "jpeg");
    EXPECT_EQ(str(*r, "width"), "64");
    EXPECT_NE(r->find("palette.1.hex"), nullptr);
}

TEST_F(BadInput, GrayscaleJpeg) {
    const auto p = m_dir / "gray.jpg";
    auto g = evalset::photo_like(96, 64, 3).with_channels(1).value();
    ASSERT_TRUE(imageio::save(g, p).ok());
    auto r = tag(p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(str(*r, "channels"), "1");
    EXPECT_EQ(str(*r, "palette.harmony"), "monochrome");
    EXPECT_TRUE(r->problems.empty());
}

TEST_F(BadInput, PalettePng) {
    const auto p = m_dir / "palette.png";
    write_palette_png(p, 90, 30);
    auto r = tag(p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(str(*r, "palette.count"), "3");
    EXPECT_EQ(str(*r, "style"), "flat");
}

TEST_F(BadInput, AnimatedGifTagsTheFirstFrame) {
    const auto p = m_dir / "anim.gif";
    write_frames(p, {solid(40, 30, 1, 0, 0), solid(40, 30, 0, 0, 1)});
    auto r = tag(p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(str(*r, "frames"), "2");
    EXPECT_EQ(str(*r, "palette.1.name"), "red");
}

TEST_F(BadInput, AnimatedWebpTagsTheFirstFrame) {
    // Two lossless frames written by OIIO, wrapped into an animated WebP
    // (VP8X + ANIM + ANMF chunks).
    std::vector<std::string> frames;
    for (int i = 0; i < 2; ++i) {
        const auto fp = m_dir / ("frame" + std::to_string(i) + ".webp");
        auto img = i == 0 ? solid(32, 32, 1, 0, 0) : solid(32, 32, 0, 0, 1);
        imageio::SaveOptions o;
        o.quality = 100;
        ASSERT_TRUE(imageio::save(img, fp, o).ok());
        std::ifstream in(fp, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), {});
        for (const auto& [id, data] : riff_chunks(bytes))
            if (id == "VP8 " || id == "VP8L") frames.push_back(chunk(id, data));
    }
    ASSERT_EQ(frames.size(), 2u);
    std::string body = "WEBP";
    body += chunk("VP8X", std::string(1, '\x02') + std::string(3, '\0') + le(31, 3) + le(31, 3));
    body += chunk("ANIM", le(0xffffffff, 4) + le(0, 2));
    for (const auto& f : frames)
        body += chunk("ANMF", le(0, 3) + le(0, 3) + le(31, 3) + le(31, 3) + le(100, 3) + std::string(1, '\0') + f);
    const auto p = m_dir / "anim.webp";
    std::ofstream(p, std::ios::binary) << "RIFF" << le(static_cast<std::uint32_t>(body.size()), 4) << body;
    auto r = tag(p);
    // Debian's OpenImageIO decodes animated WebP: the first frame is tagged.
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(str(*r, "palette.1.name"), "red");
    EXPECT_EQ(str(*r, "width"), "32");
    EXPECT_EQ(str(*r, "format"), "webp");
}

TEST_F(BadInput, PalettePngWithTransparentIndex) {
    // Palette PNG whose first index is fully transparent (tRNS): the alpha is
    // used, and the background is reported as transparent.
    const auto p = m_dir / "palette-trns.png";
    FILE* f = std::fopen(p.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    ASSERT_FALSE(setjmp(png_jmpbuf(png)));
    png_init_io(png, f);
    const int w = 64, h = 64;
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_color pal[2] = {{0, 0, 0}, {255, 215, 0}};
    png_set_PLTE(png, info, pal, 2);
    png_byte alpha[1] = {0};
    png_set_tRNS(png, info, alpha, 1, nullptr);
    png_write_info(png, info);
    std::vector<png_byte> row(w);
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x)  // a gold disc on transparency
            row[x] = static_cast<png_byte>((x - 32) * (x - 32) + (y - 32) * (y - 32) < 20 * 20 ? 1 : 0);
        png_write_row(png, row.data());
    }
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    auto r = tag(p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(str(*r, "alpha_used"), "true");
    EXPECT_EQ(str(*r, "palette.background"), "transparent");
    EXPECT_EQ(str(*r, "palette.1.name"), "gold");
}

TEST_F(BadInput, SixteenBitGrayAlphaPngAndFloatTiffWithNaN) {
    // 16-bit gray + alpha PNG.
    auto ga = procedural::seamless_waves(96, 96, 8, PixelType::u16).value().with_channels(2).value();
    ASSERT_TRUE(imageio::save(ga, m_dir / "ga16.png").ok());
    auto r = tag(m_dir / "ga16.png");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(str(*r, "bit_depth"), "16");
    EXPECT_EQ(str(*r, "channels"), "2");
    EXPECT_EQ(str(*r, "seamless"), "true");
    // A float TIFF with NaN, infinity and HDR values: clamped, tagged.
    auto fl = evalset::photo_like(80, 60, 4).converted(PixelType::f32).value();
    fl.row_as<float>(1)[0] = std::numeric_limits<float>::quiet_NaN();
    fl.row_as<float>(2)[3] = std::numeric_limits<float>::infinity();
    fl.row_as<float>(3)[6] = -5.0f;
    fl.row_as<float>(4)[9] = 1e6f;
    ASSERT_TRUE(imageio::save(fl, m_dir / "float.tif").ok());
    auto rf = tag(m_dir / "float.tif");
    ASSERT_TRUE(rf.ok()) << rf.error().message;
    EXPECT_EQ(str(*rf, "sample_type"), "float32");
    EXPECT_TRUE(rf->problems.empty());
    EXPECT_EQ(str(*rf, "hash.phash").size(), 16u);
}

TEST_F(BadInput, SixteenBitPngAndFloatExr) {
    auto img = procedural::seamless_waves(128, 96, 5, PixelType::u16).value();
    ASSERT_TRUE(imageio::save(img, m_dir / "deep.png").ok());
    auto r = tag(m_dir / "deep.png");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(str(*r, "bit_depth"), "16");
    EXPECT_EQ(str(*r, "seamless"), "true");
    auto f = img.converted(PixelType::f32).value();
    ASSERT_TRUE(imageio::save(f, m_dir / "float.exr").ok());
    auto rf = tag(m_dir / "float.exr");
    ASSERT_TRUE(rf.ok()) << rf.error().message;
    EXPECT_EQ(str(*rf, "sample_type"), "float32");
    EXPECT_EQ(str(*rf, "seamless"), "true");
}

TEST_F(BadInput, OnePixelAndAlphaOnly) {
    ASSERT_TRUE(imageio::save(solid(1, 1, 0, 0, 1), m_dir / "one.png").ok());
    auto r = tag(m_dir / "one.png");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(str(*r, "palette.1.name"), "blue");
    EXPECT_FALSE(r->problems.empty());                          // too small for repeat detection, said so
    auto ga = Image::create(32, 32, 2, PixelType::u8).value();  // fully transparent
    ASSERT_TRUE(imageio::save(ga, m_dir / "alpha.png").ok());
    auto ra = tag(m_dir / "alpha.png");
    ASSERT_TRUE(ra.ok()) << ra.error().message;
    EXPECT_EQ(str(*ra, "alpha_used"), "true");
    bool explained = false;
    for (const auto& p : ra->problems)
        explained = explained || p.error.message.find("no visible pixels") != std::string::npos;
    EXPECT_TRUE(explained);
}

TEST_F(BadInput, AtAndOverThePixelLimit) {
    ASSERT_TRUE(imageio::save(evalset::photo_like(200, 150, 2), m_dir / "limit.png").ok());
    imageio::ImageLimits at;
    at.max_pixels = 200 * 150;
    auto r = tag(m_dir / "limit.png", at);
    ASSERT_TRUE(r.ok()) << r.error().message;
    imageio::ImageLimits over;
    over.max_pixels = 200 * 150 - 1;
    auto refused = tag(m_dir / "limit.png", over);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::limit_exceeded);
}

TEST_F(BadInput, NotAnImage) {
    std::ofstream(m_dir / "fake.png") << "this is not a png";
    auto r = tag(m_dir / "fake.png");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("fake.png"), std::string::npos);
}

TEST_F(BadInput, LoadForTaggingFillsTheFileFactsAndNamesMissingFiles) {
    const fs::path png = m_dir / "facts.png";
    ASSERT_TRUE(imageio::save(procedural::seamless_waves(96, 64, 3, PixelType::u16).value(), png).ok());
    auto loaded = ops::load_for_tagging(png, {});
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->image.width(), 96);
    EXPECT_EQ(loaded->image.height(), 64);
    EXPECT_EQ(loaded->facts.format, "png");
    EXPECT_EQ(loaded->facts.bits_per_sample, 16);
    EXPECT_EQ(loaded->facts.frames, 1);
    EXPECT_EQ(loaded->facts.file_bytes, fs::file_size(png));
    auto missing = ops::load_for_tagging(m_dir / "nope.png", {});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, Errc::not_found);
    EXPECT_NE(missing.error().message.find("nope.png"), std::string::npos);
    imageio::ImageLimits tight;
    tight.max_pixels = 1000;  // refused from the header, before decoding
    auto big = ops::load_for_tagging(png, tight);
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.error().code, Errc::limit_exceeded);
}

}  // namespace
}  // namespace atelier
