// SPDX-License-Identifier: MIT
// Content Credentials benchmark: sign + embed and verify a 4 MP PNG, JPEG, TIFF and WebP
// (pixel encoding excluded: the files are encoded once, up front), next to
// the C2PA reference implementation (c2pa-rs as @contentauth/c2pa-wasm in
// Node) doing the same on the same files in the same run.
//   bench_provenance [--reps N] [--peer-modules DIR]   (JSON lines on stdout)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"
#include "atelier/provenance/manifest.h"
#include "atelier/provenance/validate.h"

using namespace atelier;
using namespace atelier::provenance;
using nlohmann::json;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

template <class Fn>
std::vector<double> time_ms(int reps, Fn fn) {
    std::vector<double> out;
    for (int i = 0; i < reps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        out.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    int reps = 15;
    std::filesystem::path modules = std::filesystem::path(ATELIER_BINARY_DIR) / "peer-node" / "node_modules";
    for (int i = 1; i + 1 < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--reps") reps = std::max(1, std::atoi(argv[++i]));
        if (a == "--peer-modules") modules = argv[++i];
    }
    const auto dir = std::filesystem::temp_directory_path() / ("atelier-bench-prov-" + random_uuid());
    std::filesystem::create_directories(dir);

    // One identity for both implementations.
    auto ca = CertificateAuthority::create({"Bench CA", "Atelier", ""});
    auto key = Key::generate(SigningAlg::es256);
    auto cert = ca->issue_signing_cert(*key, {"Bench signer", "Atelier", ""});
    if (!ca || !key || !cert) return 1;
    const SigningIdentity id{*key, SigningAlg::es256, {*cert, ca->certificate()}};
    (void)key->save(dir / "signer.key");
    std::ofstream(dir / "chain.pem") << cert->pem() << ca->certificate().pem();
    std::ofstream(dir / "anchor.pem") << ca->certificate().pem();
    ValidationOptions trust;
    trust.trust_anchors.push_back(ca->certificate());

    // 4.2 MP: a procedural texture (compresses well) and random pixels (a
    // worst case for the hash: a 12 MB PNG).
    auto img = procedural::noise_texture(2048, 2048, 7);
    auto random = Image::create(2048, 2048, 3, PixelType::u8);
    if (!img || !random) return 1;
    {
        std::uint64_t x = 0x9E3779B97F4A7C15ULL;
        for (std::size_t i = 0; i < random->byte_size(); ++i) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            random->data()[i] = static_cast<std::uint8_t>(x);
        }
    }
    json peer_jobs = json::array();
    std::vector<json> rows;
    for (const std::string name : {"texture.png", "texture.jpg", "texture.tif", "texture.webp", "random.png"}) {
        const auto file = dir / name;
        if (!imageio::save(name == "random.png" ? *random : *img, file)) return 1;
        auto bytes = read_file_bytes(file);
        if (!bytes) return 1;
        ManifestSpec spec;
        spec.title = file.filename().string();
        spec.actions.push_back({"c2pa.created", digital_source::trained_algorithmic, json::object(), {}, ""});
        spec.generation = json{{"model", {{"id", "sd-turbo"}}}, {"prompt", "noise"}, {"seed", 7}, {"steps", 4}};
        SignResult signed_;
        const auto sign_ms = time_ms(reps, [&] {
            auto r = sign_asset(*bytes, spec, id);
            if (r) signed_ = std::move(r).value();
        });
        ValidationState state{};
        const auto verify_ms = time_ms(reps, [&] { state = validate_asset(signed_.asset, trust).state; });
        if (state != ValidationState::trusted) {
            std::fprintf(stderr, "our own file did not validate\n");
            return 1;
        }
        const std::string fmt = mime_type_for_name(name);
        rows.push_back({{"file", name},
                        {"format", fmt},
                        {"bytes", bytes->size()},
                        {"pixels", 2048 * 2048},
                        {"atelier_sign_ms", median(sign_ms)},
                        {"atelier_verify_ms", median(verify_ms)}});
        peer_jobs.push_back(
            {{"op", "bench"},
             {"in", file.string()},
             {"format", fmt},
             {"iterations", reps},
             {"key", (dir / "signer.key").string()},
             {"certs", (dir / "chain.pem").string()},
             {"trust", (dir / "anchor.pem").string()},
             {"definition",
              {{"title", spec.title},
               {"assertions",
                json::array(
                    {{{"label", "c2pa.actions.v2"},
                      {"data",
                       {{"actions", json::array({{{"action", "c2pa.created"},
                                                  {"digitalSourceType", digital_source::trained_algorithmic}}})}}}},
                     {{"label", "org.atelier.generation"}, {"data", *spec.generation}}})}}}});
    }
    json peer = json::array();
    const bool have_node = std::system("command -v node >/dev/null 2>&1") == 0;
    if (have_node && std::filesystem::exists(modules / "@contentauth/c2pa-wasm")) {
        std::ofstream(dir / "jobs.json") << peer_jobs.dump();
        const std::string cmd = "node '" + std::string(ATELIER_SOURCE_DIR) + "/tests/provenance/peer/c2pa_peer.mjs' '" +
                                modules.string() + "' '" + (dir / "jobs.json").string() + "' '" +
                                (dir / "results.json").string() + "'";
        if (std::system(cmd.c_str()) == 0) {
            std::ifstream in(dir / "results.json");
            peer = json::parse(in, nullptr, false);
        }
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
        json r = rows[i];
        r["bench"] = "provenance.sign_verify_4mp";
        r["reps"] = reps;
        if (peer.is_array() && i < peer.size() && peer[i].value("ok", false)) {
            const double ps = median(peer[i]["sign_ms"].get<std::vector<double>>());
            const double pv = median(peer[i]["verify_ms"].get<std::vector<double>>());
            r["c2pa_rs_wasm_sign_ms"] = ps;
            r["c2pa_rs_wasm_verify_ms"] = pv;
            r["sign_ratio_c2pa_rs_over_atelier"] = ps / r["atelier_sign_ms"].get<double>();
            r["verify_ratio_c2pa_rs_over_atelier"] = pv / r["atelier_verify_ms"].get<double>();
        } else {
            r["peer"] = have_node ? "c2pa-wasm not installed (run the peer tests once) or failed" : "node not found";
        }
        std::printf("%s\n", r.dump().c_str());
    }
    std::filesystem::remove_all(dir);
    return 0;
}
