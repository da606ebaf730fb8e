// SPDX-License-Identifier: MIT
// libFuzzer target: COSE_Sign1 parsing, certificate decoding and verification.
#include <cstddef>
#include <cstdint>

#include "atelier/provenance/cose.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace atelier::provenance;
    auto msg = cose_sign1_parse(ByteView(data, size));
    if (!msg) return 0;
    for (const auto& der : msg->x5chain) {
        auto cert = Certificate::from_der(der);
        if (!cert) continue;
        (void)cert->common_name();
        (void)cose_sign1_verify(*msg, cert->public_key(), ByteView(data, size / 2));
        (void)check_chain({*cert}, {});
        break;
    }
    return 0;
}
