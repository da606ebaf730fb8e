// SPDX-License-Identifier: MIT
#pragma once
/// \file container.h
/// Where a C2PA manifest store lives inside an asset, at the byte level (no
/// pixel is decoded): PNG `caBX` chunk, JPEG APP11 segments carrying JUMBF
/// (`JP` common identifier, box instance number, packet sequence numbers,
/// each segment repeating the superbox header, split at 64 KB).
#include <optional>
#include <string>

#include "atelier/provenance/cbor.h"

namespace atelier::provenance {

enum class AssetFormat { png, jpeg };

/// Sniffs PNG/JPEG from the first bytes; Errc::unsupported otherwise.
Result<AssetFormat> detect_format(ByteView file);
/// "image/png" or "image/jpeg".
std::string mime_type(AssetFormat format);

/// What `find_manifest` found.
struct EmbeddedManifest {
    std::optional<Bytes> store;             ///< the JUMBF manifest store, reassembled
    std::size_t offset = 0;                 ///< where the embedded region starts
    std::size_t length = 0;                 ///< its length (chunk or all APP11 segments)
    std::optional<std::string> remote_url;  ///< XMP dcterms:provenance, if any
};

/// Finds the embedded store (and any remote reference). A damaged container
/// (truncated chunk/segment, out-of-order packets) is an Errc::corrupt_data
/// error; no manifest at all is a success with `store` empty.
Result<EmbeddedManifest> find_manifest(ByteView file, AssetFormat format);

/// The file without its embedded manifest (unchanged when it has none).
Result<Bytes> strip_manifest(ByteView file, AssetFormat format);

/// Where a new manifest goes in a stripped file: after IHDR (PNG), after
/// the leading APP0/APP1 segments (JPEG).
Result<std::size_t> insertion_offset(ByteView stripped, AssetFormat format);

/// The bytes to insert for `store` (a caBX chunk with CRC, or APP11
/// segments of at most 65535 bytes each).
Bytes wrap_store(ByteView store, AssetFormat format);

}  // namespace atelier::provenance
