// SPDX-License-Identifier: MIT
// Unit tests of atelier-market's building blocks: RFC 9162 hashing checked
// against an independent verifier, libsodium wrappers, and the storage
// interface against both real engines (SQLite and PostgreSQL).
#include <gtest/gtest.h>

#include "atelier/base/hash.h"
#include "atelier/market_server/crypto.h"
#include "atelier/market_server/db.h"
#include "atelier/market_server/merkle.h"
#include "support.h"

using namespace atelier;
using namespace atelier::market_server;

namespace {
std::string hex(const std::string& b) {
    return to_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(b.data()), b.size()));
}
std::vector<std::string> hexes(const std::vector<std::string>& v) {
    std::vector<std::string> out;
    for (const auto& h : v)
        out.push_back(hex(h));
    return out;
}
}  // namespace

TEST(MarketMerkle, KnownVectorsAndPrefixes) {
    // RFC 6962/9162: the empty tree hashes to SHA-256(""); a leaf is H(0x00 || d).
    EXPECT_EQ(hex(merkle::root({}, 0)), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(hex(merkle::leaf_hash("")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    EXPECT_NE(merkle::leaf_hash("ab"), merkle::node_hash("a", "b"));
}

TEST(MarketMerkle, ProofsVerifyIndependentlyForEverySize) {
    std::vector<std::string> leaves;
    for (int i = 0; i < 33; ++i)
        leaves.push_back(merkle::leaf_hash("entry " + std::to_string(i)));
    for (std::size_t n = 1; n <= leaves.size(); ++n) {
        auto root = hex(merkle::root(leaves, n));
        for (std::size_t m = 0; m < n; ++m) {
            auto path = hexes(merkle::inclusion_proof(leaves, m, n));
            EXPECT_TRUE(market_test::verify_inclusion(hex(leaves[m]), m, n, path, root)) << m << "/" << n;
            // A wrong index or leaf must not verify.
            EXPECT_FALSE(market_test::verify_inclusion(hex(leaves[(m + 1) % n]), m, n, path, root) && n > 1);
        }
        for (std::size_t m = 1; m < n; ++m) {
            auto proof = hexes(merkle::consistency_proof(leaves, m, n));
            EXPECT_TRUE(market_test::verify_consistency(m, n, hex(merkle::root(leaves, m)), root, proof))
                << m << "/" << n;
            auto other = leaves;
            other[0] = merkle::leaf_hash("rewritten history");
            EXPECT_FALSE(market_test::verify_consistency(m, n, hex(merkle::root(other, m)), root, proof));
        }
    }
}

TEST(MarketCrypto, PasswordsTokensSignatures) {
    ASSERT_TRUE(crypto_init().ok());
    auto h = hash_password("correct horse battery");
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *h;
    EXPECT_TRUE(verify_password(*h, "correct horse battery"));
    EXPECT_FALSE(verify_password(*h, "correct horse batterx"));
    auto t1 = random_token(32), t2 = random_token(32);
    EXPECT_EQ(t1.size(), 43u);
    EXPECT_NE(t1, t2);
    auto dir = market_test::temp_dir("keys");
    auto k = SigningKey::load_or_create(dir);
    ASSERT_TRUE(k.ok());
    auto again = SigningKey::load_or_create(dir);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(k->public_key(), again->public_key());
    auto sig = k->sign("message");
    EXPECT_TRUE(SigningKey::verify(k->public_key(), "message", sig));
    EXPECT_FALSE(SigningKey::verify(k->public_key(), "messagf", sig));
    EXPECT_EQ(*base64url_decode(base64url_encode(std::string("\0\xff\x10", 3))), std::string("\0\xff\x10", 3));
    EXPECT_FALSE(base64url_decode("not base64!").ok());
}

class MarketDb : public ::testing::TestWithParam<std::string> {};

TEST_P(MarketDb, SameSqlOnBothEngines) {
    auto spec = market_test::db_spec(GetParam());
    ASSERT_FALSE(spec.empty());
    auto dir = market_test::temp_dir("db");
    auto db = Db::open(spec, dir, 2);
    ASSERT_TRUE(db.ok()) << db.error().message;
    EXPECT_EQ((*db)->schema_version(), Db::current_schema_version());
    auto c = (*db)->acquire();
    ASSERT_TRUE(c.ok());
    // Parameters out of order, NULLs, 64-bit integers.
    auto ins = (*c)->exec("INSERT INTO changes (seq, kind, ref, scope_user, created) VALUES ($2, $1, $3, $4, $5)",
                          {std::string("k"), std::int64_t{1} << 40, std::string("r"), nullptr, std::int64_t{7}});
    ASSERT_TRUE(ins.ok()) << ins.error().message;
    auto rows = (*c)->query("SELECT seq, kind, scope_user FROM changes WHERE seq = $1", {std::int64_t{1} << 40});
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].i64(0), std::int64_t{1} << 40);
    EXPECT_EQ((*rows)[0].str(1), "k");
    EXPECT_TRUE((*rows)[0].null(2));
    // A duplicate key is a conflict, on both engines.
    auto dup =
        (*c)->exec("INSERT INTO changes (seq, kind, ref, created) VALUES ($1, 'k', 'r', 0)", {std::int64_t{1} << 40});
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().code, Errc::conflict);
    // A rolled-back transaction leaves nothing behind.
    {
        Tx tx(**c);
        ASSERT_TRUE(tx.begin(true).ok());
        ASSERT_TRUE((*c)->exec("UPDATE counters SET value = 99 WHERE name = 'tlog'").ok());
    }
    auto v = (*c)->query("SELECT value FROM counters WHERE name = 'tlog'");
    ASSERT_TRUE(v.ok());
    EXPECT_EQ((*v)[0].i64(0), 0);
    // Re-opening finds the schema and does not migrate again.
    auto db2 = Db::open(spec, dir, 1);
    ASSERT_TRUE(db2.ok()) << db2.error().message;
    // A database from the future is refused.
    ASSERT_TRUE((*c)->exec("UPDATE schema_version SET version = 99").ok());
    auto db3 = Db::open(spec, dir, 1);
    ASSERT_FALSE(db3.ok());
    EXPECT_NE(db3.error().message.find("upgrade atelier-market"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, MarketDb, ::testing::Values("sqlite", "postgres"));
