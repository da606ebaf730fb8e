// SPDX-License-Identifier: MIT
#pragma once

/// \file backend_p.h
/// The contract between the image I/O facade (linked into every program) and
/// the codec module `libatelier_imageio_oiio.so` that it loads on first use.
/// OpenImageIO and its ~200 shared libraries cost about half a second to load,
/// so programs that may never decode an image (the studio's first frame,
/// `atelier search`) don't pay for it up front.
///
/// Both sides are built from the same tree by the same compiler; `abi` names
/// that build, and the facade refuses a module from another one.

#include "atelier/imageio/imageio.h"

namespace atelier::imageio::detail {

/// Changes whenever this struct, ImageInfo, ImageLimits, SaveOptions, Image or
/// Result change shape: the project version plus the compiler's.
inline constexpr const char* kBackendAbi = "atelier-imageio-1/" ATELIER_IMAGEIO_BUILD_ID "/" __VERSION__;

struct BackendV1 {
    const char* abi;
    const char* codec_version;  ///< "2.4.7" (OpenImageIO)
    Result<ImageInfo> (*probe)(const std::filesystem::path&, const ImageLimits&);
    Result<Image> (*load)(const std::filesystem::path&, const ImageLimits&);
    Result<void> (*save)(const Image&, const std::filesystem::path&, const SaveOptions&);
    bool (*readable_extension)(const std::filesystem::path&);
};

}  // namespace atelier::imageio::detail

extern "C" const atelier::imageio::detail::BackendV1* atelier_imageio_backend_v1();
