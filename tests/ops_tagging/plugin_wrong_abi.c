/* SPDX-License-Identifier: MIT */
/* Test plugin built for a future tagger ABI: the loader must refuse it
 * without calling its entry point (which aborts). */
#include <stdint.h>
#include <stdlib.h>

#include "atelier/ops/tagger_plugin_abi.h"

__attribute__((visibility("default"))) uint32_t atelier_tagger_abi_version(void) {
    return ATELIER_TAGGER_ABI_VERSION + 98u;
}

__attribute__((visibility("default"))) const AtelierTaggerPlugin* atelier_tagger_plugin(void) {
    abort();
}
