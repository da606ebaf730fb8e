// SPDX-License-Identifier: MIT
// The `atelier sign / verify / log` contract: exit codes and outputs.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include "atelier/provenance/container.h"
#include "test_helpers.h"

using namespace atelier;
using namespace atelier::provenance;
using namespace atelier::provenance::testing;

namespace {

struct Run {
    int code = -1;
    std::string out;
};

Run run(const std::string& args, const std::filesystem::path& home) {
    const std::string cmd = "XDG_DATA_HOME='" + (home / "data").string() + "' XDG_CACHE_HOME='" +
                            (home / "cache").string() + "' '" + ATELIER_CLI + "' " + args + " 2>&1";
    Run r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p))
        r.out.append(buf, n);
    const int st = ::pclose(p);
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

}  // namespace

TEST(Cli, SignVerifyAndLogKeepTheirExitCodes) {
    const auto home = temp_dir("cli");
    const auto in = home / "in.png";
    ASSERT_TRUE(write_file_atomic(in, make_image(".png", 48, 48, 3)).ok());
    const std::string ca = (home / "data/atelier/keys/ca.pem").string();

    auto none = run("verify '" + in.string() + "'", home);
    EXPECT_EQ(none.code, 2) << none.out;

    auto s =
        run("sign '" + in.string() + "' '" + (home / "out.png").string() + "' --action edited --licensor Me", home);
    ASSERT_EQ(s.code, 0) << s.out;
    auto untrusted = run("verify '" + (home / "out.png").string() + "'", home);
    EXPECT_EQ(untrusted.code, 0) << untrusted.out;
    EXPECT_NE(untrusted.out.find("signingCredential.untrusted"), std::string::npos);
    auto trusted = run("--json verify '" + (home / "out.png").string() + "' --trust '" + ca + "'", home);
    EXPECT_EQ(trusted.code, 0) << trusted.out;
    EXPECT_NE(trusted.out.find("\"validation_state\": \"Trusted\""), std::string::npos) << trusted.out;

    // One flipped bit in the pixels: invalid.
    auto bytes = read_file_bytes(home / "out.png");
    ASSERT_TRUE(bytes.ok());
    auto em = find_manifest(*bytes, AssetFormat::png);
    (*bytes)[em->offset + em->length + 40] ^= 0x01;
    ASSERT_TRUE(write_file_atomic(home / "tampered.png", *bytes).ok());
    auto bad = run("verify '" + (home / "tampered.png").string() + "' --trust '" + ca + "'", home);
    EXPECT_EQ(bad.code, 1) << bad.out;
    EXPECT_NE(bad.out.find("assertion.dataHash.mismatch"), std::string::npos);

    // Re-signing keeps the history (the signed input becomes the parent).
    auto again =
        run("sign '" + (home / "out.png").string() + "' '" + (home / "out2.png").string() + "' --action resized", home);
    ASSERT_EQ(again.code, 0) << again.out;
    auto v2 = run("verify '" + (home / "out2.png").string() + "' --trust '" + ca + "'", home);
    EXPECT_EQ(v2.code, 0) << v2.out;
    EXPECT_NE(v2.out.find("with credentials"), std::string::npos) << v2.out;

    // Both signatures are in the provenance log, which verifies.
    auto show = run("log show 2", home);
    EXPECT_EQ(show.code, 0) << show.out;
    EXPECT_NE(show.out.find("sign"), std::string::npos);
    auto lv = run("log verify", home);
    EXPECT_EQ(lv.code, 0) << lv.out;
    EXPECT_NE(lv.out.find("intact: 2 entries"), std::string::npos) << lv.out;
    EXPECT_EQ(run("log show 99", home).code, 1);
    std::filesystem::remove_all(home);
}
