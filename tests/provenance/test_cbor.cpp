// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "atelier/provenance/cbor.h"

using namespace atelier;
using namespace atelier::provenance;

namespace {
Bytes hex(std::string_view h) {
    Bytes b;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        b.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    return b;
}
}  // namespace

TEST(Cbor, EncodesRfc8949Vectors) {
    EXPECT_EQ(cbor_encode(Cbor::uint(0)), hex("00"));
    EXPECT_EQ(cbor_encode(Cbor::uint(23)), hex("17"));
    EXPECT_EQ(cbor_encode(Cbor::uint(24)), hex("1818"));
    EXPECT_EQ(cbor_encode(Cbor::uint(1000)), hex("1903e8"));
    EXPECT_EQ(cbor_encode(Cbor::uint(1000000)), hex("1a000f4240"));
    EXPECT_EQ(cbor_encode(Cbor::uint(1000000000000ULL)), hex("1b000000e8d4a51000"));
    EXPECT_EQ(cbor_encode(Cbor::integer(-1)), hex("20"));
    EXPECT_EQ(cbor_encode(Cbor::integer(-1000)), hex("3903e7"));
    EXPECT_EQ(cbor_encode(Cbor::text("IETF")), hex("6449455446"));
    EXPECT_EQ(cbor_encode(Cbor::bytes(hex("01020304"))), hex("4401020304"));
    EXPECT_EQ(cbor_encode(Cbor::array({Cbor::uint(1), Cbor::array({Cbor::uint(2), Cbor::uint(3)})})),
              hex("8201820203"));
    EXPECT_EQ(cbor_encode(Cbor::map({{Cbor::text("a"), Cbor::uint(1)}})), hex("a1616101"));
    EXPECT_EQ(cbor_encode(Cbor::tagged(18, Cbor::null())), hex("d2f6"));
    EXPECT_EQ(cbor_encode(Cbor::boolean(true)), hex("f5"));
}

TEST(Cbor, DecodesWhatItEncodes) {
    Cbor m = Cbor::map();
    m.set("int", Cbor::integer(-123456789));
    m.set("big", Cbor::uint(~0ULL));
    m.set("neg", Cbor::negative(~0ULL));
    m.set("text", Cbor::text("héllo"));
    m.set("bytes", Cbor::bytes(Bytes(300, 7)));
    m.set("float", Cbor::floating(1.5));
    m.set("arr", Cbor::array({Cbor::null(), Cbor::undefined(), Cbor::boolean(false)}));
    m.set(1, Cbor::integer(-7));
    m.set("tag", Cbor::tagged(18, Cbor::array()));
    auto d = cbor_decode(cbor_encode(m));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(*d, m);
    EXPECT_EQ(d->find(1)->as_int(), -7);
    EXPECT_EQ(d->find("text")->as_text(), "héllo");
    EXPECT_FALSE(d->find("neg")->as_int().has_value());
}

TEST(Cbor, DecodesHalfFloatsAndIndefiniteLengths) {
    auto h = cbor_decode(hex("f93c00"));
    ASSERT_TRUE(h.ok());
    EXPECT_DOUBLE_EQ(h->as_double(), 1.0);
    auto s = cbor_decode(hex("7f657374726561646d696e67ff"));
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->as_text(), "streaming");
    auto a = cbor_decode(hex("9f018202039f0405ffff"));
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->items().size(), 3u);
    auto m = cbor_decode(hex("bf61610161629f0203ffff"));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->find("b")->items().size(), 2u);
}

TEST(Cbor, RejectsMalformedInputWithClearErrors) {
    struct Case {
        const char* hex;
        const char* needle;
    };
    const Case cases[] = {
        {"", "truncated"},
        {"1a0000", "truncated integer"},
        {"5a7fffffff00", "exceeds the data"},        // byte string longer than the input
        {"9b7fffffffffffffff", "exceeds the data"},  // array count overflow
        {"bb7fffffffffffffff", "exceeds the data"},  // map count overflow
        {"a2616101616102", "duplicate map key"},
        {"0101", "trailing bytes"},
        {"1c", "reserved"},
        {"ff", "unexpected break"},
        {"5f41ff", "truncated"},    // chunk length past the end
        {"5f6161ff", "bad chunk"},  // text chunk in a byte string
        {"f8ff", "unsupported simple"},
    };
    for (const auto& c : cases) {
        auto r = cbor_decode(hex(c.hex));
        ASSERT_FALSE(r.ok()) << c.hex;
        EXPECT_EQ(r.error().code, Errc::corrupt_data) << c.hex;
        EXPECT_NE(r.error().message.find(c.needle), std::string::npos) << c.hex << ": " << r.error().message;
    }
}

TEST(Cbor, BoundsNestingAndItemCount) {
    Bytes bomb(100000, 0x81);  // [[[[...
    bomb.push_back(0x00);
    auto r = cbor_decode(bomb);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("nesting deeper"), std::string::npos);
    CborLimits small;
    small.max_items = 10;
    Bytes many = {0x8f};  // array of 15
    many.insert(many.end(), 15, 0x00);
    auto r2 = cbor_decode(many, small);
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error().code, Errc::limit_exceeded);
}

TEST(Cbor, ConvertsToAndFromJson) {
    const auto j = nlohmann::json::parse(R"({"a":1,"b":[true,null,"x",-2,2.5],"c":{"d":"e"}})");
    const Cbor c = json_to_cbor(j);
    EXPECT_EQ(cbor_to_json(c), j);
    EXPECT_EQ(cbor_to_json(Cbor::bytes(Bytes{1, 2})), nlohmann::json::parse("[1,2]"));
}

TEST(Cbor, RejectsInvalidUtf8InTextStrings) {
    EXPECT_TRUE(utf8_valid("h\xC3\xA9llo \xF0\x9F\x8E\xA8"));
    EXPECT_FALSE(utf8_valid("\x8C"));
    EXPECT_FALSE(utf8_valid("\xC0\xAF"));          // overlong
    EXPECT_FALSE(utf8_valid("\xED\xA0\x80"));      // surrogate
    EXPECT_FALSE(utf8_valid("\xF4\x90\x80\x80"));  // past U+10FFFF
    EXPECT_FALSE(utf8_valid("\xE2\x82"));          // truncated
    auto r = cbor_decode(hex("628c41"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("UTF-8"), std::string::npos);
    // Negative integers beyond int64 still convert to JSON.
    EXPECT_TRUE(cbor_to_json(Cbor::negative(~0ULL)).is_number());
}

TEST(Cbor, JsonOfNestedNonTextKeysStaysSmall) {
    // {{{{...}: 0}: 0}: 0} 200 deep: converting used to grow exponentially.
    Cbor c = Cbor::map();
    for (int i = 0; i < 200; ++i)
        c = Cbor::map({{std::move(c), Cbor::uint(0)}});
    const std::string s = cbor_to_json(c).dump();
    EXPECT_LT(s.size(), 100u);
    EXPECT_EQ(cbor_to_json(Cbor::map({{Cbor::integer(-7), Cbor::uint(1)}})).begin().key(), "-7");
}
