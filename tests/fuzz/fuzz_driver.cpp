// SPDX-License-Identifier: MIT
// A deterministic stand-in for libFuzzer's main, used when the project is not
// built with clang: runs every seed file, then `--iterations` mutations of
// them (bit flips, truncations, duplications, length-field bumps). This is
// the smoke run ctest executes on every compiler; the real libFuzzer builds
// live in the `fuzzers` target (see tests/fuzz/CMakeLists.txt).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
    long iterations = 2000;
    std::vector<std::vector<std::uint8_t>> seeds;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = std::atol(argv[++i]);
            continue;
        }
        const std::filesystem::path p(argv[i]);
        std::vector<std::filesystem::path> files;
        if (std::filesystem::is_directory(p)) {
            for (const auto& e : std::filesystem::directory_iterator(p))
                if (e.is_regular_file()) files.push_back(e.path());
        } else {
            files.push_back(p);
        }
        for (const auto& f : files) {
            std::ifstream in(f, std::ios::binary);
            seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
    }
    if (seeds.empty()) seeds.push_back({});
    for (const auto& s : seeds)
        LLVMFuzzerTestOneInput(s.data(), s.size());
    std::mt19937_64 rng(12345);
    for (long it = 0; it < iterations; ++it) {
        std::vector<std::uint8_t> d = seeds[rng() % seeds.size()];
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            if (d.empty()) {
                d.push_back(static_cast<std::uint8_t>(rng()));
                continue;
            }
            const std::size_t pos = rng() % d.size();
            switch (rng() % 5) {
                case 0:
                    d[pos] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
                    break;
                case 1:
                    d.resize(pos);
                    break;
                case 2:
                    d[pos] = static_cast<std::uint8_t>(rng());
                    break;
                case 3:
                    d.insert(d.begin() + static_cast<long>(pos), d.begin(),
                             d.begin() + static_cast<long>(std::min<std::size_t>(pos, 64)));
                    break;
                default:
                    d[pos] = 0xff;
                    break;
            }
        }
        LLVMFuzzerTestOneInput(d.data(), d.size());
    }
    std::printf("ran %zu seeds and %ld mutations without a crash\n", seeds.size(), iterations);
    return 0;
}
