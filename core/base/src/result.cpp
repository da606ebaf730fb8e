// SPDX-License-Identifier: MIT
#include "atelier/base/result.h"

#include <cstdio>
#include <cstdlib>

namespace atelier {

std::string_view errc_name(Errc code) noexcept {
    switch (code) {
        case Errc::invalid_argument:
            return "invalid_argument";
        case Errc::not_found:
            return "not_found";
        case Errc::io_error:
            return "io_error";
        case Errc::unsupported:
            return "unsupported";
        case Errc::limit_exceeded:
            return "limit_exceeded";
        case Errc::corrupt_data:
            return "corrupt_data";
        case Errc::cancelled:
            return "cancelled";
        case Errc::busy:
            return "busy";
        case Errc::permission_denied:
            return "permission_denied";
        case Errc::conflict:
            return "conflict";
        case Errc::verification_failed:
            return "verification_failed";
        case Errc::internal:
            return "internal";
    }
    return "internal";
}

namespace detail {
void assert_fail(const char* cond, const char* msg, const char* file, int line) {
    std::fprintf(stderr, "atelier: internal error: %s (%s) at %s:%d\n", msg, cond, file, line);
    std::abort();
}
}  // namespace detail

}  // namespace atelier
