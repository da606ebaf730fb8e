// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "atelier/provenance/jumbf.h"

using namespace atelier;
using namespace atelier::provenance;

namespace {
void put32(Bytes& b, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8)
        b.push_back(static_cast<std::uint8_t>(v >> s));
}
}  // namespace

TEST(Jumbf, BuildsAndParsesNestedSuperboxes) {
    const Bytes cbor = cbor_encode(Cbor::map({{Cbor::text("k"), Cbor::uint(1)}}));
    const Bytes a1 = make_cbor_superbox("c2pa.actions.v2", cbor);
    const Bytes a2 = make_cbor_superbox("org.atelier.license", cbor);
    const Bytes store = make_superbox(jumbf_uuid::assertion_store, "c2pa.assertions", {a1, a2});
    const Bytes root = make_superbox(jumbf_uuid::manifest_store, "c2pa", {store});
    auto r = parse_jumbf(root);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->label, "c2pa");
    EXPECT_EQ(r->uuid, jumbf_uuid::manifest_store);
    EXPECT_EQ(r->toggles, 0x03);
    const JumbfBox* as = r->child("c2pa.assertions");
    ASSERT_NE(as, nullptr);
    ASSERT_EQ(as->children.size(), 2u);
    const JumbfBox* lic = as->child("org.atelier.license");
    ASSERT_NE(lic, nullptr);
    const BoxView* cb = lic->content_box(fourcc("cbor"));
    ASSERT_NE(cb, nullptr);
    EXPECT_EQ(Bytes(cb->payload.begin(), cb->payload.end()), cbor);
    EXPECT_EQ(lic->content.size() + 8, lic->whole.size());
    EXPECT_EQ(fourcc_name(fourcc("jumb")), "jumb");
}

TEST(Jumbf, RejectsBadLengths) {
    const Bytes good = make_cbor_superbox("x", Bytes{0xa0});
    {  // LBox larger than the data
        Bytes b = good;
        b[3] = 0xff;
        auto r = parse_jumbf(b);
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find("truncated"), std::string::npos) << r.error().message;
    }
    {  // LBox below the header size
        Bytes b = good;
        b[0] = b[1] = b[2] = 0;
        b[3] = 4;
        auto r = parse_jumbf(b);
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find("invalid length"), std::string::npos);
    }
    {  // 64-bit XLBox claiming 2^63 bytes
        Bytes b;
        put32(b, 1);
        put32(b, fourcc("jumb"));
        put32(b, 0x80000000u);
        put32(b, 0);
        auto r = parse_jumbf(b);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, Errc::corrupt_data);
    }
    {  // truncated: cut in the middle
        Bytes b(good.begin(), good.begin() + static_cast<long>(good.size() / 2));
        EXPECT_FALSE(parse_jumbf(b).ok());
    }
    {  // header cut short
        EXPECT_FALSE(parse_jumbf(Bytes{0, 0, 0}).ok());
    }
}

TEST(Jumbf, RejectsStructuralProblems) {
    // A superbox without a description box.
    const Bytes nodesc = make_box(fourcc("jumb"), make_box(fourcc("cbor"), Bytes{0xa0}));
    auto r = parse_jumbf(nodesc);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("jumd"), std::string::npos);
    // Duplicate labels among siblings.
    const Bytes a = make_cbor_superbox("same", Bytes{0xa0});
    auto dup = parse_jumbf(make_superbox(jumbf_uuid::assertion_store, "c2pa.assertions", {a, a}));
    ASSERT_FALSE(dup.ok());
    EXPECT_NE(dup.error().message.find("duplicate label"), std::string::npos);
    // Label without its terminating NUL.
    Bytes d(jumbf_uuid::cbor.begin(), jumbf_uuid::cbor.end());
    d.push_back(0x03);
    d.push_back('a');
    auto nonul = parse_jumbf(make_box(fourcc("jumb"), make_box(fourcc("jumd"), d)));
    ASSERT_FALSE(nonul.ok());
    EXPECT_NE(nonul.error().message.find("NUL"), std::string::npos);
}

TEST(Jumbf, BoundsNesting) {
    Bytes box = make_cbor_superbox("leaf", Bytes{0xa0});
    for (int i = 0; i < 40; ++i)
        box = make_superbox(jumbf_uuid::cbor, "n" + std::to_string(i), {box});
    auto r = parse_jumbf(box);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("nested deeper"), std::string::npos);
}
