// SPDX-License-Identifier: MIT
#pragma once

// Helpers for the catalog tests: temporary folders, generated PNG files with
// extra chunks (crafted metadata), XMP packets.

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace atelier::test {

/// A fresh empty folder under the build tree, unique per call.
std::filesystem::path temp_dir(const std::string& name);

/// Writes a small unique PNG (content depends on `seed`) and inserts the
/// given chunks (type, body) before IEND with correct CRCs.
bool write_png_with_chunks(const std::filesystem::path& path, std::uint32_t seed,
                           const std::vector<std::pair<std::string, std::string>>& chunks = {}, int size = 8);

/// An iTXt chunk body (uncompressed).
std::string itxt(const std::string& keyword, const std::string& text);
/// A tEXt chunk body.
std::string text_chunk(const std::string& keyword, const std::string& text);
/// An XMP packet with dc:title, dc:description and dc:subject.
std::string xmp_packet(const std::string& title, const std::string& description,
                       const std::vector<std::string>& keywords);

/// Writes `n` unique small PNGs named img-00000.png ... into `dir`.
void write_many_pngs(const std::filesystem::path& dir, int n, std::uint32_t first_seed = 0);

/// Path of the built `atelier` CLI.
std::filesystem::path atelier_binary();

}  // namespace atelier::test
