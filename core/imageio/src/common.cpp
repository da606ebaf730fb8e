// SPDX-License-Identifier: MIT
// The parts of image I/O that need no codec: limits from the configuration,
// ICC profile names, the list of writable formats. Compiled into both the
// facade (atelier::imageio) and the OpenImageIO module.
#include <cstdint>

#include "atelier/imageio/imageio.h"

namespace atelier::imageio {

namespace {

std::uint32_t be32(const std::vector<std::uint8_t>& b, std::size_t o) {
    return (std::uint32_t{b[o]} << 24) | (std::uint32_t{b[o + 1]} << 16) | (std::uint32_t{b[o + 2]} << 8) | b[o + 3];
}

}  // namespace

Result<ImageLimits> ImageLimits::from_config(const Config& config) {
    ImageLimits l;
    auto px = config.get_int("image.max_pixels");
    auto ch = config.get_int("image.max_channels");
    auto fb = config.get_int("image.max_file_bytes");
    if (!px) return px.error();
    if (!ch) return ch.error();
    if (!fb) return fb.error();
    if (*px <= 0 || *ch <= 0 || *fb <= 0)
        return fail(Errc::invalid_argument,
                    "image limits must be positive (image.max_pixels, image.max_channels, "
                    "image.max_file_bytes)");
    l.max_pixels = static_cast<std::uint64_t>(*px);
    l.max_channels = static_cast<int>(*ch);
    l.max_file_bytes = static_cast<std::uint64_t>(*fb);
    return l;
}

std::string icc_profile_description(const std::vector<std::uint8_t>& icc) {
    if (icc.size() < 132) return {};
    const std::uint32_t count = be32(icc, 128);
    if (count > 1000 || 132 + std::size_t{count} * 12 > icc.size()) return {};
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::size_t t = 132 + std::size_t{i} * 12;
        if (be32(icc, t) != 0x64657363)  // 'desc'
            continue;
        const std::size_t off = be32(icc, t + 4);
        const std::size_t len = be32(icc, t + 8);
        if (off > icc.size() || len > icc.size() - off || len < 12) return {};
        const std::uint32_t type = be32(icc, off);
        if (type == 0x64657363) {  // textDescriptionType: ASCII count + string
            const std::size_t n = be32(icc, off + 8);
            if (n == 0 || n > len - 12) return {};
            std::string s(reinterpret_cast<const char*>(&icc[off + 12]), n);
            while (!s.empty() && s.back() == '\0')
                s.pop_back();
            return s;
        }
        if (type == 0x6d6c7563 && len >= 28) {  // 'mluc': first record, UTF-16BE
            const std::size_t rec_len = be32(icc, off + 20);
            const std::size_t rec_off = be32(icc, off + 24);
            if (rec_off > len || rec_len > len - rec_off) return {};
            std::string s;
            for (std::size_t k = 0; k + 1 < rec_len; k += 2) {
                const unsigned cp = (unsigned{icc[off + rec_off + k]} << 8) | icc[off + rec_off + k + 1];
                s.push_back(cp < 128 ? static_cast<char>(cp) : '?');
            }
            while (!s.empty() && s.back() == '\0')
                s.pop_back();
            return s;
        }
        return {};
    }
    return {};
}

const std::vector<std::string>& writable_extensions() {
    static const std::vector<std::string> exts = {".png",  ".jpg", ".jpeg", ".tif", ".tiff",
                                                  ".webp", ".exr", ".bmp",  ".tga"};
    return exts;
}

}  // namespace atelier::imageio
