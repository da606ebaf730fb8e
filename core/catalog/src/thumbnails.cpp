// SPDX-License-Identifier: MIT
// Thumbnails: JPEG is decoded with libjpeg's DCT scaling (1/2, 1/4, 1/8:
// "shrink on load", 10-40x less work for a 12 MP photo); other formats are
// decoded through imageio. Then a Lanczos resize to fit kThumbnailSize and a
// PNG written atomically, turned upright by the file's EXIF orientation (read
// with Exiv2, any format). The 64-bit dHash is computed from the thumbnail.
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include <jpeglib.h>
#include <exiv2/exiv2.hpp>

#include "atelier/image/resize.h"
#include "library_p.h"

namespace atelier::catalog {

namespace fs = std::filesystem;

namespace {

struct JpegError {
    jpeg_error_mgr pub;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

extern "C" void jpeg_error_exit(j_common_ptr cinfo) {
    auto* err = reinterpret_cast<JpegError*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, err->message);
    std::longjmp(err->jump, 1);
}
extern "C" void jpeg_quiet(j_common_ptr, int) {}

struct Decoded {
    unsigned char* pixels = nullptr;  // malloc'd
    int width = 0, height = 0, channels = 0;
    bool unsupported = false;  // CMYK etc.: let imageio handle it
};

/// Plain C-style so that longjmp never skips a C++ destructor.
bool decode_jpeg_scaled(const unsigned char* data, unsigned long size, int target, Decoded* out, char* why) {
    jpeg_decompress_struct cinfo;
    JpegError err;
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = jpeg_error_exit;
    err.pub.emit_message = jpeg_quiet;
    unsigned char* volatile buffer = nullptr;
    if (setjmp(err.jump)) {
        std::free(buffer);
        jpeg_destroy_decompress(&cinfo);
        std::snprintf(why, JMSG_LENGTH_MAX, "%s", err.message);
        return false;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&cinfo);
        out->unsupported = true;
        return false;
    }
    const unsigned longest = cinfo.image_width > cinfo.image_height ? cinfo.image_width : cinfo.image_height;
    unsigned denom = 1;
    while (denom < 8 && longest / (denom * 2) >= static_cast<unsigned>(target))
        denom *= 2;
    cinfo.scale_num = 1;
    cinfo.scale_denom = denom;
    cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    cinfo.dct_method = JDCT_ISLOW;
    jpeg_start_decompress(&cinfo);
    const std::size_t row = std::size_t(cinfo.output_width) * cinfo.output_components;
    buffer = static_cast<unsigned char*>(std::malloc(row * cinfo.output_height));
    if (buffer == nullptr) {
        jpeg_destroy_decompress(&cinfo);
        std::snprintf(why, JMSG_LENGTH_MAX, "out of memory");
        return false;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW r = buffer + row * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &r, 1);
    }
    jpeg_finish_decompress(&cinfo);
    out->pixels = buffer;
    out->width = static_cast<int>(cinfo.output_width);
    out->height = static_cast<int>(cinfo.output_height);
    out->channels = cinfo.output_components;
    jpeg_destroy_decompress(&cinfo);
    return true;
}

bool is_jpeg(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    unsigned char sig[3] = {0, 0, 0};
    in.read(reinterpret_cast<char*>(sig), 3);
    return in && sig[0] == 0xFF && sig[1] == 0xD8 && sig[2] == 0xFF;
}

Result<Image> load_for_thumbnail(const fs::path& file, const imageio::ImageLimits& limits) {
    if (is_jpeg(file)) {
        auto info = imageio::probe(file, limits);  // same limits as every decode
        if (!info) return std::move(info).error();
        std::ifstream in(file, std::ios::binary);
        std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!in.eof() && in.fail()) return fail(Errc::io_error, "cannot read '" + file.string() + "'");
        Decoded d;
        char why[JMSG_LENGTH_MAX] = {0};
        if (decode_jpeg_scaled(bytes.data(), bytes.size(), kThumbnailSize, &d, why)) {
            auto img = Image::create(d.width, d.height, d.channels, PixelType::u8);
            if (!img) {
                std::free(d.pixels);
                return std::move(img).error();
            }
            std::memcpy(img->data(), d.pixels, img->byte_size());
            std::free(d.pixels);
            return img;
        }
        if (!d.unsupported)
            return fail(Errc::corrupt_data, "'" + file.string() + "' could not be decoded (" + why + ")");
    }
    return imageio::load(file, limits);
}

