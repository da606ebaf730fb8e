// SPDX-License-Identifier: MIT
#include "backend_p.h"

#include <algorithm>
#include <cctype>
#include <random>
#include <system_error>

#include <unistd.h>

#include <OpenImageIO/imageio.h>
#include <spdlog/spdlog.h>

namespace atelier::imageio::oiio {

namespace fs = std::filesystem;
namespace OIIO = OIIO_NAMESPACE;

bool readable_extension(const fs::path& path);  // below; shadows the facade's

namespace {

std::string first_line(std::string s) {
    auto nl = s.find('\n');
    if (nl != std::string::npos) s.resize(nl);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.pop_back();
    return s.empty() ? std::string("no reason given") : s;
}

std::string quoted(const fs::path& p) {
    return "'" + p.string() + "'";
}

std::string lower_ext(const fs::path& p) {
    auto e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return e;
}

PixelType type_for(const OIIO::ImageSpec& spec, int bits) {
    const auto b = spec.format.basetype;
    if (b == OIIO::TypeDesc::UINT8 || b == OIIO::TypeDesc::INT8) return PixelType::u8;
    if ((b == OIIO::TypeDesc::UINT16 || b == OIIO::TypeDesc::INT16) ||
        (bits > 8 && bits <= 16 && spec.format.is_floating_point() == false))
        return PixelType::u16;
    return PixelType::f32;
}

OIIO::TypeDesc oiio_type(PixelType t) {
    switch (t) {
        case PixelType::u8:
            return OIIO::TypeDesc::UINT8;
        case PixelType::u16:
            return OIIO::TypeDesc::UINT16;
        case PixelType::f32:
            return OIIO::TypeDesc::FLOAT;
    }
    return OIIO::TypeDesc::UINT8;
}

std::optional<double> dpi_from(const OIIO::ImageSpec& spec, const char* name) {
    const float v = spec.get_float_attribute(name, 0.0f);
    if (v <= 0.0f) return std::nullopt;
    std::string unit = spec.get_string_attribute("ResolutionUnit", "");
    std::transform(unit.begin(), unit.end(), unit.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (unit == "cm") return v * 2.54;
    if (unit == "in" || unit == "inch" || unit.empty()) return v;
    return std::nullopt;  // "none": an aspect ratio, not a density
}

std::vector<std::uint8_t> icc_from(const OIIO::ImageSpec& spec) {
    const OIIO::ParamValue* p = spec.find_attribute("ICCProfile");
    if (p == nullptr || p->type().basetype != OIIO::TypeDesc::UINT8) return {};
    const auto* bytes = static_cast<const std::uint8_t*>(p->data());
    return {bytes, bytes + p->type().numelements() * p->nvalues()};
}

// Whether a text attribute travels from one file to another.
bool portable_attribute(const std::string& name) {
    if (name.find(':') == std::string::npos)
        return name != "ResolutionUnit" && name != "Orientation" && name != "Compression" &&
               name != "PixelAspectRatio" && name != "planarconfig";
    return name.rfind("IPTC:", 0) == 0 || name.rfind("XMP:", 0) == 0 || name.rfind("Exif:", 0) == 0;
}

}  // namespace

namespace {

struct Opened {
    std::unique_ptr<OIIO::ImageInput> input;
    ImageInfo info;
};

Result<Opened> open_checked(const fs::path& path, const ImageLimits& limits) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status))
        return fail(Errc::not_found, "image " + quoted(path) + " does not exist; check the path");
    if (fs::is_directory(status)) return fail(Errc::invalid_argument, quoted(path) + " is a folder, not an image file");
    if (!fs::is_regular_file(status)) return fail(Errc::unsupported, quoted(path) + " is not a regular file");
    if (::access(path.c_str(), R_OK) != 0)
        return fail(Errc::permission_denied, "cannot read " + quoted(path) + ": permission denied");
    const auto bytes = fs::file_size(path, ec);
    if (ec) return fail(Errc::io_error, "cannot read the size of " + quoted(path) + ": " + ec.message());
    if (bytes == 0) return fail(Errc::corrupt_data, quoted(path) + " is empty (0 bytes); it is not an image");
    if (bytes > limits.max_file_bytes)
        return fail(Errc::limit_exceeded, quoted(path) + " is " + std::to_string(bytes) + " bytes, over the limit of " +
                                              std::to_string(limits.max_file_bytes) + " (image.max_file_bytes)");

