// SPDX-License-Identifier: MIT
#pragma once
/// \file cbor.h
/// A small CBOR (RFC 8949) value type with a bounded decoder and a
/// deterministic encoder (definite lengths, shortest integer heads, map keys
/// kept in insertion order as C2PA writers do). Used for C2PA claims,
/// assertions and COSE structures.
///
/// The decoder never trusts a length: every count is checked against the
/// bytes that remain, nesting is limited, and duplicate map keys are refused.
/// Values are plain data (copyable, no shared state); thread-compatible.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "atelier/base/result.h"

namespace atelier::provenance {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

/// One CBOR data item.
class Cbor {
public:
    enum class Type { unsigned_int, negative_int, bytes, text, array, map, tag, boolean, null, undefined, floating };

    Cbor() : m_type(Type::null) {}
    static Cbor uint(std::uint64_t v);
    /// Any signed integer (negative values become major type 1).
    static Cbor integer(std::int64_t v);
    /// The negative integer -1-magnitude (covers the whole CBOR range).
    static Cbor negative(std::uint64_t magnitude);
    static Cbor bytes(Bytes v);
    static Cbor bytes(ByteView v) { return bytes(Bytes(v.begin(), v.end())); }
    static Cbor text(std::string v);
    static Cbor array(std::vector<Cbor> items = {});
    static Cbor map(std::vector<std::pair<Cbor, Cbor>> entries = {});
    static Cbor tagged(std::uint64_t tag, Cbor item);
    static Cbor boolean(bool v);
    static Cbor null() { return Cbor(); }
    static Cbor undefined();
    static Cbor floating(double v);

    Type type() const noexcept { return m_type; }
    bool is(Type t) const noexcept { return m_type == t; }
    bool is_int() const noexcept { return m_type == Type::unsigned_int || m_type == Type::negative_int; }

    /// Integer value when it fits an int64, else nullopt.
    std::optional<std::int64_t> as_int() const;
    /// For unsigned_int: the value; for negative_int: n where the value is -1-n.
    std::uint64_t raw_uint() const noexcept { return m_uint; }
    const std::string& as_text() const noexcept { return m_text; }
    const Bytes& as_bytes() const noexcept { return m_bytes; }
    const std::vector<Cbor>& items() const noexcept { return m_items; }
    std::vector<Cbor>& items() noexcept { return m_items; }
    const std::vector<std::pair<Cbor, Cbor>>& entries() const noexcept { return m_entries; }
    std::vector<std::pair<Cbor, Cbor>>& entries() noexcept { return m_entries; }
    std::uint64_t tag() const noexcept { return m_uint; }
    /// The tagged item (tag type only).
    const Cbor& tagged_item() const { return m_items.front(); }
    bool as_bool() const noexcept { return m_bool; }
    double as_double() const noexcept { return m_double; }

    /// Map lookup by text key (nullptr when absent or not a map).
    const Cbor* find(std::string_view key) const;
    /// Map lookup by integer key (COSE headers).
    const Cbor* find(std::int64_t key) const;
    /// Appends (or replaces) a text-keyed entry in a map.
    Cbor& set(std::string key, Cbor value);
    Cbor& set(std::int64_t key, Cbor value);
    /// Appends to an array.
    Cbor& push(Cbor value);

    bool operator==(const Cbor& other) const;

private:
    Type m_type;
    std::uint64_t m_uint = 0;
    bool m_bool = false;
    double m_double = 0;
    std::string m_text;
    Bytes m_bytes;
    std::vector<Cbor> m_items;
    std::vector<std::pair<Cbor, Cbor>> m_entries;
};

/// Limits applied while decoding untrusted input.
struct CborLimits {
    std::size_t max_depth = 64;          ///< nesting of arrays/maps/tags
    std::size_t max_items = 1u << 20;    ///< data items in total
    std::size_t max_string = 64u << 20;  ///< bytes in one string
};

/// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or values
/// past U+10FFFF). CBOR text strings and JUMBF labels must be.
bool utf8_valid(std::string_view s) noexcept;

/// Encodes deterministically (definite lengths, shortest heads).
Bytes cbor_encode(const Cbor& value);
void cbor_encode_to(const Cbor& value, Bytes& out);

/// Decodes exactly one item that must span all of `data`. Errors are
/// Errc::corrupt_data ("truncated", "trailing bytes", "nesting deeper than
/// 64", "duplicate map key", ...) or Errc::limit_exceeded.
Result<Cbor> cbor_decode(ByteView data, const CborLimits& limits = {});

/// Converts to JSON for reports: byte strings become arrays of numbers (as
/// the reference reader prints them), tags are dropped, non-text map keys
/// are stringified.
nlohmann::json cbor_to_json(const Cbor& value);
/// Converts JSON to CBOR (integers stay integers, floats become float64).
Cbor json_to_cbor(const nlohmann::json& value);

}  // namespace atelier::provenance