std::uint64_t dhash(const Image& thumb) {
    auto gray = thumb.channels() >= 3 ? thumb.with_channels(1) : thumb.with_channels(1);
    if (!gray) return 0;
    auto small = resize(*gray, 9, 8, {ResizeFilter::box, false});
    if (!small) return 0;
    std::uint64_t h = 0;
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 8; ++x)
            h = (h << 1) | (small->sample(x, y, 0) < small->sample(x + 1, y, 0) ? 1u : 0u);
    return h;
}

/// EXIF orientation (1..8; 1 = upright) of `file`; 1 when it has none or it cannot be read.
int exif_orientation(const fs::path& file) {
    try {
        static const bool muted = (Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute), true);
        (void)muted;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        Exiv2::Image::AutoPtr image = Exiv2::ImageFactory::open(file.string());
#pragma GCC diagnostic pop
        if (image.get() == nullptr) return 1;
        image->readMetadata();
        const Exiv2::ExifData& exif = image->exifData();
        auto it = exif.findKey(Exiv2::ExifKey("Exif.Image.Orientation"));
        if (it == exif.end() || it->count() == 0) return 1;
        const long v = it->toLong();
        return v >= 1 && v <= 8 ? static_cast<int>(v) : 1;
    } catch (...) {
        return 1;  // no or unreadable EXIF: as stored
    }
}

/// `img` (8-bit) turned by EXIF orientation `o` (2-8: mirror, rotate 180,
/// flip, transpose, rotate 90 clockwise, transverse, rotate 90 anticlockwise).
Result<Image> apply_orientation(const Image& img, int o) {
    const int w = img.width(), h = img.height(), c = img.channels();
    const bool swap = o >= 5;
    auto out = Image::create(swap ? h : w, swap ? w : h, c, PixelType::u8);
    if (!out) return std::move(out).error();
    out->metadata() = img.metadata();
    for (int y = 0; y < out->height(); ++y) {
        std::uint8_t* dst = out->row(y);
        for (int x = 0; x < out->width(); ++x) {
            int sx = x, sy = y;
            switch (o) {
                case 2:
                    sx = w - 1 - x;
                    break;
                case 3:
                    sx = w - 1 - x;
                    sy = h - 1 - y;
                    break;
                case 4:
                    sy = h - 1 - y;
                    break;
                case 5:
                    sx = y;
                    sy = x;
                    break;
                case 6:
                    sx = y;
                    sy = h - 1 - x;
                    break;
                case 7:
                    sx = w - 1 - y;
                    sy = h - 1 - x;
                    break;
                case 8:
                    sx = w - 1 - y;
                    sy = x;
                    break;
                default:
                    break;
            }
            std::memcpy(dst + std::size_t(x) * c, img.row(sy) + std::size_t(sx) * c, static_cast<std::size_t>(c));
        }
    }
    return out;
}

}  // namespace

Result<std::uint64_t> make_thumbnail_file(const fs::path& file, const fs::path& out,
                                          const imageio::ImageLimits& limits) {
    auto img = load_for_thumbnail(file, limits);
    if (!img) return std::move(img).error();
    Image src = std::move(img).value();
    if (src.type() != PixelType::u8) {
        auto c = src.converted(PixelType::u8);
        if (!c) return std::move(c).error();
        src = std::move(c).value();
    }
    const int longest = std::max(src.width(), src.height());
    Image thumb;
    if (longest > kThumbnailSize) {
        const double s = double(kThumbnailSize) / longest;
        const int w = std::max(1, static_cast<int>(src.width() * s + 0.5));
        const int h = std::max(1, static_cast<int>(src.height() * s + 0.5));
        auto r = resize(src, w, h, {ResizeFilter::lanczos3, false});
        if (!r) return std::move(r).error();
        thumb = std::move(r).value();
    } else {
        thumb = std::move(src);
    }
    if (const int o = exif_orientation(file); o != 1) {
        auto turned = apply_orientation(thumb, o);
        if (!turned) return std::move(turned).error();
        thumb = std::move(turned).value();
    }
    thumb.metadata().attributes.clear();
    thumb.metadata().icc_profile.clear();
    imageio::SaveOptions so;
    so.compression = 6;
    ATELIER_TRY(imageio::save(thumb, out, so));
    return dhash(thumb);
}

}  // namespace atelier::catalog
