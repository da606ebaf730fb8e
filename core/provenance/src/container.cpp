// SPDX-License-Identifier: MIT
#include "atelier/provenance/container.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <string_view>

#include <zlib.h>

#include "atelier/provenance/jumbf.h"

namespace atelier::provenance {

namespace {

constexpr std::uint8_t kPngSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr std::size_t kMaxSegmentPayload = 65535 - 2;  // Lp counts itself

std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}
std::uint16_t be16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
void put32(Bytes& o, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8)
        o.push_back(static_cast<std::uint8_t>(v >> s));
}
void put16(Bytes& o, std::uint16_t v) {
    o.push_back(static_cast<std::uint8_t>(v >> 8));
    o.push_back(static_cast<std::uint8_t>(v));
}

/// Remote manifest reference: XMP `dcterms:provenance` (attribute or element).
std::optional<std::string> find_remote_url(ByteView file) {
    const std::string_view s(reinterpret_cast<const char*>(file.data()), file.size());
    const std::string_view key = "dcterms:provenance";
    const auto p = s.find(key);
    if (p == std::string_view::npos) return std::nullopt;
    std::size_t q = p + key.size();
    while (q < s.size() && (s[q] == ' ' || s[q] == '=' || s[q] == '>' || s[q] == '"' || s[q] == '\''))
        ++q;
    std::size_t e = q;
    // A URL: printable ASCII only (the rest of the XMP packet is not ours to trust).
    while (e < s.size() && s[e] > 0x20 && s[e] < 0x7f && s[e] != '"' && s[e] != '\'' && s[e] != '<' && e - q < 2048)
        ++e;
    if (e == q) return std::nullopt;
    return std::string(s.substr(q, e - q));
}

struct PngChunk {
    std::size_t offset;  // of the length field
    std::size_t total;   // length + type + data + crc
    std::uint32_t type;
    ByteView data;
};

Result<std::vector<PngChunk>> png_chunks(ByteView f) {
    if (f.size() < 8 || std::memcmp(f.data(), kPngSig, 8) != 0)
        return fail(Errc::corrupt_data, "not a PNG file (bad signature)");
    std::vector<PngChunk> out;
    std::size_t pos = 8;
    while (pos < f.size()) {
        if (f.size() - pos < 12) return fail(Errc::corrupt_data, "PNG: truncated chunk at byte " + std::to_string(pos));
        const std::uint32_t len = be32(f.data() + pos);
        const std::uint32_t type = be32(f.data() + pos + 4);
        if (len > 0x7fffffffu || len > f.size() - pos - 12)
            return fail(Errc::corrupt_data, "PNG: chunk '" + fourcc_name(type) + "' at byte " + std::to_string(pos) +
                                                " runs past the end of the file (truncated)");
        out.push_back(PngChunk{pos, std::size_t(len) + 12, type, f.subspan(pos + 8, len)});
        pos += std::size_t(len) + 12;
        if (type == fourcc("IEND")) break;
    }
    if (out.empty() || out.front().type != fourcc("IHDR")) return fail(Errc::corrupt_data, "PNG: IHDR is not first");
    return out;
}

struct JpegSegment {
    std::size_t offset;  // of the 0xFF marker
    std::size_t total;   // marker + length + payload
    std::uint8_t marker;
    ByteView payload;
};

/// Segments up to (not including) SOS.
Result<std::vector<JpegSegment>> jpeg_segments(ByteView f, std::size_t* sos_offset) {
    if (f.size() < 4 || f[0] != 0xFF || f[1] != 0xD8) return fail(Errc::corrupt_data, "not a JPEG file (no SOI)");
    std::vector<JpegSegment> out;
    std::size_t pos = 2;
    for (;;) {
        if (f.size() - pos < 2) return fail(Errc::corrupt_data, "JPEG: truncated before the image data");
        if (f[pos] != 0xFF) return fail(Errc::corrupt_data, "JPEG: expected a marker at byte " + std::to_string(pos));
        std::uint8_t m = f[pos + 1];
        if (m == 0xFF) {  // fill byte
            ++pos;
            continue;
        }
        if (m == 0xDA || m == 0xD9) {
            if (sos_offset) *sos_offset = pos;
            return out;
        }
        if ((m >= 0xD0 && m <= 0xD7) || m == 0x01) {  // markers without length
            pos += 2;
            continue;
        }
        if (f.size() - pos < 4) return fail(Errc::corrupt_data, "JPEG: truncated segment header");
        const std::uint16_t len = be16(f.data() + pos + 2);
        if (len < 2 || len > f.size() - pos - 2)
            return fail(Errc::corrupt_data,
                        "JPEG: segment at byte " + std::to_string(pos) + " runs past the end of the file (truncated)");
        out.push_back(JpegSegment{pos, std::size_t(len) + 2, m, f.subspan(pos + 4, len - 2)});
        pos += std::size_t(len) + 2;
    }
}

