// SPDX-License-Identifier: MIT
#include "atelier/provenance/container.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
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

// ---- TIFF (classic, not BigTIFF)

constexpr std::uint16_t kC2paTag = 0xCD41;
constexpr std::uint16_t kUndefinedType = 7;

struct TiffIfd {
    bool be = false;
    std::uint32_t offset = 0;  // of IFD0
    std::uint16_t count = 0;
    std::uint32_t next = 0;
    ByteView entries;  // 12 * count bytes
    std::size_t end() const { return std::size_t(offset) + 2 + 12 * std::size_t(count) + 4; }
};

std::uint16_t rd16(const std::uint8_t* p, bool be) {
    return be ? static_cast<std::uint16_t>((p[0] << 8) | p[1]) : static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t rd32(const std::uint8_t* p, bool be) {
    return be ? be32(p)
              : (std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) | (std::uint32_t(p[2]) << 16) |
                 (std::uint32_t(p[3]) << 24));
}
void wr16(std::uint8_t* p, std::uint16_t v, bool be) {
    p[be ? 0 : 1] = static_cast<std::uint8_t>(v >> 8);
    p[be ? 1 : 0] = static_cast<std::uint8_t>(v);
}
void wr32(std::uint8_t* p, std::uint32_t v, bool be) {
    for (int i = 0; i < 4; ++i)
        p[be ? 3 - i : i] = static_cast<std::uint8_t>(v >> (8 * i));
}

Result<TiffIfd> tiff_ifd_at(ByteView f, bool be, std::uint32_t offset, std::size_t index) {
    const std::string name = "IFD" + std::to_string(index);
    TiffIfd t;
    t.be = be;
    t.offset = offset;
    if (t.offset < 8 || t.offset > f.size() - 2)
        return fail(Errc::corrupt_data,
                    "TIFF: " + name + " offset " + std::to_string(t.offset) + " is outside the file");
    t.count = rd16(f.data() + t.offset, t.be);
    if (t.count == 0) return fail(Errc::corrupt_data, "TIFF: " + name + " has no entries");
    if (t.end() > f.size())
        return fail(Errc::corrupt_data, "TIFF: " + name + " (" + std::to_string(t.count) +
                                            " entries) runs past the end of the file (truncated)");
    t.entries = f.subspan(t.offset + 2, 12 * std::size_t(t.count));
    t.next = rd32(f.data() + t.offset + 2 + 12 * std::size_t(t.count), t.be);
    return t;
}

Result<TiffIfd> tiff_ifd0(ByteView f) {
    if (f.size() < 8) return fail(Errc::corrupt_data, "TIFF: truncated header");
    TiffIfd t;
    if (f[0] == 'M' && f[1] == 'M')
        t.be = true;
    else if (!(f[0] == 'I' && f[1] == 'I'))
        return fail(Errc::corrupt_data, "not a TIFF file (bad byte order mark)");
    const std::uint16_t magic = rd16(f.data() + 2, t.be);
    if (magic == 43)
        return fail(Errc::unsupported,
                    "BigTIFF files cannot carry Content Credentials in this version; save as "
                    "classic TIFF (under 4 GB)");
    if (magic != 42) return fail(Errc::corrupt_data, "not a TIFF file (bad magic number)");
    return tiff_ifd_at(f, t.be, rd32(f.data() + 4, t.be), 0);
}

/// Every IFD in the main chain, IFD0 first (at most 4096; a loop is an error).
Result<std::vector<TiffIfd>> tiff_chain(ByteView f) {
    auto first = tiff_ifd0(f);
    if (!first) return first.error();
    std::vector<TiffIfd> out{*first};
    std::set<std::uint32_t> seen{first->offset};
    while (out.back().next != 0) {
        if (out.size() >= 4096 || !seen.insert(out.back().next).second)
            return fail(Errc::corrupt_data, "TIFF: the IFD chain loops or is too long");
        auto next = tiff_ifd_at(f, first->be, out.back().next, out.size());
        if (!next) return next.error();
        out.push_back(*next);
    }
    return out;
}

