// SPDX-License-Identifier: MIT
#pragma once
/// \file jumbf.h
/// JUMBF (ISO/IEC 19566-5) boxes as C2PA uses them: a superbox `jumb` whose
/// first child is a description box `jumd` (type UUID, toggles, label),
/// followed by content boxes (`cbor`, `json`, `bfdb`/`bidb`, ...) or nested
/// superboxes.
///
/// Parsing works on a caller-owned buffer: the views in the result point into
/// it and stay valid while it lives. Every length is checked (LBox < 8,
/// 64-bit XLBox, lengths past the end), nesting and box counts are bounded,
/// and duplicate labels among siblings are refused, each with an
/// Errc::corrupt_data error naming the problem.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/provenance/cbor.h"

namespace atelier::provenance {

using Uuid = std::array<std::uint8_t, 16>;

/// Four-character box type as a big-endian integer.
constexpr std::uint32_t fourcc(const char (&s)[5]) {
    return (std::uint32_t(std::uint8_t(s[0])) << 24) | (std::uint32_t(std::uint8_t(s[1])) << 16) |
           (std::uint32_t(std::uint8_t(s[2])) << 8) | std::uint32_t(std::uint8_t(s[3]));
}
std::string fourcc_name(std::uint32_t type);

/// C2PA JUMBF type UUIDs (ISO suffix 0011-0010-8000-00AA00389B71).
namespace jumbf_uuid {
extern const Uuid manifest_store;   ///< "c2pa"
extern const Uuid manifest;         ///< "c2ma"
extern const Uuid update_manifest;  ///< "c2um"
extern const Uuid assertion_store;  ///< "c2as"
extern const Uuid claim;            ///< "c2cl"
extern const Uuid signature;        ///< "c2cs"
extern const Uuid cbor;             ///< "cbor" content
extern const Uuid json;             ///< "json" content
extern const Uuid embedded_file;    ///< bfdb + bidb
}  // namespace jumbf_uuid

/// One plain box: its type, the whole box and the payload after the header.
struct BoxView {
    std::uint32_t type = 0;
    ByteView whole;
    ByteView payload;
};

struct JumbfLimits {
    std::size_t max_depth = 8;       ///< nested superboxes
    std::size_t max_boxes = 100000;  ///< boxes in total
};

/// Splits `data` into consecutive boxes; an error if a length is invalid.
Result<std::vector<BoxView>> parse_boxes(ByteView data, std::size_t max_boxes = 100000);

/// A parsed JUMBF superbox.
struct JumbfBox {
    Uuid uuid{};
    std::uint8_t toggles = 0;
    std::string label;
    std::optional<std::uint32_t> id;
    ByteView whole;                      ///< the superbox including its header
    ByteView content;                    ///< the superbox without its own header (what C2PA hashes)
    std::vector<BoxView> content_boxes;  ///< boxes after jumd that are not superboxes
    std::vector<JumbfBox> children;      ///< nested superboxes, in order

    /// Child superbox with this label, or nullptr.
    const JumbfBox* child(std::string_view child_label) const;
    /// First content box of this type, or nullptr.
    const BoxView* content_box(std::uint32_t type) const;
};

/// Parses one superbox that must span all of `data`.
Result<JumbfBox> parse_jumbf(ByteView data, const JumbfLimits& limits = {});

// ---- writing

/// A box: 32-bit length (or 64-bit XLBox when needed), type, payload.
Bytes make_box(std::uint32_t type, ByteView payload);
/// A description box with label (toggles 0x03: requestable, label present).
Bytes make_jumd(const Uuid& uuid, std::string_view label, std::uint8_t toggles = 0x03);
/// A superbox: description box then the given already-encoded boxes.
Bytes make_superbox(const Uuid& uuid, std::string_view label, const std::vector<Bytes>& boxes);
/// Convenience: a superbox holding one `cbor` box.
Bytes make_cbor_superbox(std::string_view label, ByteView cbor_bytes, const Uuid& uuid = jumbf_uuid::cbor);

}  // namespace atelier::provenance