bool is_c2pa_app11(const JpegSegment& s) {
    return s.marker == 0xEB && s.payload.size() >= 16 && s.payload[0] == 'J' && s.payload[1] == 'P' &&
           be32(s.payload.data() + 12) == fourcc("jumb");
}

uint32_t crc32_of(std::uint32_t type, ByteView data) {
    std::uint8_t t[4] = {std::uint8_t(type >> 24), std::uint8_t(type >> 16), std::uint8_t(type >> 8),
                         std::uint8_t(type)};
    uLong c = crc32(0L, t, 4);
    // zlib takes uInt lengths; feed large data in pieces.
    std::size_t off = 0;
    while (off < data.size()) {
        const std::size_t n = std::min<std::size_t>(data.size() - off, 1u << 30);
        c = crc32(c, data.data() + off, static_cast<uInt>(n));
        off += n;
    }
    return static_cast<std::uint32_t>(c);
}

/// The JUMBF description label of a superbox given its first bytes (after the 8-byte header).
bool jumd_is_c2pa(ByteView superbox_payload) {
    // jumd header (8) + uuid (16) + toggles (1) + "c2pa\0"
    if (superbox_payload.size() < 8 + 17 + 5) return false;
    if (be32(superbox_payload.data() + 4) != fourcc("jumd")) return false;
    return std::memcmp(superbox_payload.data() + 8 + 17, "c2pa", 5) == 0;
}

}  // namespace

Result<AssetFormat> detect_format(ByteView f) {
    if (f.size() >= 8 && std::memcmp(f.data(), kPngSig, 8) == 0) return AssetFormat::png;
    if (f.size() >= 3 && f[0] == 0xFF && f[1] == 0xD8 && f[2] == 0xFF) return AssetFormat::jpeg;
    return fail(Errc::unsupported, "only PNG and JPEG assets carry Content Credentials in this version");
}

std::string mime_type(AssetFormat format) {
    return format == AssetFormat::png ? "image/png" : "image/jpeg";
}

Result<EmbeddedManifest> find_manifest(ByteView f, AssetFormat format) {
    EmbeddedManifest out;
    if (format == AssetFormat::png) {
        auto chunks = png_chunks(f);
        if (!chunks) return chunks.error();
        for (const auto& c : *chunks) {
            if (c.type != fourcc("caBX")) continue;
            if (out.store) return fail(Errc::corrupt_data, "PNG: more than one caBX chunk (manifest store)");
            out.store = Bytes(c.data.begin(), c.data.end());
            out.offset = c.offset;
            out.length = c.total;
        }
    } else {
        auto segs = jpeg_segments(f, nullptr);
        if (!segs) return segs.error();
        // Group by box instance number En; take the one holding the c2pa store.
        struct Packet {
            std::uint32_t seq;
            ByteView data;
        };
        std::map<std::uint16_t, std::vector<Packet>> groups;
        std::map<std::uint16_t, std::pair<std::size_t, std::size_t>> extent;
        for (const auto& s : *segs) {
            if (!is_c2pa_app11(s)) continue;
            const std::uint16_t en = be16(s.payload.data() + 2);
            const std::uint32_t z = be32(s.payload.data() + 4);
            auto& g = groups[en];
            // First packet keeps the box header; later ones repeat it (8 or 16 bytes) and we skip it.
            if (g.empty()) {
                g.push_back({z, s.payload.subspan(8)});
            } else {
                const std::size_t hdr = be32(s.payload.data() + 8) == 1 ? 16 : 8;
                if (s.payload.size() < 8 + hdr) return fail(Errc::corrupt_data, "JPEG: truncated APP11 segment");
                g.push_back({z, s.payload.subspan(8 + hdr)});
            }
            auto [it, fresh] = extent.try_emplace(en, s.offset, s.offset + s.total);
            if (!fresh) it->second.second = s.offset + s.total;
        }
        for (auto& [en, packets] : groups) {
            for (std::size_t i = 1; i < packets.size(); ++i)
                if (packets[i].seq <= packets[i - 1].seq)
                    return fail(Errc::corrupt_data, "JPEG: APP11 packets out of order or repeated (sequence " +
                                                        std::to_string(packets[i].seq) + ")");
            if (packets.front().data.size() < 8 || !jumd_is_c2pa(packets.front().data.subspan(8))) continue;
            if (out.store) return fail(Errc::corrupt_data, "JPEG: more than one C2PA manifest store");
            Bytes store;
            for (const auto& p : packets)
                store.insert(store.end(), p.data.begin(), p.data.end());
            out.store = std::move(store);
            out.offset = extent[en].first;
            out.length = extent[en].second - extent[en].first;
        }
    }
    if (!out.store) out.remote_url = find_remote_url(f);
    return out;
}

