// SPDX-License-Identifier: MIT
#include "atelier/provenance/cbor.h"

#include <cmath>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

namespace atelier::provenance {

Cbor Cbor::uint(std::uint64_t v) {
    Cbor c;
    c.m_type = Type::unsigned_int;
    c.m_uint = v;
    return c;
}
Cbor Cbor::integer(std::int64_t v) {
    if (v >= 0) return uint(static_cast<std::uint64_t>(v));
    Cbor c;
    c.m_type = Type::negative_int;
    c.m_uint = static_cast<std::uint64_t>(-(v + 1));
    return c;
}
Cbor Cbor::negative(std::uint64_t magnitude) {
    Cbor c;
    c.m_type = Type::negative_int;
    c.m_uint = magnitude;
    return c;
}
Cbor Cbor::bytes(Bytes v) {
    Cbor c;
    c.m_type = Type::bytes;
    c.m_bytes = std::move(v);
    return c;
}
Cbor Cbor::text(std::string v) {
    Cbor c;
    c.m_type = Type::text;
    c.m_text = std::move(v);
    return c;
}
Cbor Cbor::array(std::vector<Cbor> items) {
    Cbor c;
    c.m_type = Type::array;
    c.m_items = std::move(items);
    return c;
}
Cbor Cbor::map(std::vector<std::pair<Cbor, Cbor>> entries) {
    Cbor c;
    c.m_type = Type::map;
    c.m_entries = std::move(entries);
    return c;
}
Cbor Cbor::tagged(std::uint64_t tag, Cbor item) {
    Cbor c;
    c.m_type = Type::tag;
    c.m_uint = tag;
    c.m_items.push_back(std::move(item));
    return c;
}
Cbor Cbor::boolean(bool v) {
    Cbor c;
    c.m_type = Type::boolean;
    c.m_bool = v;
    return c;
}
Cbor Cbor::undefined() {
    Cbor c;
    c.m_type = Type::undefined;
    return c;
}
Cbor Cbor::floating(double v) {
    Cbor c;
    c.m_type = Type::floating;
    c.m_double = v;
    return c;
}

std::optional<std::int64_t> Cbor::as_int() const {
    if (m_type == Type::unsigned_int && m_uint <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return static_cast<std::int64_t>(m_uint);
    if (m_type == Type::negative_int && m_uint <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return -1 - static_cast<std::int64_t>(m_uint);
    return std::nullopt;
}

const Cbor* Cbor::find(std::string_view key) const {
    if (m_type != Type::map) return nullptr;
    for (const auto& [k, v] : m_entries)
        if (k.m_type == Type::text && k.m_text == key) return &v;
    return nullptr;
}
const Cbor* Cbor::find(std::int64_t key) const {
    if (m_type != Type::map) return nullptr;
    for (const auto& [k, v] : m_entries)
        if (k.is_int() && k.as_int() == key) return &v;
    return nullptr;
}
Cbor& Cbor::set(std::string key, Cbor value) {
    for (auto& [k, v] : m_entries)
        if (k.m_type == Type::text && k.m_text == key) {
            v = std::move(value);
            return *this;
        }
    m_entries.emplace_back(text(std::move(key)), std::move(value));
    return *this;
}
Cbor& Cbor::set(std::int64_t key, Cbor value) {
    for (auto& [k, v] : m_entries)
        if (k.is_int() && k.as_int() == key) {
            v = std::move(value);
            return *this;
        }
    m_entries.emplace_back(integer(key), std::move(value));
    return *this;
}
Cbor& Cbor::push(Cbor value) {
    m_items.push_back(std::move(value));
    return *this;
}

bool Cbor::operator==(const Cbor& o) const {
    if (m_type != o.m_type) return false;
    switch (m_type) {
        case Type::unsigned_int:
        case Type::negative_int:
            return m_uint == o.m_uint;
        case Type::bytes:
            return m_bytes == o.m_bytes;
        case Type::text:
            return m_text == o.m_text;
        case Type::array:
            return m_items == o.m_items;
        case Type::map:
            return m_entries == o.m_entries;
        case Type::tag:
            return m_uint == o.m_uint && m_items == o.m_items;
        case Type::boolean:
            return m_bool == o.m_bool;
        case Type::null:
        case Type::undefined:
            return true;
        case Type::floating:
            return m_double == o.m_double || (std::isnan(m_double) && std::isnan(o.m_double));
    }
    return false;
}

bool utf8_valid(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (s.size() - i <= n) return false;
        for (std::size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

// ---------------------------------------------------------------- encoder

namespace {

void put_head(Bytes& out, std::uint8_t major, std::uint64_t v) {
    const auto m = static_cast<std::uint8_t>(major << 5);
    if (v < 24) {
        out.push_back(static_cast<std::uint8_t>(m | v));
    } else if (v <= 0xff) {
        out.push_back(m | 24);
        out.push_back(static_cast<std::uint8_t>(v));
    } else if (v <= 0xffff) {
        out.push_back(m | 25);
        for (int s = 8; s >= 0; s -= 8)
            out.push_back(static_cast<std::uint8_t>(v >> s));
    } else if (v <= 0xffffffffULL) {
        out.push_back(m | 26);
        for (int s = 24; s >= 0; s -= 8)
            out.push_back(static_cast<std::uint8_t>(v >> s));
    } else {
        out.push_back(m | 27);
        for (int s = 56; s >= 0; s -= 8)
            out.push_back(static_cast<std::uint8_t>(v >> s));
    }
}

}  // namespace

void cbor_encode_to(const Cbor& c, Bytes& out) {
    switch (c.type()) {
        case Cbor::Type::unsigned_int:
            put_head(out, 0, c.raw_uint());
            break;
        case Cbor::Type::negative_int:
            put_head(out, 1, c.raw_uint());
            break;
        case Cbor::Type::bytes:
            put_head(out, 2, c.as_bytes().size());
            out.insert(out.end(), c.as_bytes().begin(), c.as_bytes().end());
            break;
        case Cbor::Type::text:
            put_head(out, 3, c.as_text().size());
            out.insert(out.end(), c.as_text().begin(), c.as_text().end());
            break;
        case Cbor::Type::array:
            put_head(out, 4, c.items().size());
            for (const auto& i : c.items())
                cbor_encode_to(i, out);
            break;
        case Cbor::Type::map:
            put_head(out, 5, c.entries().size());
            for (const auto& [k, v] : c.entries()) {
                cbor_encode_to(k, out);
                cbor_encode_to(v, out);
            }
            break;
        case Cbor::Type::tag:
            put_head(out, 6, c.tag());
            cbor_encode_to(c.tagged_item(), out);
            break;
        case Cbor::Type::boolean:
            out.push_back(c.as_bool() ? 0xf5 : 0xf4);
            break;
        case Cbor::Type::null:
            out.push_back(0xf6);
            break;
        case Cbor::Type::undefined:
            out.push_back(0xf7);
            break;
        case Cbor::Type::floating: {
            out.push_back(0xfb);
            std::uint64_t bits = 0;
            const double d = c.as_double();
            std::memcpy(&bits, &d, sizeof bits);
            for (int s = 56; s >= 0; s -= 8)
                out.push_back(static_cast<std::uint8_t>(bits >> s));
            break;
        }
    }
}

Bytes cbor_encode(const Cbor& value) {
    Bytes out;
    cbor_encode_to(value, out);
    return out;
}

// ---------------------------------------------------------------- decoder

namespace {

struct Decoder {
    ByteView data;
    std::size_t pos = 0;
    CborLimits limits;
    std::size_t items = 0;

    Error err(const std::string& what) const {
        return fail(Errc::corrupt_data, "CBOR: " + what + " at byte " + std::to_string(pos));
    }
    std::size_t remaining() const { return data.size() - pos; }

    Result<std::uint64_t> read_uint(std::uint8_t info) {
        if (info < 24) return std::uint64_t{info};
        std::size_t n = 0;
        switch (info) {
            case 24:
                n = 1;
                break;
            case 25:
                n = 2;
                break;
            case 26:
                n = 4;
                break;
            case 27:
                n = 8;
                break;
            default:
                return err("reserved additional information " + std::to_string(info));
        }
        if (remaining() < n) return err("truncated integer");
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i)
            v = (v << 8) | data[pos++];
        return v;
    }

    Result<std::string> read_string_bytes(std::uint8_t major, std::uint8_t info) {
        std::string s;
        if (info == 31) {  // indefinite: definite chunks of the same major type
            for (;;) {
                if (remaining() < 1) return err("truncated indefinite string");
                const std::uint8_t b = data[pos++];
                if (b == 0xff) break;
                if ((b >> 5) != major || (b & 31) == 31) return err("bad chunk in indefinite string");
                auto len = read_uint(b & 31);
                if (!len) return len.error();
                if (*len > remaining()) return err("string length " + std::to_string(*len) + " exceeds the data");
                if (s.size() + *len > limits.max_string)
                    return fail(Errc::limit_exceeded, "CBOR: string longer than the limit");
                s.append(reinterpret_cast<const char*>(data.data() + pos), static_cast<std::size_t>(*len));
                pos += static_cast<std::size_t>(*len);
            }
            return s;
        }
        auto len = read_uint(info);
        if (!len) return len.error();
        if (*len > remaining()) return err("string length " + std::to_string(*len) + " exceeds the data");
        if (*len > limits.max_string) return fail(Errc::limit_exceeded, "CBOR: string longer than the limit");
        s.assign(reinterpret_cast<const char*>(data.data() + pos), static_cast<std::size_t>(*len));
        pos += static_cast<std::size_t>(*len);
        return s;
    }

    Result<Cbor> item(std::size_t depth) {
        if (depth > limits.max_depth) return err("nesting deeper than " + std::to_string(limits.max_depth));
        if (++items > limits.max_items) return fail(Errc::limit_exceeded, "CBOR: more data items than the limit");
        if (remaining() < 1) return err("truncated");
        const std::uint8_t ib = data[pos++];
        const std::uint8_t major = ib >> 5;
        const std::uint8_t info = ib & 31;
        switch (major) {
            case 0:
            case 1: {
                auto v = read_uint(info);
                if (!v) return v.error();
                return major == 0 ? Cbor::uint(*v) : Cbor::negative(*v);
            }
            case 2:
            case 3: {
                auto s = read_string_bytes(major, info);
                if (!s) return s.error();
                if (major == 2) return Cbor::bytes(Bytes(s->begin(), s->end()));
                if (!utf8_valid(*s)) return err("invalid UTF-8 in a text string");
                return Cbor::text(std::move(*s));
            }
            case 4: {
                std::vector<Cbor> v;
                if (info == 31) {
                    for (;;) {
                        if (remaining() < 1) return err("truncated indefinite array");
                        if (data[pos] == 0xff) {
                            ++pos;
                            break;
                        }
                        auto e = item(depth + 1);
                        if (!e) return e.error();
                        v.push_back(std::move(*e));
                    }
                    return Cbor::array(std::move(v));
                }
                auto n = read_uint(info);
                if (!n) return n.error();
                if (*n > remaining()) return err("array count " + std::to_string(*n) + " exceeds the data");
                v.reserve(static_cast<std::size_t>(*n));
                for (std::uint64_t i = 0; i < *n; ++i) {
                    auto e = item(depth + 1);
                    if (!e) return e.error();
                    v.push_back(std::move(*e));
                }
                return Cbor::array(std::move(v));
            }
            case 5: {
                Cbor m = Cbor::map();
                const bool indefinite = info == 31;
                std::uint64_t n = 0;
                if (!indefinite) {
                    auto r = read_uint(info);
                    if (!r) return r.error();
                    n = *r;
                    if (n > remaining() / 2) return err("map count " + std::to_string(n) + " exceeds the data");
                }
                for (std::uint64_t i = 0;; ++i) {
                    if (indefinite) {
                        if (remaining() < 1) return err("truncated indefinite map");
                        if (data[pos] == 0xff) {
                            ++pos;
                            break;
                        }
                    } else if (i == n) {
                        break;
                    }
                    auto k = item(depth + 1);
                    if (!k) return k.error();
                    auto v = item(depth + 1);
                    if (!v) return v.error();
                    for (const auto& e : m.entries())
                        if (e.first == *k) return err("duplicate map key");
                    m.entries().emplace_back(std::move(*k), std::move(*v));
                }
                return m;
            }
            case 6: {
                auto t = read_uint(info);
                if (!t) return t.error();
                auto e = item(depth + 1);
                if (!e) return e.error();
                return Cbor::tagged(*t, std::move(*e));
            }
            default: {  // major 7
                switch (info) {
                    case 20:
                        return Cbor::boolean(false);
                    case 21:
                        return Cbor::boolean(true);
                    case 22:
                        return Cbor::null();
                    case 23:
                        return Cbor::undefined();
                    case 25: {
                        auto h = read_uint(25);
                        if (!h) return h.error();
                        return Cbor::floating(half_to_double(static_cast<std::uint16_t>(*h)));
                    }
                    case 26: {
                        auto h = read_uint(26);
                        if (!h) return h.error();
                        const auto bits = static_cast<std::uint32_t>(*h);
                        float f = 0;
                        std::memcpy(&f, &bits, sizeof f);
                        return Cbor::floating(f);
                    }
                    case 27: {
                        auto h = read_uint(27);
                        if (!h) return h.error();
                        double d = 0;
                        std::memcpy(&d, &*h, sizeof d);
                        return Cbor::floating(d);
                    }
                    case 31:
                        return err("unexpected break");
                    default:
                        return err("unsupported simple value " + std::to_string(info));
                }
            }
        }
    }

    static double half_to_double(std::uint16_t h) {
        const int exp = (h >> 10) & 0x1f;
        const int mant = h & 0x3ff;
        double v = 0;
        if (exp == 0)
            v = std::ldexp(mant, -24);
        else if (exp != 31)
            v = std::ldexp(mant + 1024, exp - 25);
        else
            v = mant == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
        return (h & 0x8000) ? -v : v;
    }
};

}  // namespace

Result<Cbor> cbor_decode(ByteView data, const CborLimits& limits) {
    Decoder d{data, 0, limits, 0};
    auto v = d.item(0);
    if (!v) return v;
    if (d.pos != data.size())
        return fail(Errc::corrupt_data,
                    "CBOR: " + std::to_string(data.size() - d.pos) + " trailing bytes after the item");
    return v;
}

nlohmann::json cbor_to_json(const Cbor& c) {
    using J = nlohmann::json;
    switch (c.type()) {
        case Cbor::Type::unsigned_int:
            return J(c.raw_uint());
        case Cbor::Type::negative_int:
            return J(*c.as_int());
        case Cbor::Type::bytes: {
            J a = J::array();
            for (auto b : c.as_bytes())
                a.push_back(b);
            return a;
        }
        case Cbor::Type::text:
            return J(c.as_text());
        case Cbor::Type::array: {
            J a = J::array();
            for (const auto& i : c.items())
                a.push_back(cbor_to_json(i));
            return a;
        }
        case Cbor::Type::map: {
            J o = J::object();
            for (const auto& [k, v] : c.entries()) {
                // Non-text keys get a short, bounded name (dumping nested keys recursively would
                // grow exponentially with escaping: a fuzzer found that).
                std::string key;
                if (k.is(Cbor::Type::text))
                    key = k.as_text();
                else if (auto i = k.as_int())
                    key = std::to_string(*i);
                else
                    key = "<" +
                          std::string(k.is(Cbor::Type::map)     ? "map"
                                      : k.is(Cbor::Type::array) ? "array"
                                      : k.is(Cbor::Type::bytes) ? "bytes"
                                                                : "key") +
                          ">";
                o[key] = cbor_to_json(v);
            }
            return o;
        }
        case Cbor::Type::tag:
            return cbor_to_json(c.tagged_item());
        case Cbor::Type::boolean:
            return J(c.as_bool());
        case Cbor::Type::null:
        case Cbor::Type::undefined:
            return J(nullptr);
        case Cbor::Type::floating:
            return J(c.as_double());
    }
    return J(nullptr);
}

Cbor json_to_cbor(const nlohmann::json& j) {
    switch (j.type()) {
        case nlohmann::json::value_t::null:
            return Cbor::null();
        case nlohmann::json::value_t::boolean:
            return Cbor::boolean(j.get<bool>());
        case nlohmann::json::value_t::number_unsigned:
            return Cbor::uint(j.get<std::uint64_t>());
        case nlohmann::json::value_t::number_integer:
            return Cbor::integer(j.get<std::int64_t>());
        case nlohmann::json::value_t::number_float:
            return Cbor::floating(j.get<double>());
        case nlohmann::json::value_t::string:
            return Cbor::text(j.get<std::string>());
        case nlohmann::json::value_t::binary:
            return Cbor::bytes(Bytes(j.get_binary().begin(), j.get_binary().end()));
        case nlohmann::json::value_t::array: {
            Cbor a = Cbor::array();
            for (const auto& e : j)
                a.push(json_to_cbor(e));
            return a;
        }
        case nlohmann::json::value_t::object: {
            Cbor m = Cbor::map();
            for (auto it = j.begin(); it != j.end(); ++it)
                m.entries().emplace_back(Cbor::text(it.key()), json_to_cbor(it.value()));
            return m;
        }
        default:
            return Cbor::null();
    }
}

}  // namespace atelier::provenance