    // The reader named by the extension; if the extension is unknown, let
    // OIIO recognise the content.
    // Atelier keeps straight (unassociated) alpha, as designers' files do;
    // OIIO would premultiply on read otherwise.
    OIIO::ImageSpec config;
    config.attribute("oiio:UnassociatedAlpha", 1);
    OIIO::ImageSpec spec;
    auto input = OIIO::ImageInput::create(path.string(), /*do_open=*/false);
    OIIO::geterror();
    if (!input) {
        input = OIIO::ImageInput::open(path.string(), &config);
        OIIO::geterror();
        if (!input && readable_extension(path))
            return fail(Errc::corrupt_data, quoted(path) + " is not a valid " + lower_ext(path).substr(1) +
                                                " image: its content does not match its extension; the file may "
                                                "be damaged or misnamed");
        if (!input)
            return fail(Errc::unsupported, "no reader for " + quoted(path) +
                                               ": the format is not supported (PNG, JPEG, TIFF, WebP, EXR, BMP, GIF, "
                                               "TGA and others are)");
        spec = input->spec();
    } else if (!input->open(path.string(), spec, config)) {
        std::string why = first_line(input->geterror());
        OIIO::geterror();
        return fail(Errc::corrupt_data, quoted(path) + " is not a readable " + std::string(input->format_name()) +
                                            " image (" + why + "); the file may be damaged or misnamed");
    }

    Opened o;
    ImageInfo& info = o.info;
    info.path = path;
    info.format = input->format_name();
    info.width = spec.width;
    info.height = spec.height;
    info.channels = spec.nchannels;
    info.has_alpha = spec.alpha_channel >= 0;
    info.bits_per_sample = spec.get_int_attribute("oiio:BitsPerSample", static_cast<int>(spec.format.size() * 8));
    info.type = type_for(spec, info.bits_per_sample);
    info.dpi_x = dpi_from(spec, "XResolution");
    info.dpi_y = dpi_from(spec, "YResolution");
    info.color_space = spec.get_string_attribute("oiio:ColorSpace", "");
    info.icc_profile_name = icc_profile_description(icc_from(spec));
    info.file_bytes = bytes;
    for (const auto& p : spec.extra_attribs)
        if (p.type() == OIIO::TypeDesc::STRING) info.attributes[p.name().string()] = p.get_string();

    if (spec.width <= 0 || spec.height <= 0)
        return fail(Errc::corrupt_data, quoted(path) + " declares an empty size (" + std::to_string(spec.width) + "x" +
                                            std::to_string(spec.height) + ")");
    const std::uint64_t px = std::uint64_t(spec.width) * std::uint64_t(spec.height);
    if (px > limits.max_pixels || spec.width > Image::kMaxDimension || spec.height > Image::kMaxDimension)
        return fail(Errc::limit_exceeded, quoted(path) + " is " + std::to_string(spec.width) + "x" +
                                              std::to_string(spec.height) + " (" + std::to_string(px / 1'000'000) +
                                              " MP), over the limit of " +
                                              std::to_string(limits.max_pixels / 1'000'000) +
                                              " MP; raise image.max_pixels if you trust this file");
    if (spec.nchannels < 1 || spec.nchannels > std::min(limits.max_channels, 4))
        return fail(Errc::limit_exceeded, quoted(path) + " has " + std::to_string(spec.nchannels) +
                                              " channels; Atelier reads images with 1 to " +
                                              std::to_string(std::min(limits.max_channels, 4)) + " channels");
    if (spec.deep) return fail(Errc::unsupported, quoted(path) + " is a deep image, which Atelier does not read");
    // Count frames/pages cheaply (bounded).
    int n = 1;
    while (n < 256 && input->seek_subimage(n, 0))
        ++n;
    info.subimages = n;
    if (n > 1 && !input->seek_subimage(0, 0)) {
        return fail(Errc::corrupt_data, "cannot rewind to the first frame of " + quoted(path));
    }
    o.input = std::move(input);
    return o;
}

}  // namespace

