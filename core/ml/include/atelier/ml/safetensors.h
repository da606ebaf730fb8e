// SPDX-License-Identifier: MIT
#pragma once

/// \file safetensors.h
/// The safetensors format without LibTorch: an 8-byte little-endian header
/// length, a JSON header `{name: {dtype, shape, data_offsets: [begin, end]}}`
/// (plus optional `__metadata__`), then the raw data. `SafetensorsFile`
/// memory-maps the file read-only and validates the header before anything
/// is read: offsets inside the data section, no two tensors overlapping,
/// sizes matching dtype × shape, dtype one of F32/F16/BF16.
/// A `SafetensorsFile` is immutable after `open` and may be shared across
/// threads; the mapping lives as long as the object.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/base/result.h"
#include "atelier/ml/tensor.h"

namespace atelier::ml {

enum class StDtype : std::uint8_t { f32, f16, bf16 };

struct StTensorInfo {
    StDtype dtype = StDtype::f32;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0;  ///< offsets relative to the data section
    std::uint64_t end = 0;
};

struct StHeader {
    std::map<std::string, StTensorInfo> tensors;
    std::map<std::string, std::string> metadata;
    std::uint64_t data_offset = 0;  ///< where the data section starts in the file
};

/// Validates a header: `bytes` is the start of the file (at least the 8-byte
/// length and the JSON), `file_size` the whole file's size. Errors
/// (corrupt_data / unsupported) say which tensor and what is wrong.
Result<StHeader> parse_safetensors_header(std::span<const std::uint8_t> bytes, std::uint64_t file_size);

class SafetensorsFile {
public:
    /// Maps and validates `path`. Errors name the file.
    static Result<std::shared_ptr<SafetensorsFile>> open(const std::filesystem::path& path);
    ~SafetensorsFile();
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;

    [[nodiscard]] const StHeader& header() const noexcept { return m_header; }
    /// Raw bytes of a tensor (inside the mapping), or empty if the name is unknown.
    [[nodiscard]] std::span<const std::uint8_t> raw(const std::string& name) const;
    /// A tensor widened to float32. not_found names the tensor.
    [[nodiscard]] Result<TensorF32> to_f32(const std::string& name) const;

private:
    SafetensorsFile() = default;
    const std::uint8_t* m_map = nullptr;
    std::size_t m_size = 0;
    StHeader m_header;
    std::filesystem::path m_path;
};

/// Writes float32 tensors as a safetensors file (temp file + rename).
Result<void> write_safetensors(const std::filesystem::path& path, const std::map<std::string, TensorF32>& tensors,
                               const std::map<std::string, std::string>& metadata = {});

}  // namespace atelier::ml
