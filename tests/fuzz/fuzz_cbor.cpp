// SPDX-License-Identifier: MIT
// libFuzzer target: the CBOR decoder (and re-encoding of what it accepts).
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "atelier/provenance/cbor.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace atelier::provenance;
    auto v = cbor_decode(ByteView(data, size));
    if (v) {
        // What decodes must re-encode and decode to the same value.
        auto again = cbor_decode(cbor_encode(*v));
        if (!again || !(*again == *v)) __builtin_trap();
        (void)cbor_to_json(*v).dump();
    }
    return 0;
}
