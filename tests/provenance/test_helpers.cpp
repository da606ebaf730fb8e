// SPDX-License-Identifier: MIT
#include "test_helpers.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "atelier/base/paths.h"
#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"
#include "atelier/test/process.h"

namespace atelier::provenance::testing {

std::filesystem::path temp_dir(const std::string& name) {
    auto d = std::filesystem::temp_directory_path() / ("atelier-prov-" + name + "-" + random_uuid());
    std::filesystem::create_directories(d);
    return d;
}

Bytes make_image(const std::string& ext, int width, int height, std::uint32_t seed) {
    auto img = procedural::seamless_waves(width, height, seed);
    if (!img) return {};
    const auto dir = temp_dir("img");
    const auto file = dir / ("image" + ext);
    if (!imageio::save(*img, file)) return {};
    auto bytes = read_file_bytes(file);
    std::filesystem::remove_all(dir);
    return bytes ? *bytes : Bytes{};
}

Bytes make_rgba_image(const std::string& ext, int width, int height, std::uint32_t seed) {
    auto rgb = procedural::seamless_waves(width, height, seed);
    if (!rgb) return {};
    auto img = Image::create(width, height, 4, PixelType::u8, true);
    if (!img) return {};
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            for (int c = 0; c < 3; ++c)
                img->set_sample(x, y, c, rgb->sample(x, y, c));
            img->set_sample(x, y, 3, static_cast<float>(x) / static_cast<float>(width));
        }
    const auto dir = temp_dir("img");
    const auto file = dir / ("image" + ext);
    if (!imageio::save(*img, file)) return {};
    auto bytes = read_file_bytes(file);
    std::filesystem::remove_all(dir);
    return bytes ? *bytes : Bytes{};
}

const CertificateAuthority& test_ca() {
    static const CertificateAuthority ca = [] {
        auto r = CertificateAuthority::create({"Atelier Test CA", "Atelier tests", ""});
        ATELIER_ASSERT(r.ok(), "creating the test CA");
        return std::move(*r);
    }();
    return ca;
}

const SigningIdentity& test_identity(SigningAlg alg) {
    static std::mutex mu;
    static std::vector<std::pair<SigningAlg, std::unique_ptr<SigningIdentity>>> ids;
    std::lock_guard lock(mu);
    for (auto& [a, id] : ids)
        if (a == alg) return *id;
    auto key = Key::generate(alg);
    ATELIER_ASSERT(key.ok(), "generating a test key");
    auto cert = test_ca().issue_signing_cert(*key, {"Test Creator", "Atelier tests", ""});
    ATELIER_ASSERT(cert.ok(), "issuing a test certificate");
    ids.emplace_back(alg, std::make_unique<SigningIdentity>(
                              SigningIdentity{std::move(*key), alg, {std::move(*cert), test_ca().certificate()}}));
    return *ids.back().second;
}

ManifestSpec generated_spec() {
    ManifestSpec s;
    s.title = "generated.png";
    s.actions.push_back({"c2pa.created", digital_source::trained_algorithmic, nlohmann::json::object(), {}, ""});
    s.generation = nlohmann::json{{"model", {{"id", "sd-turbo"}, {"version", "1.0"}, {"sha256", std::string(64, 'a')}}},
                                  {"prompt", "seamless blue waves"},
                                  {"negative_prompt", "text"},
                                  {"seed", 42},
                                  {"steps", 4},
                                  {"sampler", "euler"},
                                  {"pipeline", nlohmann::json::array({"generate", "upscale"})}};
    s.license = nlohmann::json{{"terms", "standard"}, {"licensor", "Test Creator"}, {"scope", "print and web"}};
    return s;
}

std::size_t find_bytes(const Bytes& hay, std::string_view needle, std::size_t from) {
    auto it = std::search(hay.begin() + static_cast<long>(from), hay.end(), needle.begin(), needle.end(),
                          [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); });
    return it == hay.end() ? std::string::npos : static_cast<std::size_t>(it - hay.begin());
}

#ifdef ATELIER_CLI
CliRun run_cli(const std::string& args, const std::filesystem::path& home) {
    std::string models;
    for (const auto& d : paths::model_dirs())
        models += (models.empty() ? "" : ":") + d.string();
    auto r = atelier::test::run_shell(std::string("'") + ATELIER_CLI + "' " + args,
                                      atelier::test::isolated_home(home, models));
    return {r.code, r.out + r.err};
}
#endif

}  // namespace atelier::provenance::testing