Result<ImageInfo> probe(const fs::path& path, const ImageLimits& limits) {
    auto o = open_checked(path, limits);
    if (!o) return std::move(o).error();
    o->input->close();
    return std::move(o->info);
}

Result<Image> load(const fs::path& path, const ImageLimits& limits) {
    auto o = open_checked(path, limits);
    if (!o) return std::move(o).error();
    const ImageInfo& info = o->info;
    auto img = Image::create(info.width, info.height, info.channels, info.type,
                             info.has_alpha && (info.channels == 2 || info.channels == 4));
    if (!img) return img.error().with_context("loading " + quoted(path));
    const OIIO::ImageSpec& spec = o->input->spec();
    if (!o->input->read_image(0, 0, 0, info.channels, oiio_type(info.type), img->data())) {
        std::string why = first_line(o->input->geterror());
        OIIO::geterror();
        return fail(Errc::corrupt_data,
                    quoted(path) + " could not be decoded (" + why + "); the file is truncated or damaged");
    }
    // Readers may record warnings (unknown TIFF tags, ...) on success.
    if (o->input->has_error()) spdlog::debug("reading '{}': {}", path.string(), first_line(o->input->geterror()));
    auto& m = img->metadata();
    m.dpi_x = info.dpi_x;
    m.dpi_y = info.dpi_y;
    m.icc_profile = icc_from(spec);
    m.icc_profile_name = info.icc_profile_name;
    m.source_format = info.format;
    m.source_bits = info.bits_per_sample;
    if (!info.color_space.empty()) m.color_space = info.color_space;
    m.attributes = info.attributes;
    o->input->close();
    return img;
}

bool readable_extension(const fs::path& path) {
    const auto ext = lower_ext(path);
    if (ext.size() < 2) return false;
    // "png:png;jpeg:jpg,jpe,jpeg;..." as OIIO lists its readers.
    static const std::string list = OIIO::get_string_attribute("extension_list");
    const std::string e = ext.substr(1);
    std::size_t pos = 0;
    while (pos < list.size()) {
        auto colon = list.find(':', pos);
        auto semi = list.find(';', pos);
        if (colon == std::string::npos) break;
        if (semi == std::string::npos) semi = list.size();
        std::string_view exts(list.data() + colon + 1, semi - colon - 1);
        std::size_t p = 0;
        while (p <= exts.size()) {
            auto comma = exts.find(',', p);
            if (comma == std::string_view::npos) comma = exts.size();
            if (exts.substr(p, comma - p) == e) return true;
            p = comma + 1;
        }
        pos = semi + 1;
    }
    return false;
}

