// SPDX-License-Identifier: MIT
#include "atelier/provenance/jumbf.h"

#include <cstring>

namespace atelier::provenance {

namespace {
constexpr Uuid iso_uuid(char a, char b, char c, char d) {
    return Uuid{std::uint8_t(a),
                std::uint8_t(b),
                std::uint8_t(c),
                std::uint8_t(d),
                0x00,
                0x11,
                0x00,
                0x10,
                0x80,
                0x00,
                0x00,
                0xAA,
                0x00,
                0x38,
                0x9B,
                0x71};
}

std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}
void put_be32(Bytes& out, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8)
        out.push_back(static_cast<std::uint8_t>(v >> s));
}
}  // namespace

namespace jumbf_uuid {
const Uuid manifest_store = iso_uuid('c', '2', 'p', 'a');
const Uuid manifest = iso_uuid('c', '2', 'm', 'a');
const Uuid update_manifest = iso_uuid('c', '2', 'u', 'm');
const Uuid assertion_store = iso_uuid('c', '2', 'a', 's');
const Uuid claim = iso_uuid('c', '2', 'c', 'l');
const Uuid signature = iso_uuid('c', '2', 'c', 's');
const Uuid cbor = iso_uuid('c', 'b', 'o', 'r');
const Uuid json = iso_uuid('j', 's', 'o', 'n');
const Uuid embedded_file = {0x40, 0xCB, 0x0C, 0x32, 0xBB, 0x8A, 0x48, 0x9D,
                            0xA7, 0x0B, 0x2A, 0xD6, 0xF4, 0x7F, 0x43, 0x69};
}  // namespace jumbf_uuid

