// SPDX-License-Identifier: MIT
// libFuzzer target: JUMBF box parsing and the PNG/JPEG manifest locators.
#include <cstddef>
#include <cstdint>

#include "atelier/provenance/container.h"
#include "atelier/provenance/jumbf.h"

namespace {
std::size_t walk(const atelier::provenance::JumbfBox& b) {
    std::size_t n = b.content_boxes.size();
    for (const auto& c : b.children)
        n += walk(c);
    return n;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace atelier::provenance;
    const ByteView in(data, size);
    if (auto box = parse_jumbf(in)) (void)walk(*box);
    // The same bytes as an asset: container parsing must fail cleanly or find a store.
    if (auto fmt = detect_format(in)) {
        if (auto em = find_manifest(in, *fmt); em && em->store) (void)parse_jumbf(*em->store);
        (void)strip_manifest(in, *fmt);
    }
    return 0;
}
