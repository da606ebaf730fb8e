// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <thread>

#include "atelier/base/sysinfo.h"

using namespace atelier;

TEST(Sysinfo, CpuIsDescribed) {
    auto cpu = sysinfo::cpu();
    EXPECT_GE(cpu.logical_cores, 1u);
    EXPECT_LE(cpu.logical_cores, std::max(1u, std::thread::hardware_concurrency()));
    EXPECT_GT(cpu.memory_bytes, 256ull << 20);
    EXPECT_LE(cpu.available_bytes, cpu.memory_bytes);
    EXPECT_FALSE(cpu.model.empty());
}

TEST(Sysinfo, GpuProbeExplainsAbsence) {
    auto g = sysinfo::gpus();
    if (g.devices.empty()) {
        EXPECT_FALSE(g.reason.empty()) << "an empty probe must say why";
    } else {
        for (const auto& d : g.devices) {
            EXPECT_FALSE(d.name.empty());
            EXPECT_GT(d.memory_bytes, 0u);
        }
    }
}