std::string fourcc_name(std::uint32_t type) {
    std::string s;
    for (int sh = 24; sh >= 0; sh -= 8) {
        const char c = static_cast<char>((type >> sh) & 0xff);
        s += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return s;
}

Result<std::vector<BoxView>> parse_boxes(ByteView data, std::size_t max_boxes) {
    std::vector<BoxView> boxes;
    std::size_t pos = 0;
    while (pos < data.size()) {
        if (boxes.size() >= max_boxes)
            return fail(Errc::limit_exceeded, "JUMBF: more than " + std::to_string(max_boxes) + " boxes");
        const std::size_t left = data.size() - pos;
        if (left < 8) return fail(Errc::corrupt_data, "JUMBF: truncated box header at byte " + std::to_string(pos));
        std::uint64_t len = be32(data.data() + pos);
        const std::uint32_t type = be32(data.data() + pos + 4);
        std::size_t header = 8;
        if (len == 1) {
            if (left < 16)
                return fail(Errc::corrupt_data, "JUMBF: truncated 64-bit box length at byte " + std::to_string(pos));
            len = (std::uint64_t(be32(data.data() + pos + 8)) << 32) | be32(data.data() + pos + 12);
            header = 16;
        } else if (len == 0) {
            len = left;  // extends to the end
        }
        if (len < header)
            return fail(Errc::corrupt_data, "JUMBF: box '" + fourcc_name(type) + "' at byte " + std::to_string(pos) +
                                                " has an invalid length " + std::to_string(len));
        if (len > left)
            return fail(Errc::corrupt_data, "JUMBF: box '" + fourcc_name(type) + "' at byte " + std::to_string(pos) +
                                                " claims " + std::to_string(len) + " bytes but only " +
                                                std::to_string(left) + " remain (truncated)");
        const auto n = static_cast<std::size_t>(len);
        boxes.push_back(BoxView{type, data.subspan(pos, n), data.subspan(pos + header, n - header)});
        pos += n;
    }
    return boxes;
}

const JumbfBox* JumbfBox::child(std::string_view child_label) const {
    for (const auto& c : children)
        if (c.label == child_label) return &c;
    return nullptr;
}

const BoxView* JumbfBox::content_box(std::uint32_t type) const {
    for (const auto& b : content_boxes)
        if (b.type == type) return &b;
    return nullptr;
}

namespace {

Result<JumbfBox> parse_super(const BoxView& box, const JumbfLimits& limits, std::size_t depth, std::size_t& count) {
    if (depth > limits.max_depth)
        return fail(Errc::corrupt_data, "JUMBF: superboxes nested deeper than " + std::to_string(limits.max_depth));
    if (box.type != fourcc("jumb"))
        return fail(Errc::corrupt_data, "JUMBF: expected a 'jumb' superbox, found '" + fourcc_name(box.type) + "'");
    JumbfBox out;
    out.whole = box.whole;
    out.content = box.payload;
    auto kids = parse_boxes(box.payload, limits.max_boxes);
    if (!kids) return kids.error();
    count += kids->size();
    if (count > limits.max_boxes) return fail(Errc::limit_exceeded, "JUMBF: too many boxes");
    if (kids->empty() || kids->front().type != fourcc("jumd"))
        return fail(Errc::corrupt_data, "JUMBF: superbox without a 'jumd' description box first");
    const ByteView d = kids->front().payload;
    if (d.size() < 17) return fail(Errc::corrupt_data, "JUMBF: description box shorter than 17 bytes");
    std::memcpy(out.uuid.data(), d.data(), 16);
    out.toggles = d[16];
    std::size_t p = 17;
    if (out.toggles & 0x02) {
        std::size_t end = p;
        while (end < d.size() && d[end] != 0)
            ++end;
        if (end == d.size()) return fail(Errc::corrupt_data, "JUMBF: description label is not NUL-terminated");
        out.label.assign(reinterpret_cast<const char*>(d.data() + p), end - p);
        if (!utf8_valid(out.label)) return fail(Errc::corrupt_data, "JUMBF: a box label is not valid UTF-8");
        p = end + 1;
    }
    if (out.toggles & 0x04) {
        if (d.size() - p < 4) return fail(Errc::corrupt_data, "JUMBF: truncated description box id");
        out.id = be32(d.data() + p);
        p += 4;
    }
    if (out.toggles & 0x08) {
        if (d.size() - p < 32) return fail(Errc::corrupt_data, "JUMBF: truncated description box signature");
        p += 32;
    }
    for (std::size_t i = 1; i < kids->size(); ++i) {
        const auto& k = (*kids)[i];
        if (k.type == fourcc("jumb")) {
            auto child = parse_super(k, limits, depth + 1, count);
            if (!child) return child.error();
            if (!child->label.empty() && out.child(child->label) != nullptr)
                return fail(Errc::corrupt_data, "JUMBF: duplicate label '" + child->label + "' in '" + out.label + "'");
            out.children.push_back(std::move(*child));
        } else {
            out.content_boxes.push_back(k);
        }
    }
    return out;
}

}  // namespace

Result<JumbfBox> parse_jumbf(ByteView data, const JumbfLimits& limits) {
    auto boxes = parse_boxes(data, 2);
    if (!boxes) return boxes.error();
    if (boxes->size() != 1) return fail(Errc::corrupt_data, "JUMBF: expected exactly one superbox");
    std::size_t count = 1;
    return parse_super(boxes->front(), limits, 0, count);
}

Bytes make_box(std::uint32_t type, ByteView payload) {
    Bytes out;
    const std::uint64_t len = payload.size() + 8;
    if (len > 0xffffffffULL) {
        put_be32(out, 1);
        put_be32(out, type);
        put_be32(out, static_cast<std::uint32_t>((len + 8) >> 32));
        put_be32(out, static_cast<std::uint32_t>(len + 8));
    } else {
        put_be32(out, static_cast<std::uint32_t>(len));
        put_be32(out, type);
    }
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

Bytes make_jumd(const Uuid& uuid, std::string_view label, std::uint8_t toggles) {
    Bytes p(uuid.begin(), uuid.end());
    p.push_back(toggles);
    p.insert(p.end(), label.begin(), label.end());
    p.push_back(0);
    return make_box(fourcc("jumd"), p);
}

Bytes make_superbox(const Uuid& uuid, std::string_view label, const std::vector<Bytes>& boxes) {
    Bytes payload = make_jumd(uuid, label);
    for (const auto& b : boxes)
        payload.insert(payload.end(), b.begin(), b.end());
    return make_box(fourcc("jumb"), payload);
}

Bytes make_cbor_superbox(std::string_view label, ByteView cbor_bytes, const Uuid& uuid) {
    return make_superbox(uuid, label, {make_box(fourcc("cbor"), cbor_bytes)});
}

}  // namespace atelier::provenance
