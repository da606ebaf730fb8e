// SPDX-License-Identifier: MIT
// libFuzzer target: the safetensors header validator. The input is the start
// of a file; the file size is the input's size (and, from the first byte, a
// larger claimed size to exercise the past-the-end checks without reading).
#include <cstddef>
#include <cstdint>
#include <span>

#include "atelier/ml/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    (void)atelier::ml::parse_safetensors_header(bytes, size);
    if (size > 0) (void)atelier::ml::parse_safetensors_header(bytes, size + data[0] * 1024ull);
    return 0;
}
