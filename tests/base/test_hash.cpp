// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "atelier/base/hash.h"

using namespace atelier;

// FIPS 180-2 test vectors.
TEST(Sha256, KnownVectors) {
    EXPECT_EQ(to_hex(sha256(std::string_view(""))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(to_hex(sha256(std::string_view("abc"))),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(to_hex(sha256(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, StreamingEqualsOneShotAndResets) {
    std::string data(1'000'003, 'x');
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>(i * 31 + 7);
    Sha256 h;
    for (std::size_t off = 0; off < data.size(); off += 4096)
        h.update(std::string_view(data).substr(off, 4096));
    EXPECT_EQ(h.finish(), sha256(std::string_view(data)));
    h.update(std::string_view("abc"));  // reusable after finish
    EXPECT_EQ(to_hex(h.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, FileHashMatchesMemoryAndErrors) {
    const auto path = std::filesystem::temp_directory_path() / "atelier-hash-test.bin";
    std::string data(3 * (1 << 20) + 123, '\0');
    std::mt19937 rng(5);
    for (auto& c : data)
        c = static_cast<char>(rng());
    std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
    auto h = sha256_file(path);
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_EQ(*h, sha256(std::string_view(data)));

    CancelSource cancel;
    cancel.cancel();
    auto c = sha256_file(path, cancel.token());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, Errc::cancelled);

    auto missing = sha256_file("/nonexistent/file");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::io_error);
    std::filesystem::remove(path);
}

TEST(Sha256, HexRoundTripAndValidation) {
    auto d = sha256(std::string_view("abc"));
    auto back = sha256_from_hex(to_hex(d));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, d);
    EXPECT_FALSE(sha256_from_hex("abc"));
    EXPECT_FALSE(sha256_from_hex(std::string(64, 'g')));
}