/// Index of the C2PA entry in IFD0 (nullopt if none); two are an error.
Result<std::optional<std::size_t>> tiff_c2pa_entry(const TiffIfd& t) {
    std::optional<std::size_t> found;
    for (std::size_t i = 0; i < t.count; ++i) {
        if (rd16(t.entries.data() + 12 * i, t.be) != kC2paTag) continue;
        if (found) return fail(Errc::corrupt_data, "TIFF: IFD0 has more than one C2PA (0xCD41) entry");
        found = i;
    }
    return found;
}

/// Where the C2PA entry is: the last IFD first, then IFD0 (as c2pa-rs reads;
/// it writes the store into a trailing IFD of its own). {ifd index, entry index}.
using TiffSlot = std::optional<std::pair<std::size_t, std::size_t>>;
Result<TiffSlot> tiff_find_c2pa(const std::vector<TiffIfd>& chain) {
    for (std::size_t i : {chain.size() - 1, std::size_t(0)}) {
        auto k = tiff_c2pa_entry(chain[i]);
        if (!k) return k.error();
        if (*k) return TiffSlot(std::make_pair(i, **k));
    }
    return TiffSlot();
}

// ---- WebP (RIFF)

struct RiffChunk {
    std::size_t offset;  // of the fourcc
    std::uint32_t id;    // big-endian fourcc, as fourcc()
    std::uint32_t size;  // declared data size
    ByteView data;
    std::size_t total;  // header + data + pad (when present)
};

std::uint32_t le32(const std::uint8_t* p) {
    return std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) | (std::uint32_t(p[2]) << 16) | (std::uint32_t(p[3]) << 24);
}
void putle32(Bytes& o, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        o.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

/// The chunks of a WebP file, and where the RIFF payload ends.
Result<std::vector<RiffChunk>> riff_chunks(ByteView f, std::size_t* end = nullptr) {
    if (f.size() < 12 || std::memcmp(f.data(), "RIFF", 4) != 0 || std::memcmp(f.data() + 8, "WEBP", 4) != 0)
        return fail(Errc::corrupt_data, "not a WebP file (no RIFF/WEBP header)");
    const std::uint64_t riff_end = std::uint64_t(le32(f.data() + 4)) + 8;
    if (riff_end > f.size())
        return fail(Errc::corrupt_data, "WebP: the RIFF size says " + std::to_string(riff_end) +
                                            " bytes but the file has " + std::to_string(f.size()) + " (truncated)");
    if (riff_end < 12) return fail(Errc::corrupt_data, "WebP: RIFF size too small");
    std::vector<RiffChunk> out;
    std::size_t pos = 12;
    while (pos < riff_end) {
        if (riff_end - pos < 8)
            return fail(Errc::corrupt_data, "WebP: truncated chunk header at byte " + std::to_string(pos));
        const std::uint32_t size = le32(f.data() + pos + 4);
        if (size > riff_end - pos - 8)
            return fail(Errc::corrupt_data, "WebP: chunk '" + fourcc_name(be32(f.data() + pos)) + "' at byte " +
                                                std::to_string(pos) + " runs past the end of the file (truncated)");
        std::size_t total = 8 + std::size_t(size);
        if ((size & 1) && pos + total < riff_end) ++total;  // pad byte (tolerated when missing at the end)
        out.push_back(RiffChunk{pos, be32(f.data() + pos), size, f.subspan(pos + 8, size), total});
        pos += total;
        if (out.size() > 100000) return fail(Errc::corrupt_data, "WebP: too many chunks");
    }
    if (out.empty()) return fail(Errc::corrupt_data, "WebP: no image chunk");
    if (end) *end = static_cast<std::size_t>(riff_end);
    return out;
}

/// A VP8X chunk for a simple (VP8/VP8L) file: canvas size and alpha flag
/// from the bitstream header.
Result<Bytes> vp8x_for(const RiffChunk& image) {
    std::uint32_t w = 0, h = 0;
    bool alpha = false;
    if (image.id == fourcc("VP8 ")) {
        const ByteView d = image.data;
        if (d.size() < 10 || d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a)
            return fail(Errc::corrupt_data, "WebP: the VP8 frame header is damaged (no start code)");
        w = (d[6] | (d[7] << 8)) & 0x3fff;
        h = (d[8] | (d[9] << 8)) & 0x3fff;
    } else {
        const ByteView d = image.data;
        if (d.size() < 5 || d[0] != 0x2f) return fail(Errc::corrupt_data, "WebP: the VP8L header is damaged");
        const std::uint32_t bits = le32(d.data() + 1);
        w = (bits & 0x3fff) + 1;
        h = ((bits >> 14) & 0x3fff) + 1;
        alpha = (bits >> 28) & 1;
    }
    if (w == 0 || h == 0) return fail(Errc::corrupt_data, "WebP: the image has no size");
    Bytes c;
    c.insert(c.end(), {'V', 'P', '8', 'X'});
    putle32(c, 10);
    c.push_back(alpha ? 0x10 : 0x00);
    c.insert(c.end(), {0, 0, 0});
    for (std::uint32_t v : {w - 1, h - 1})
        for (int i = 0; i < 3; ++i)
            c.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return c;
}

std::size_t jpeg_wrapped_size(std::size_t store_size) {
    const std::size_t per = kMaxSegmentPayload - 2 - 2 - 4 - 8;
    const std::size_t body = store_size > 8 ? store_size - 8 : 0;
    const std::size_t segments = std::max<std::size_t>(1, (body + per - 1) / per);
    return body + segments * 20;
}

}  // namespace

