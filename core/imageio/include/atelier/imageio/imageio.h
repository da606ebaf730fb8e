// SPDX-License-Identifier: MIT
#pragma once

/// \file imageio.h
/// Reading and writing image files through OpenImageIO. Every read checks the
/// file's header against `ImageLimits` before a single pixel is decoded, so a
/// file that claims 100000×100000 is refused in milliseconds with bounded
/// memory. Writes go to a temporary file in the target folder and are renamed
/// into place, so a failed write never leaves a half-written file.
/// All functions are thread-safe (each call uses its own OIIO objects).
///
/// OpenImageIO lives in a codec module (`libatelier_imageio_oiio.so`) that is
/// loaded by the first probe, load or save — or by `preload()` — so programs
/// that never decode an image don't pay its ~0.5 s of library loading.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "atelier/base/config.h"
#include "atelier/base/result.h"
#include "atelier/image/image.h"

namespace atelier::imageio {

struct ImageLimits {
    std::uint64_t max_pixels = 100'000'000;  ///< width × height
    int max_channels = 4;
    std::uint64_t max_file_bytes = 2ull << 30;  ///< 2 GiB

    /// From `image.max_pixels`, `image.max_channels`, `image.max_file_bytes`.
    static Result<ImageLimits> from_config(const Config& config);
};

/// What a file's header says, without decoding pixels.
struct ImageInfo {
    std::filesystem::path path;
    std::string format;  ///< OIIO format name: "png", "jpeg", "tiff", "openexr", "webp", ...
    int width = 0;
    int height = 0;
    int channels = 0;
    bool has_alpha = false;
    PixelType type = PixelType::u8;  ///< the type `load` will return
    int bits_per_sample = 8;         ///< as stored in the file
    std::optional<double> dpi_x;
    std::optional<double> dpi_y;
    std::string color_space;  ///< "sRGB", "linear", ... as OIIO reports it
    std::string icc_profile_name;
    std::uint64_t file_bytes = 0;
    int subimages = 1;                              ///< frames/pages; `load` reads the first
    std::map<std::string, std::string> attributes;  ///< text metadata
};

/// Reads the header and checks limits. Errors (each naming the file):
/// not_found, io_error (unreadable), corrupt_data (empty, truncated, not an
/// image of its claimed type), unsupported (no reader), limit_exceeded.
Result<ImageInfo> probe(const std::filesystem::path& path, const ImageLimits& limits = {});

/// Probes, then decodes the first subimage. 8-bit files load as u8, 9–16-bit
/// integer files as u16, everything else (half, float, 32-bit int) as f32.
Result<Image> load(const std::filesystem::path& path, const ImageLimits& limits = {});

struct SaveOptions {
    int quality = 92;      ///< JPEG / WebP quality 1..100
    int compression = -1;  ///< PNG zlib level 0..9, -1 = library default
    /// Sample type to store; default: the image's own where the format can
    /// hold it (JPEG and WebP store 8-bit).
    std::optional<PixelType> type;
};

/// Writes `image` to `path`; the format comes from the extension (.png, .jpg,
/// .jpeg, .tif, .tiff, .webp, .exr, .bmp, .tga). DPI, ICC profile and text
/// attributes are written where the format keeps them. Alpha is dropped for
/// formats without it (JPEG). Atomic: temp file + rename.
Result<void> save(const Image& image, const std::filesystem::path& path, const SaveOptions& options = {});

/// Lower-case file extensions (with dot) that `save` accepts.
const std::vector<std::string>& writable_extensions();
/// Whether OIIO has a reader for this extension.
bool readable_extension(const std::filesystem::path& path);

/// Loads the codec module now rather than on the first probe/load/save, e.g.
/// from a background thread once a window is up. Returns what was loaded
/// ("OpenImageIO 2.4.7 (/usr/lib/atelier/libatelier_imageio_oiio.so)").
/// Errors: not_found (the module is missing; the message lists where it
/// looked and says to reinstall or set ATELIER_IMAGEIO_MODULE), unsupported
/// (it cannot be loaded, or belongs to another build). Every later call
/// returns the same error. Thread-safe; loads at most once.
Result<std::string> preload();

/// The ICC profile's description ("sRGB IEC61966-2.1"), from its `desc` tag
/// (v2 textDescriptionType or v4 multiLocalizedUnicodeType); empty if none.
std::string icc_profile_description(const std::vector<std::uint8_t>& icc);

}  // namespace atelier::imageio
