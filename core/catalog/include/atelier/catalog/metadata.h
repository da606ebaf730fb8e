// SPDX-License-Identifier: MIT
#pragma once

/// \file metadata.h
/// What other tools already wrote into a file: the generation metadata of
/// Automatic1111 (`parameters` text), ComfyUI (`prompt`/`workflow` JSON),
/// InvokeAI (`invokeai_metadata`, `sd-metadata`, `Dream`), Fooocus
/// (`parameters` JSON), NovelAI (`Description`/`Comment`), the A1111 text in
/// a JPEG's EXIF UserComment, and XMP/IPTC keywords, title and description.
/// Malformed chunks (bad UTF-8, oversized, broken JSON, truncated XMP) are
/// ignored with a warning; nothing here fails the import of a file.
/// Pure functions apart from `read_file_metadata`; all thread-safe.

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/catalog/types.h"

namespace atelier::catalog {

struct FileMetadata {
    std::optional<GenerationInfo> generation;
    std::string title;
    std::string description;
    std::vector<std::string> keywords;
    std::string licence;                ///< XMP rights / usage terms, when given
    std::vector<std::string> warnings;  ///< what was ignored, and why
};

/// Parses the Automatic1111 `parameters` text (prompt lines, `Negative prompt:`
/// line, `Key: value, ...` line). nullopt when it is not in that format.
std::optional<GenerationInfo> parse_a1111_parameters(std::string_view text);
/// Parses ComfyUI's API graph (`prompt` chunk): the first sampler's seed,
/// steps and sampler, its checkpoint, and the prompt texts reachable from its
/// positive/negative inputs. The `workflow` JSON is kept verbatim.
std::optional<GenerationInfo> parse_comfyui(std::string_view prompt_json, std::string_view workflow_json,
                                            std::string* error = nullptr);

/// Reads generation metadata, title, description and keywords from text
/// attributes (PNG text chunks, as imageio returns them). Chunks larger than
/// `max_bytes` or not valid UTF-8 are ignored with a warning.
FileMetadata parse_text_attributes(const std::map<std::string, std::string>& attributes, std::size_t max_bytes);

/// As parse_text_attributes, plus what only a metadata library sees: EXIF
/// UserComment (A1111 in JPEG), XMP (dc:title, dc:description, dc:subject,
/// dc:rights) and IPTC (Keywords, ObjectName, Caption) through Exiv2.
FileMetadata read_file_metadata(const std::filesystem::path& file, const std::map<std::string, std::string>& attributes,
                                std::size_t max_bytes);

/// Whether `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool valid_utf8(std::string_view s) noexcept;

}  // namespace atelier::catalog
