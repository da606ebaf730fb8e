// SPDX-License-Identifier: MIT
#pragma once
/// \file container.h
/// Where a C2PA manifest store lives inside an asset, at the byte level (no
/// pixel is decoded):
/// - PNG: a `caBX` chunk after IHDR;
/// - JPEG: APP11 segments carrying JUMBF (`JP` common identifier, box instance
///   number, packet sequence numbers, each segment repeating the superbox
///   header, split at 64 KB);
/// - TIFF (classic, II or MM): tag 0xCD41 (type UNDEFINED) in IFD0, its value
///   the store. The writer appends a new IFD0 (old entries plus the C2PA one,
///   in tag order) and the store at the end of the file and points the header
///   at it; the hard binding excludes the store and the entry's count field,
///   as the reference implementation does. The reader looks in the last IFD
///   first, then IFD0 (c2pa-rs writes a trailing IFD of its own); stripping
///   unlinks or rewrites that IFD;
/// - WebP: a `C2PA` RIFF chunk, last in the file; a simple (VP8/VP8L) file is
///   first turned into the extended form (a VP8X chunk with the canvas size
///   and alpha flag from the bitstream header), which other chunks require.
///   The hard binding excludes the whole chunk (header included).
/// Every function is reentrant; inputs are untrusted (every length and
/// offset is checked, errors are Errc::corrupt_data naming the problem).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/base/hash.h"
#include "atelier/provenance/cbor.h"

namespace atelier::provenance {

enum class AssetFormat { png, jpeg, tiff, webp };

/// Sniffs PNG/JPEG/TIFF/WebP from the first bytes; Errc::unsupported otherwise
/// (BigTIFF included).
Result<AssetFormat> detect_format(ByteView file);
/// "image/png", "image/jpeg", "image/tiff" or "image/webp".
std::string mime_type(AssetFormat format);
/// A MIME type from a file name's extension (for ingredients in formats that
/// carry no credentials); "application/octet-stream" when unknown.
std::string mime_type_for_name(std::string_view file_name);

/// A byte range [start, start + length).
struct ByteRange {
    std::uint64_t start = 0;
    std::uint64_t length = 0;
    bool operator==(const ByteRange&) const = default;
};

/// What `find_manifest` found.
struct EmbeddedManifest {
    std::optional<Bytes> store;             ///< the JUMBF manifest store, reassembled
    std::size_t offset = 0;                 ///< where the embedded region starts
    std::size_t length = 0;                 ///< its length (chunk, all APP11 segments, TIFF value)
    std::optional<std::string> remote_url;  ///< XMP dcterms:provenance, if any
    /// Other bytes a writer may leave out of the hard binding (TIFF: the
    /// C2PA entry's count field, which depends on the store size).
    std::vector<ByteRange> allowed_exclusions;
};

/// Finds the embedded store (and any remote reference). A damaged container
/// (truncated chunk/segment, out-of-order packets, an offset past the end)
/// is an Errc::corrupt_data error; no manifest at all is a success with
/// `store` empty.
Result<EmbeddedManifest> find_manifest(ByteView file, AssetFormat format);

/// The file without its embedded manifest (unchanged when it has none). For
/// TIFF the result is a valid TIFF whose IFD0 has no C2PA entry; for WebP
/// the RIFF size is corrected.
Result<Bytes> strip_manifest(ByteView file, AssetFormat format);

/// How a new store goes into a file that has none (see `strip_manifest`):
/// the hard-binding exclusions and data hash for a store of a given size,
/// and the final file. Holds a view of `stripped`, which must outlive it.
/// Not thread-safe (it caches the last data hash).
class Embedding {
public:
    static Result<Embedding> plan(ByteView stripped, AssetFormat format);
    /// Bytes the embedded form of a `store_size`-byte store takes.
    std::size_t wrapped_size(std::size_t store_size) const;
    /// The `c2pa.hash.data` exclusions for a store of that size, ascending.
    std::vector<ByteRange> exclusions(std::size_t store_size) const;
    /// SHA-256 of the final file minus the exclusions (the store's bytes do
    /// not matter, only its size).
    Sha256Digest data_hash(std::size_t store_size) const;
    /// The final file with `store` embedded.
    Bytes assemble(ByteView store) const;

private:
    Embedding() = default;
    void write_prefix(std::size_t store_size, Bytes& out) const;
    AssetFormat m_format = AssetFormat::png;
    ByteView m_file;               ///< the stripped file
    std::size_t m_offset = 0;      ///< PNG/JPEG: insertion point; TIFF/WebP: bytes of m_file kept
    Bytes m_extra;                 ///< TIFF: IFD0 entries (12 bytes each, C2PA slot included); WebP: VP8X chunk
    std::size_t m_c2pa_index = 0;  ///< TIFF: index of the C2PA entry; JPEG: the APP11 box instance number
    std::uint32_t m_next_ifd = 0;  ///< TIFF: IFD0's next-IFD offset
    bool m_big_endian = false;     ///< TIFF byte order
    mutable std::optional<std::pair<std::size_t, Sha256Digest>> m_hash_cache;
};

}  // namespace atelier::provenance
