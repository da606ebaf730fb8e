// SPDX-License-Identifier: MIT
// Runtime functions that need no LibTorch; built into both the facade and the
// LibTorch module (which uses adaptive_threads and precision_name itself).
#include <algorithm>
#include <cmath>

#include "atelier/ml/runtime.h"

namespace atelier::ml {

Result<Precision> parse_precision(std::string_view name) {
    if (name == "fp32") return Precision::fp32;
    if (name == "bf16") return Precision::bf16;
    if (name == "fp16") return Precision::fp16;
    if (name == "auto" || name == "automatic") return Precision::automatic;
    return fail(Errc::invalid_argument, "precision '" + std::string(name) + "' is not one of fp32, bf16, fp16, auto");
}

std::string_view precision_name(Precision p) noexcept {
    switch (p) {
        case Precision::fp32:
            return "fp32";
        case Precision::bf16:
            return "bf16";
        case Precision::fp16:
            return "fp16";
        case Precision::automatic:
            return "auto";
    }
    return "fp32";
}

int adaptive_threads(int cores, double load) {
    if (cores < 1) cores = 1;
    if (load < 0) return cores;
    const double free = static_cast<double>(cores) - load;
    return std::clamp(static_cast<int>(std::lround(free)), 1, cores);
}

void follow_queue(Runtime& runtime, const JobQueue& queue) {
    runtime.set_queue_source([&queue] { return queue.queued() + queue.running(); });
}

}  // namespace atelier::ml
