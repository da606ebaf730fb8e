// SPDX-License-Identifier: MIT
// libFuzzer target: the layers-model JSON parser (graph + weights manifest)
// and the JavaScript-literal converter used for nsfwjs modules.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "atelier/ml/tfjs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)atelier::ml::parse_model_json_text(text);
    if (auto json = atelier::ml::js_literal_to_json(text); json.ok()) (void)atelier::ml::parse_model_json_text(*json);
    (void)atelier::ml::base64_decode(text);
    return 0;
}
