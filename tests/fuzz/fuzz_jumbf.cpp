// SPDX-License-Identifier: MIT
// libFuzzer target: JUMBF box parsing and the PNG/JPEG/TIFF/WebP manifest
// locators, stripping and embedding.
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
        // Stripping then embedding a small store must give a file in which the
        // locator finds exactly that store (or fail cleanly on the way).
        if (auto stripped = strip_manifest(in, *fmt)) {
            if (auto plan = Embedding::plan(*stripped, *fmt)) {
                const Bytes store = make_superbox(jumbf_uuid::manifest_store, "c2pa", {});
                (void)plan->exclusions(store.size());
                (void)plan->data_hash(store.size());
                const Bytes out = plan->assemble(store);
                auto again = find_manifest(out, *fmt);
                if (!again || !again->store || *again->store != store) __builtin_trap();
            }
        }
    }
    return 0;
}
