// SPDX-License-Identifier: MIT
#pragma once
// Shared fixtures for the provenance tests: procedural test images encoded
// through imageio, a throw-away CA and signing identity, temp folders.
#include <filesystem>
#include <string>

#include "atelier/provenance/crypto.h"
#include "atelier/provenance/manifest.h"

namespace atelier::provenance::testing {

std::filesystem::path temp_dir(const std::string& name);
/// A PNG or JPEG (by extension) of a procedural image, as bytes.
Bytes make_image(const std::string& ext, int width, int height, std::uint32_t seed);
/// The same with an alpha channel (a horizontal ramp).
Bytes make_rgba_image(const std::string& ext, int width, int height, std::uint32_t seed);
/// One CA and one ES256 identity per test process (and an Ed25519 one).
const CertificateAuthority& test_ca();
const SigningIdentity& test_identity(SigningAlg alg = SigningAlg::es256);
/// A spec with c2pa.created (trainedAlgorithmicMedia), generation and license.
ManifestSpec generated_spec();
/// The index of the first occurrence of `needle` in `hay` (npos if none).
std::size_t find_bytes(const Bytes& hay, std::string_view needle, std::size_t from = 0);

#ifdef ATELIER_CLI
/// What one `atelier` run printed (stdout and stderr) and its exit code.
struct CliRun {
    int code = -1;
    std::string out;
};
/// Runs the CLI as an isolated user whose home is `home` (keys, log and
/// library live under `home/.local/share/atelier`) with the real model folders.
CliRun run_cli(const std::string& args, const std::filesystem::path& home);
#endif

}  // namespace atelier::provenance::testing