Result<AssetFormat> detect_format(ByteView f) {
    if (f.size() >= 8 && std::memcmp(f.data(), kPngSig, 8) == 0) return AssetFormat::png;
    if (f.size() >= 3 && f[0] == 0xFF && f[1] == 0xD8 && f[2] == 0xFF) return AssetFormat::jpeg;
    if (f.size() >= 4 && ((f[0] == 'I' && f[1] == 'I' && f[2] == 42 && f[3] == 0) ||
                          (f[0] == 'M' && f[1] == 'M' && f[2] == 0 && f[3] == 42)))
        return AssetFormat::tiff;
    if (f.size() >= 4 && ((f[0] == 'I' && f[1] == 'I' && f[2] == 43 && f[3] == 0) ||
                          (f[0] == 'M' && f[1] == 'M' && f[2] == 0 && f[3] == 43)))
        return fail(Errc::unsupported, "BigTIFF files cannot carry Content Credentials in this version");
    if (f.size() >= 12 && std::memcmp(f.data(), "RIFF", 4) == 0 && std::memcmp(f.data() + 8, "WEBP", 4) == 0)
        return AssetFormat::webp;
    return fail(Errc::unsupported, "only PNG, JPEG, TIFF and WebP assets carry Content Credentials in this version");
}

std::string mime_type(AssetFormat format) {
    switch (format) {
        case AssetFormat::png:
            return "image/png";
        case AssetFormat::jpeg:
            return "image/jpeg";
        case AssetFormat::tiff:
            return "image/tiff";
        case AssetFormat::webp:
            return "image/webp";
    }
    return "application/octet-stream";
}

std::string mime_type_for_name(std::string_view name) {
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos) return "application/octet-stream";
    std::string ext(name.substr(dot + 1));
    for (auto& c : ext)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    static const std::map<std::string, std::string> known = {{"png", "image/png"},
                                                             {"jpg", "image/jpeg"},
                                                             {"jpeg", "image/jpeg"},
                                                             {"tif", "image/tiff"},
                                                             {"tiff", "image/tiff"},
                                                             {"webp", "image/webp"},
                                                             {"gif", "image/gif"},
                                                             {"bmp", "image/bmp"},
                                                             {"exr", "image/x-exr"},
                                                             {"hdr", "image/vnd.radiance"},
                                                             {"avif", "image/avif"},
                                                             {"heic", "image/heic"},
                                                             {"psd", "image/vnd.adobe.photoshop"}};
    const auto it = known.find(ext);
    return it == known.end() ? "application/octet-stream" : it->second;
}

