// SPDX-License-Identifier: MIT
#include "atelier/base/sysinfo.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <dlfcn.h>
#include <sched.h>

namespace atelier::sysinfo {

namespace {

std::uint64_t meminfo_kb(const std::string& key) {
    std::ifstream in("/proc/meminfo");
    std::string name;
    std::uint64_t value = 0;
    std::string unit;
    while (in >> name >> value >> unit)
        if (name == key + ":") return value;
    return 0;
}

struct DlCloser {
    void operator()(void* h) const noexcept {
        if (h != nullptr) dlclose(h);
    }
};

}  // namespace

CpuInfo cpu() {
    CpuInfo info;
    info.model = "unknown";
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    bool got_model = false;
    bool got_flags = false;
    while (std::getline(in, line) && !(got_model && got_flags)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        auto key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
        auto value = colon + 2 <= line.size() ? line.substr(colon + 2) : std::string{};
        if (key == "model name" && !got_model) {
            info.model = value;
            got_model = true;
        } else if (key == "flags" && !got_flags) {
            std::istringstream fs(value);
            std::string f;
            static const char* wanted[] = {"avx2",        "fma",      "avx512f",  "avx512_bf16",
                                           "avx512_vnni", "amx_bf16", "amx_tile", "f16c"};
            while (fs >> f)
                if (std::find_if(std::begin(wanted), std::end(wanted), [&](const char* w) { return f == w; }) !=
                    std::end(wanted))
                    info.flags.push_back(f);
            got_flags = true;
        }
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) info.logical_cores = static_cast<unsigned>(CPU_COUNT(&set));
    if (info.logical_cores == 0) info.logical_cores = std::max(1u, std::thread::hardware_concurrency());
    info.memory_bytes = meminfo_kb("MemTotal") * 1024;
    info.available_bytes = meminfo_kb("MemAvailable") * 1024;
    return info;
}

GpuProbe gpus() {
    GpuProbe probe;
    std::unique_ptr<void, DlCloser> lib(dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL));
    if (!lib) {
        probe.reason = "no NVIDIA driver (libcuda.so.1 not found)";
        return probe;
    }
    using InitFn = int (*)(unsigned);
    using CountFn = int (*)(int*);
    using GetFn = int (*)(int*, int);
    using NameFn = int (*)(char*, int, int);
    using MemFn = int (*)(std::size_t*, int);
    using AttrFn = int (*)(int*, int, int);
    using VerFn = int (*)(int*);
    auto init = reinterpret_cast<InitFn>(dlsym(lib.get(), "cuInit"));
    auto count = reinterpret_cast<CountFn>(dlsym(lib.get(), "cuDeviceGetCount"));
    auto get = reinterpret_cast<GetFn>(dlsym(lib.get(), "cuDeviceGet"));
    auto name = reinterpret_cast<NameFn>(dlsym(lib.get(), "cuDeviceGetName"));
    auto mem = reinterpret_cast<MemFn>(dlsym(lib.get(), "cuDeviceTotalMem_v2"));
    auto attr = reinterpret_cast<AttrFn>(dlsym(lib.get(), "cuDeviceGetAttribute"));
    auto ver = reinterpret_cast<VerFn>(dlsym(lib.get(), "cuDriverGetVersion"));
    if (!init || !count || !get || !name || !mem || !attr) {
        probe.reason = "the NVIDIA driver library lacks the expected entry points";
        return probe;
    }
    if (ver != nullptr) ver(&probe.driver_version);
    if (int rc = init(0); rc != 0) {
        probe.reason = "cuInit failed with CUDA error " + std::to_string(rc) + " (driver present, no usable GPU)";
        return probe;
    }
    int n = 0;
    if (count(&n) != 0 || n == 0) {
        probe.reason = "the NVIDIA driver reports no GPU";
        return probe;
    }
    constexpr int kMajor = 75;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
    constexpr int kMinor = 76;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR
    for (int i = 0; i < n; ++i) {
        int dev = 0;
        if (get(&dev, i) != 0) continue;
        GpuInfo g;
        g.index = i;
        char buf[256] = {};
        if (name(buf, sizeof(buf) - 1, dev) == 0) g.name = buf;
        std::size_t bytes = 0;
        if (mem(&bytes, dev) == 0) g.memory_bytes = bytes;
        attr(&g.compute_major, kMajor, dev);
        attr(&g.compute_minor, kMinor, dev);
        probe.devices.push_back(std::move(g));
    }
    return probe;
}

}  // namespace atelier::sysinfo