Result<Bytes> strip_manifest(ByteView f, AssetFormat format) {
    Bytes out;
    out.reserve(f.size());
    if (format == AssetFormat::png) {
        auto chunks = png_chunks(f);
        if (!chunks) return chunks.error();
        out.insert(out.end(), f.begin(), f.begin() + 8);
        std::size_t end = 8;
        for (const auto& c : *chunks) {
            end = c.offset + c.total;
            if (c.type == fourcc("caBX")) continue;
            out.insert(out.end(), f.begin() + c.offset, f.begin() + c.offset + c.total);
        }
        out.insert(out.end(), f.begin() + end, f.end());
        return out;
    }
    std::size_t sos = 0;
    auto segs = jpeg_segments(f, &sos);
    if (!segs) return segs.error();
    std::vector<std::uint16_t> c2pa_groups;
    for (const auto& s : *segs)
        if (is_c2pa_app11(s) && s.payload.size() >= 16 && jumd_is_c2pa(s.payload.subspan(16)))
            c2pa_groups.push_back(be16(s.payload.data() + 2));
    out.insert(out.end(), f.begin(), f.begin() + 2);
    std::size_t pos = 2;
    for (const auto& s : *segs) {
        out.insert(out.end(), f.begin() + pos, f.begin() + s.offset);  // fill bytes / RST markers
        const bool drop = is_c2pa_app11(s) && std::find(c2pa_groups.begin(), c2pa_groups.end(),
                                                        be16(s.payload.data() + 2)) != c2pa_groups.end();
        if (!drop) out.insert(out.end(), f.begin() + s.offset, f.begin() + s.offset + s.total);
        pos = s.offset + s.total;
    }
    out.insert(out.end(), f.begin() + pos, f.end());
    return out;
}

Result<std::size_t> insertion_offset(ByteView f, AssetFormat format) {
    if (format == AssetFormat::png) {
        auto chunks = png_chunks(f);
        if (!chunks) return chunks.error();
        return chunks->front().offset + chunks->front().total;
    }
    auto segs = jpeg_segments(f, nullptr);
    if (!segs) return segs.error();
    std::size_t pos = 2;
    for (const auto& s : *segs) {
        if (s.offset != pos || (s.marker != 0xE0 && s.marker != 0xE1)) break;
        pos = s.offset + s.total;
    }
    return pos;
}

Bytes wrap_store(ByteView store, AssetFormat format) {
    Bytes out;
    if (format == AssetFormat::png) {
        put32(out, static_cast<std::uint32_t>(store.size()));
        put32(out, fourcc("caBX"));
        out.insert(out.end(), store.begin(), store.end());
        put32(out, crc32_of(fourcc("caBX"), store));
        return out;
    }
    // APP11: FFEB Lp 'JP' En(2) Z(4) then LBox+TBox (repeated in every segment) and a slice of the box data.
    const ByteView header = store.subspan(0, 8);
    const ByteView body = store.subspan(8);
    const std::size_t per = kMaxSegmentPayload - 2 - 2 - 4 - 8;
    std::size_t off = 0;
    std::uint32_t z = 1;
    do {
        const std::size_t n = std::min(per, body.size() - off);
        out.push_back(0xFF);
        out.push_back(0xEB);
        put16(out, static_cast<std::uint16_t>(2 + 2 + 2 + 4 + 8 + n));
        out.push_back('J');
        out.push_back('P');
        put16(out, 1);
        put32(out, z++);
        out.insert(out.end(), header.begin(), header.end());
        out.insert(out.end(), body.begin() + off, body.begin() + off + n);
        off += n;
    } while (off < body.size());
    return out;
}

}  // namespace atelier::provenance