Result<EmbeddedManifest> find_manifest(ByteView f, AssetFormat format) {
    EmbeddedManifest out;
    if (format == AssetFormat::tiff) {
        auto chain = tiff_chain(f);
        if (!chain) return chain.error();
        auto where = tiff_find_c2pa(*chain);
        if (!where) return where.error();
        if (*where) {
            const TiffIfd* t = &(*chain)[(*where)->first];
            const std::uint8_t* e = t->entries.data() + 12 * (*where)->second;
            if (rd16(e + 2, t->be) != kUndefinedType)
                return fail(Errc::corrupt_data, "TIFF: the C2PA entry must be of type UNDEFINED (7)");
            const std::uint32_t count = rd32(e + 4, t->be);
            const std::size_t value = count <= 4 ? std::size_t(e + 8 - f.data()) : rd32(e + 8, t->be);
            if (value > f.size() || count > f.size() - value)
                return fail(Errc::corrupt_data, "TIFF: the C2PA manifest (" + std::to_string(count) + " bytes at " +
                                                    std::to_string(value) + ") runs past the end of the file");
            out.store = Bytes(f.begin() + value, f.begin() + value + count);
            out.offset = value;
            out.length = count;
            out.allowed_exclusions.push_back({std::uint64_t(e + 4 - f.data()), 4});
        }
    } else if (format == AssetFormat::webp) {
        auto chunks = riff_chunks(f);
        if (!chunks) return chunks.error();
        for (const auto& c : *chunks) {
            if (c.id != fourcc("C2PA")) continue;
            if (out.store) return fail(Errc::corrupt_data, "WebP: more than one C2PA chunk (manifest store)");
            out.store = Bytes(c.data.begin(), c.data.end());
            out.offset = c.offset;
            out.length = 8 + std::size_t(c.size);
        }
    } else if (format == AssetFormat::png) {
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
    if (format == AssetFormat::tiff) {
        auto chain = tiff_chain(f);
        if (!chain) return chain.error();
        auto where = tiff_find_c2pa(*chain);
        if (!where) return where.error();
        if (!*where) return Bytes(f.begin(), f.end());
        auto em = find_manifest(f, format);
        if (!em) return em.error();
        if ((*where)->first != 0) {
            // In a later IFD (the reference's layout): blank the store, then
            // unlink that IFD when it holds nothing else, or point its
            // predecessor at a copy without the entry.
            const TiffIfd& t = (*chain)[(*where)->first];
            const TiffIfd& prev = (*chain)[(*where)->first - 1];
            out.assign(f.begin(), f.end());
            if (em->length > 4) std::fill(out.begin() + em->offset, out.begin() + em->offset + em->length, 0);
            std::uint32_t target = t.next;
            if (t.count > 1) {
                if (out.size() & 1) out.push_back(0);
                if (out.size() > 0xFFFFFFF0u)
                    return fail(Errc::limit_exceeded, "TIFF: file too large for classic TIFF");
                target = static_cast<std::uint32_t>(out.size());
                out.resize(out.size() + 2 + 12 * (std::size_t(t.count) - 1) + 4);
                wr16(out.data() + target, static_cast<std::uint16_t>(t.count - 1), t.be);
                std::size_t w = target + 2;
                for (std::size_t i = 0; i < t.count; ++i) {
                    if (i == (*where)->second) continue;
                    std::memcpy(out.data() + w, t.entries.data() + 12 * i, 12);
                    w += 12;
                }
                wr32(out.data() + w, t.next, t.be);
            }
            wr32(out.data() + prev.offset + 2 + 12 * std::size_t(prev.count), target, t.be);
            return out;
        }
        const TiffIfd* t = &chain->front();
        const std::size_t k = (*where)->second;
        // Our own layout (IFD0 then the store, at the end): cut both off.
        // Otherwise blank the store where it is; the old IFD0 stays as dead bytes.
        const bool tail = em->length > 4 && em->offset == t->end() && em->offset + em->length == f.size();
        if (tail) {
            out.assign(f.begin(), f.begin() + t->offset);
        } else {
            out.assign(f.begin(), f.end());
            if (em->length > 4) std::fill(out.begin() + em->offset, out.begin() + em->offset + em->length, 0);
        }
        if (out.size() & 1) out.push_back(0);
        if (out.size() > 0xFFFFFFF0u) return fail(Errc::limit_exceeded, "TIFF: file too large for classic TIFF");
        const std::size_t ifd = out.size();
        wr32(out.data() + 4, static_cast<std::uint32_t>(ifd), t->be);
        out.resize(ifd + 2 + 12 * (std::size_t(t->count) - 1) + 4);
        wr16(out.data() + ifd, static_cast<std::uint16_t>(t->count - 1), t->be);
        std::size_t w = ifd + 2;
        for (std::size_t i = 0; i < t->count; ++i) {
            if (i == k) continue;
            std::memcpy(out.data() + w, t->entries.data() + 12 * i, 12);
            w += 12;
        }
        wr32(out.data() + w, t->next, t->be);
        return out;
    }
    if (format == AssetFormat::webp) {
        auto chunks = riff_chunks(f);
        if (!chunks) return chunks.error();
        out.insert(out.end(), f.begin(), f.begin() + 12);
        for (const auto& c : *chunks)
            if (c.id != fourcc("C2PA")) out.insert(out.end(), f.begin() + c.offset, f.begin() + c.offset + c.total);
        if (out.size() & 1) out.push_back(0);
        const auto size = static_cast<std::uint32_t>(out.size() - 8);
        for (int i = 0; i < 4; ++i)
            out[4 + i] = static_cast<std::uint8_t>(size >> (8 * i));
        return out;
    }
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

namespace {

/// After the leading APP0/APP1 (JFIF/Exif) segments.
std::size_t jpeg_insert_offset(const std::vector<JpegSegment>& segs) {
    std::size_t pos = 2;
    for (const auto& s : segs) {
        if (s.offset != pos || (s.marker != 0xE0 && s.marker != 0xE1)) break;
        pos = s.offset + s.total;
    }
    return pos;
}

Bytes wrap_png_jpeg(ByteView store, AssetFormat format, std::uint16_t box_instance) {
    Bytes out;
    if (format == AssetFormat::png) {
        put32(out, static_cast<std::uint32_t>(store.size()));
        put32(out, fourcc("caBX"));
        out.insert(out.end(), store.begin(), store.end());
        put32(out, crc32_of(fourcc("caBX"), store));
        return out;
    }
    // APP11: FFEB Lp 'JP' En(2) Z(4) then LBox+TBox (repeated in every segment) and a slice of the box data.
    const ByteView header = store.subspan(0, std::min<std::size_t>(8, store.size()));
    const ByteView body = store.subspan(header.size());
    const std::size_t per = kMaxSegmentPayload - 2 - 2 - 4 - 8;
    std::size_t off = 0;
    std::uint32_t z = 1;
    do {
        const std::size_t n = std::min(per, body.size() - off);
        out.push_back(0xFF);
        out.push_back(0xEB);
        put16(out, static_cast<std::uint16_t>(2 + 2 + 2 + 4 + header.size() + n));
        out.push_back('J');
        out.push_back('P');
        put16(out, box_instance);
        put32(out, z++);
        out.insert(out.end(), header.begin(), header.end());
        out.insert(out.end(), body.begin() + off, body.begin() + off + n);
        off += n;
    } while (off < body.size());
    return out;
}

}  // namespace

Result<Embedding> Embedding::plan(ByteView f, AssetFormat format) {
    Embedding e;
    e.m_format = format;
    e.m_file = f;
    switch (format) {
        case AssetFormat::png: {
            auto chunks = png_chunks(f);
            if (!chunks) return chunks.error();
            e.m_offset = chunks->front().offset + chunks->front().total;
            return e;
        }
        case AssetFormat::jpeg: {
            auto segs = jpeg_segments(f, nullptr);
            if (!segs) return segs.error();
            e.m_offset = jpeg_insert_offset(*segs);
            // A box instance number no other JUMBF in the file uses.
            std::set<std::uint16_t> used;
            for (const auto& sg : *segs)
                if (is_c2pa_app11(sg)) used.insert(be16(sg.payload.data() + 2));
            std::uint16_t en = 1;
            while (used.count(en) && en < 0xFFFF)
                ++en;
            e.m_c2pa_index = en;
            return e;
        }
        case AssetFormat::tiff: {
            auto chain = tiff_chain(f);
            if (!chain) return chain.error();
            auto k = tiff_find_c2pa(*chain);
            if (!k) return k.error();
            if (*k) return fail(Errc::internal, "TIFF: strip the old manifest before embedding a new one");
            const TiffIfd* t = &chain->front();
            // IFD0 at the very end (libtiff's usual layout, and ours): rewrite it in place.
            e.m_offset = t->end() == f.size() ? t->offset : f.size();
            if (e.m_offset > 0xFFFF0000u) return fail(Errc::limit_exceeded, "TIFF: file too large for classic TIFF");
            if (t->count == 0xFFFF) return fail(Errc::corrupt_data, "TIFF: IFD0 is full");
            e.m_big_endian = t->be;
            e.m_next_ifd = t->next;
            std::size_t k_at = t->count;
            for (std::size_t i = 0; i < t->count; ++i)
                if (rd16(t->entries.data() + 12 * i, t->be) > kC2paTag) {
                    k_at = i;
                    break;
                }
            e.m_c2pa_index = k_at;
            e.m_extra.assign(t->entries.begin(), t->entries.begin() + 12 * k_at);
            e.m_extra.resize(e.m_extra.size() + 12, 0);
            e.m_extra.insert(e.m_extra.end(), t->entries.begin() + 12 * k_at, t->entries.end());
            std::uint8_t* slot = e.m_extra.data() + 12 * k_at;
            wr16(slot, kC2paTag, t->be);
            wr16(slot + 2, kUndefinedType, t->be);
            return e;
        }
        case AssetFormat::webp: {
            std::size_t end = 0;
            auto chunks = riff_chunks(f, &end);
            if (!chunks) return chunks.error();
            for (const auto& c : *chunks)
                if (c.id == fourcc("C2PA"))
                    return fail(Errc::internal, "WebP: strip the old manifest before embedding a new one");
            const auto first = chunks->front().id;
            if (first == fourcc("VP8 ") || first == fourcc("VP8L")) {
                auto x = vp8x_for(chunks->front());
                if (!x) return x.error();
                e.m_extra = std::move(*x);
            } else if (first != fourcc("VP8X")) {
                return fail(Errc::corrupt_data,
                            "WebP: the first chunk must be VP8, VP8L or VP8X (found '" + fourcc_name(first) + "')");
            }
            e.m_offset = end;
            return e;
        }
    }
    return fail(Errc::internal, "unknown asset format");
}

std::size_t Embedding::wrapped_size(std::size_t store_size) const {
    switch (m_format) {
        case AssetFormat::png:
            return store_size + 12;
        case AssetFormat::jpeg:
            return jpeg_wrapped_size(store_size);
        case AssetFormat::tiff:
            return store_size;
        case AssetFormat::webp:
            return 8 + store_size + (store_size & 1);
    }
    return store_size;
}

namespace {
std::size_t even(std::size_t n) {
    return n + (n & 1);
}
}  // namespace

void Embedding::write_prefix(std::size_t store_size, Bytes& out) const {
    // TIFF: the file kept, a pad byte, the header pointing at the new IFD0, the IFD0.
    // WebP: RIFF header with the final size, VP8X if added, the chunks, a pad byte.
    if (m_format == AssetFormat::tiff) {
        out.insert(out.end(), m_file.begin(), m_file.begin() + m_offset);
        if (out.size() & 1) out.push_back(0);
        const std::size_t ifd = out.size();
        const std::size_t n = m_extra.size() / 12;
        wr32(out.data() + 4, static_cast<std::uint32_t>(ifd), m_big_endian);
        out.resize(ifd + 2);
        wr16(out.data() + ifd, static_cast<std::uint16_t>(n), m_big_endian);
        out.insert(out.end(), m_extra.begin(), m_extra.end());
        out.resize(out.size() + 4);
        wr32(out.data() + out.size() - 4, m_next_ifd, m_big_endian);
        std::uint8_t* slot = out.data() + ifd + 2 + 12 * m_c2pa_index;
        wr32(slot + 4, static_cast<std::uint32_t>(store_size), m_big_endian);
        wr32(slot + 8, static_cast<std::uint32_t>(out.size()), m_big_endian);
        return;
    }
    const std::size_t body = even(m_offset - 12);
    out.insert(out.end(), {'R', 'I', 'F', 'F'});
    putle32(out, static_cast<std::uint32_t>(4 + m_extra.size() + body + wrapped_size(store_size)));
    out.insert(out.end(), {'W', 'E', 'B', 'P'});
    out.insert(out.end(), m_extra.begin(), m_extra.end());
    out.insert(out.end(), m_file.begin() + 12, m_file.begin() + m_offset);
    if (body != m_offset - 12) out.push_back(0);
}

std::vector<ByteRange> Embedding::exclusions(std::size_t store_size) const {
    switch (m_format) {
        case AssetFormat::png:
        case AssetFormat::jpeg:
            return {{m_offset, wrapped_size(store_size)}};
        case AssetFormat::tiff: {
            const std::size_t ifd = even(m_offset);
            const std::size_t count_at = ifd + 2 + 12 * m_c2pa_index + 4;
            const std::size_t value_at = ifd + 2 + m_extra.size() + 4;
            return {{count_at, 4}, {value_at, store_size}};
        }
        case AssetFormat::webp:
            return {{12 + m_extra.size() + even(m_offset - 12), 8 + std::uint64_t(store_size)}};
    }
    return {};
}

Sha256Digest Embedding::data_hash(std::size_t store_size) const {
    if (m_format == AssetFormat::png || m_format == AssetFormat::jpeg || m_format == AssetFormat::tiff)
        store_size = 0;  // the hashed bytes do not depend on it (TIFF: the count is excluded)
    if (m_hash_cache && m_hash_cache->first == store_size) return m_hash_cache->second;
    Sha256 h;
    if (m_format == AssetFormat::png || m_format == AssetFormat::jpeg) {
        h.update(m_file);
    } else if (m_format == AssetFormat::tiff) {
        // The kept file is hashed in place; only the header and the new IFD0 are built.
        Bytes head(m_file.begin(), m_file.begin() + 8);
        const std::size_t ifd = even(m_offset);
        wr32(head.data() + 4, static_cast<std::uint32_t>(ifd), m_big_endian);
        h.update(head);
        h.update(m_file.subspan(8, m_offset - 8));
        if (ifd != m_offset) h.update(Bytes{0});
        Bytes dir(2);
        wr16(dir.data(), static_cast<std::uint16_t>(m_extra.size() / 12), m_big_endian);
        dir.insert(dir.end(), m_extra.begin(), m_extra.end());
        dir.resize(dir.size() + 4);
        wr32(dir.data() + dir.size() - 4, m_next_ifd, m_big_endian);
        std::uint8_t* slot = dir.data() + 2 + 12 * m_c2pa_index;
        wr32(slot + 8, static_cast<std::uint32_t>(ifd + dir.size()), m_big_endian);
        const ByteView d(dir);
        h.update(d.subspan(0, 2 + 12 * m_c2pa_index + 4));
        h.update(d.subspan(2 + 12 * m_c2pa_index + 8));
    } else {
        Bytes head(12);
        std::memcpy(head.data(), "RIFF", 4);
        const std::size_t body = even(m_offset - 12);
        const auto size = static_cast<std::uint32_t>(4 + m_extra.size() + body + wrapped_size(store_size));
        for (int i = 0; i < 4; ++i)
            head[4 + i] = static_cast<std::uint8_t>(size >> (8 * i));
        std::memcpy(head.data() + 8, "WEBP", 4);
        h.update(head);
        h.update(m_extra);
        h.update(m_file.subspan(12, m_offset - 12));
        if (body != m_offset - 12) h.update(Bytes{0});
        if (store_size & 1) h.update(Bytes{0});  // the chunk's pad byte follows the exclusion
    }
    m_hash_cache.emplace(store_size, h.finish());
    return m_hash_cache->second;
}

Bytes Embedding::assemble(ByteView store) const {
    Bytes out;
    if (m_format == AssetFormat::png || m_format == AssetFormat::jpeg) {
        const Bytes wrapped = wrap_png_jpeg(store, m_format, static_cast<std::uint16_t>(m_c2pa_index));
        out.reserve(m_file.size() + wrapped.size());
        out.insert(out.end(), m_file.begin(), m_file.begin() + m_offset);
        out.insert(out.end(), wrapped.begin(), wrapped.end());
        out.insert(out.end(), m_file.begin() + m_offset, m_file.end());
        return out;
    }
    out.reserve(m_offset + m_extra.size() + store.size() + 64);
    write_prefix(store.size(), out);
    if (m_format == AssetFormat::webp) {
        out.insert(out.end(), {'C', '2', 'P', 'A'});
        putle32(out, static_cast<std::uint32_t>(store.size()));
    }
    out.insert(out.end(), store.begin(), store.end());
    if (m_format == AssetFormat::webp && (store.size() & 1)) out.push_back(0);
    return out;
}

}  // namespace atelier::provenance
