// SPDX-License-Identifier: MIT
// Files written by other C2PA tools (tests/data/provenance/README.md lists
// what the reference implementation reports for each); our reader must
// reach the same verdicts.
#include <gtest/gtest.h>

#include "atelier/provenance/manifest.h"
#include "atelier/provenance/validate.h"

using namespace atelier;
using namespace atelier::provenance;

namespace {
ValidationReport read(const std::string& name) {
    auto bytes = read_file_bytes(std::filesystem::path(ATELIER_SOURCE_DIR) / "tests/data/provenance" / name);
    EXPECT_TRUE(bytes.ok());
    return bytes.ok() ? validate_asset(*bytes) : ValidationReport{};
}
std::vector<std::string> codes(const std::vector<Status>& list) {
    std::vector<std::string> out;
    for (const auto& s : list)
        out.push_back(s.code);
    return out;
}
}  // namespace

TEST(Interop, AdobeTestImageIsValidButUntrusted) {
    const auto r = read("ext_C.jpg");
    EXPECT_EQ(r.state, ValidationState::valid) << r.to_json().dump(1);
    EXPECT_EQ(codes(r.active.failure), std::vector<std::string>{"signingCredential.untrusted"});
    EXPECT_TRUE(r.active.has_success("claimSignature.validated"));
    EXPECT_TRUE(r.active.has_success("assertion.dataHash.match"));
    EXPECT_EQ(r.manifests.size(), 1u);
    EXPECT_EQ(r.manifests.at(r.active_label).at("signature_info").at("alg"), "PS256");
}

TEST(Interop, CawgFileIsValidButUntrusted) {
    const auto r = read("ext_C_with_CAWG_data.jpg");
    EXPECT_EQ(r.state, ValidationState::valid) << r.to_json().dump(1);
    EXPECT_EQ(codes(r.active.failure), std::vector<std::string>{"signingCredential.untrusted"});
    EXPECT_TRUE(r.active.has_success("assertion.dataHash.match"));
}

TEST(Interop, RemoteOnlyManifestIsReportedNotFetched) {
    const auto r = read("ext_PirateShip_save_credentials_to_cloud.jpg");
    EXPECT_EQ(r.state, ValidationState::no_manifest);
    ASSERT_TRUE(r.remote_url.has_value());
    EXPECT_EQ(r.remote_url->rfind("https://", 0), 0u) << *r.remote_url;
}

TEST(Interop, UnknownAlgorithmIsRefused) {
    const auto r = read("ext_no_alg.jpg");
    EXPECT_EQ(r.state, ValidationState::unreadable);
    EXPECT_NE(r.error.find("UnknownAlgorithm"), std::string::npos) << r.error;
}
