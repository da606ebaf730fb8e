// SPDX-License-Identifier: MIT
// Decode and encode throughput (MP/s) for PNG, JPEG and TIFF at 4 MP, and
// whole-file conversions side by side with oiiotool (OpenImageIO's own CLI)
// and `atelier convert`, in the same run on the same files.
//   bench_imageio [--atelier PATH] [--reps N]     → JSON lines on stdout
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"
#include "test_util.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

template <class Fn>
double median_ms(int reps, Fn fn) {
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
        auto t0 = Clock::now();
        fn();
        t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

void emit(const nlohmann::json& j) {
    std::printf("%s\n", j.dump().c_str());
}

}  // namespace

int main(int argc, char** argv) {
    std::string cli;
    int reps = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--atelier")
            cli = argv[i + 1];
        else if (a == "--reps")
            reps = std::atoi(argv[i + 1]);
    }
    const int w = 2000, h = 2000;  // 4 MP
    const double mp = w * static_cast<double>(h) / 1e6;
    const fs::path dir = fs::temp_directory_path() / "atelier-bench-imageio";
    fs::create_directories(dir);
    auto img = atelier::procedural::noise_texture(w, h, 7);
    if (!img) {
        std::fprintf(stderr, "%s\n", img.error().message.c_str());
        return 1;
    }
    for (const char* ext : {"png", "jpg", "tif"}) {
        const fs::path f = dir / (std::string("src.") + ext);
        const double enc = median_ms(reps, [&] {
            if (auto r = atelier::imageio::save(*img, f); !r) std::abort();
        });
        const double dec = median_ms(reps, [&] {
            if (auto r = atelier::imageio::load(f); !r) std::abort();
        });
        emit({{"bench", "imageio.encode"},
              {"format", ext},
              {"megapixels", mp},
              {"median_ms", enc},
              {"mp_per_s", mp / enc * 1000}});
        emit({{"bench", "imageio.decode"},
              {"format", ext},
              {"megapixels", mp},
              {"median_ms", dec},
              {"mp_per_s", mp / dec * 1000}});
    }
    const std::pair<const char*, const char*> convs[] = {{"png", "tif"}, {"jpg", "png"}, {"tif", "jpg"}};
    for (auto [from, to] : convs) {
        const fs::path in = dir / (std::string("src.") + from);
        const fs::path out = dir / (std::string("out.") + to);
        const double api = median_ms(reps, [&] {
            auto l = atelier::imageio::load(in);
            if (!l || !atelier::imageio::save(*l, out)) std::abort();
        });
        const std::string oiio_cmd = "oiiotool '" + in.string() + "' -o '" + out.string() + "' >/dev/null 2>&1";
        const double oiio = median_ms(reps, [&] {
            if (std::system(oiio_cmd.c_str()) != 0) std::abort();
        });
        nlohmann::json j{{"bench", "convert"},
                         {"from", from},
                         {"to", to},
                         {"megapixels", mp},
                         {"atelier_api_ms", api},
                         {"oiiotool_ms", oiio},
                         {"ratio_oiiotool_over_api", oiio / api}};
        if (!cli.empty()) {
            const std::string cmd = "'" + cli + "' --quiet convert '" + in.string() + "' '" + out.string() + "'";
            const double proc = median_ms(reps, [&] {
                if (std::system(cmd.c_str()) != 0) std::abort();
            });
            j["atelier_cli_ms"] = proc;
            j["ratio_oiiotool_over_cli"] = oiio / proc;
        }
        emit(j);
    }
    // A PNG whose header claims 100000x100000: refused before decoding.
    const fs::path bomb = dir / "bomb.png";
    atelier::test::write_bytes(bomb, atelier::test::png_claiming(100000, 100000));
    const double refuse = median_ms(reps * 4, [&] {
        if (atelier::imageio::load(bomb).ok()) std::abort();
    });
    emit({{"bench", "imageio.refuse_header_bomb"}, {"claimed", "100000x100000"}, {"median_ms", refuse}});
    fs::remove_all(dir);
    return 0;
}
