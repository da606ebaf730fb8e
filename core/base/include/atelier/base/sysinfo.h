// SPDX-License-Identifier: MIT
#pragma once

/// \file sysinfo.h
/// What machine we run on: CPU model, cores, memory, and NVIDIA GPUs found
/// through the driver API (libcuda, loaded with dlopen so the build needs no
/// CUDA). Used by `atelier info` and by the device policy in `ml`.

#include <cstdint>
#include <string>
#include <vector>

namespace atelier::sysinfo {

struct CpuInfo {
    std::string model;                  ///< "AMD EPYC 9B14" or "unknown"
    unsigned logical_cores = 0;         ///< usable by this process (affinity)
    std::uint64_t memory_bytes = 0;     ///< physical memory
    std::uint64_t available_bytes = 0;  ///< MemAvailable
    std::vector<std::string> flags;     ///< the ones that matter: avx2, avx512f, avx512_bf16, amx_bf16
};

struct GpuInfo {
    int index = 0;
    std::string name;
    std::uint64_t memory_bytes = 0;
    int compute_major = 0;
    int compute_minor = 0;
};

struct GpuProbe {
    std::vector<GpuInfo> devices;
    std::string reason;  ///< why none were found ("libcuda.so.1 not found: no NVIDIA driver")
    int driver_version = 0;
};

CpuInfo cpu();
GpuProbe gpus();

}  // namespace atelier::sysinfo