Result<void> save(const Image& image, const fs::path& path, const SaveOptions& options) {
    if (image.empty()) return fail(Errc::invalid_argument, "cannot save an empty image to " + quoted(path));
    const auto ext = lower_ext(path);
    const auto& exts = writable_extensions();
    if (std::find(exts.begin(), exts.end(), ext) == exts.end())
        return fail(Errc::unsupported, "cannot write " + quoted(path) + ": unknown extension '" + ext +
                                           "'; use .png, .jpg, .tif, .webp, .exr, .bmp or .tga");
    const bool eight_bit_only = ext == ".jpg" || ext == ".jpeg" || ext == ".webp" || ext == ".bmp" || ext == ".tga";
    const bool no_alpha = ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";

    PixelType out_type = options.type.value_or(image.type());
    if (eight_bit_only)
        out_type = PixelType::u8;
    else if (ext == ".png" && out_type == PixelType::f32)
        out_type = PixelType::u16;

    const Image* src = &image;
    Image flattened;
    if (no_alpha && image.has_alpha()) {
        auto r = image.with_channels(image.channels() - 1);
        if (!r) return r.error();
        flattened = std::move(r).value();
        src = &flattened;
    }
    Image converted;
    if (src->type() != out_type) {
        auto r = src->converted(out_type);
        if (!r) return r.error();
        converted = std::move(r).value();
        src = &converted;
    }

    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        return fail(Errc::not_found, "cannot write " + quoted(path) + ": folder " + quoted(dir) + " does not exist");
    std::mt19937_64 rng{std::random_device{}()};
    const fs::path tmp = dir / ("." + path.stem().string() + ".tmp" + std::to_string(rng() % 1000000000) + ext);

    auto out = OIIO::ImageOutput::create(tmp.string());
    if (!out) {
        OIIO::geterror();
        return fail(Errc::unsupported, "this build cannot write " + ext + " files (" + quoted(path) + ")");
    }
    OIIO::ImageSpec spec(src->width(), src->height(), src->channels(), oiio_type(out_type));
    spec.alpha_channel = src->has_alpha() ? src->channels() - 1 : -1;
    if (src->has_alpha()) spec.attribute("oiio:UnassociatedAlpha", 1);  // our pixels are straight alpha
    const auto& m = src->metadata();
    if (m.dpi_x && m.dpi_y) {
        spec.attribute("XResolution", static_cast<float>(*m.dpi_x));
        spec.attribute("YResolution", static_cast<float>(*m.dpi_y));
        spec.attribute("ResolutionUnit", "in");
    }
    if (!m.icc_profile.empty())
        spec.attribute("ICCProfile", OIIO::TypeDesc(OIIO::TypeDesc::UINT8, static_cast<int>(m.icc_profile.size())),
                       m.icc_profile.data());
    for (const auto& [k, v] : m.attributes)
        if (portable_attribute(k)) spec.attribute(k, v);
    const int q = std::clamp(options.quality, 1, 100);
    if (ext == ".jpg" || ext == ".jpeg")
        spec.attribute("Compression", "jpeg:" + std::to_string(q));
    else if (ext == ".webp")
        spec.attribute("Compression", "webp:" + std::to_string(q));
    else if (ext == ".png" && options.compression >= 0)
        spec.attribute("png:compressionLevel", std::clamp(options.compression, 0, 9));
    else if (ext == ".tif" || ext == ".tiff" || ext == ".exr")
        spec.attribute("Compression", "zip");

    auto cleanup = [&] { fs::remove(tmp, ec); };
    if (!out->open(tmp.string(), spec)) {
        std::string why = first_line(out->geterror());
        cleanup();
        return fail(Errc::io_error, "cannot write " + quoted(path) + ": " + why);
    }
    const bool wrote = out->write_image(oiio_type(out_type), src->data());
    const bool closed = out->close();
    if (!wrote || !closed) {
        std::string why = first_line(out->geterror());
        cleanup();
        return fail(Errc::io_error, "writing " + quoted(path) + " failed (" + why + "); is the disk full?");
    }
    fs::rename(tmp, path, ec);
    if (ec) {
        cleanup();
        return fail(Errc::io_error,
                    "cannot move the finished file into place at " + quoted(path) + ": " + ec.message());
    }
    return ok();
}

}  // namespace atelier::imageio::oiio

// The module's one exported symbol (everything else is hidden).
extern "C" __attribute__((visibility("default"))) const atelier::imageio::detail::BackendV1*
atelier_imageio_backend_v1() {
    namespace io = atelier::imageio;
    static const io::detail::BackendV1 backend{
        io::detail::kBackendAbi, OIIO_VERSION_STRING, &io::oiio::probe,
        &io::oiio::load,         &io::oiio::save,     &io::oiio::readable_extension,
    };
    return &backend;
}
