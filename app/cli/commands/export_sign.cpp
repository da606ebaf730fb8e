// SPDX-License-Identifier: MIT
#include "export_sign.h"

#if ATELIER_HAVE_PROVENANCE
#include <cstdio>

#include "atelier/provenance/crypto.h"

namespace atelier::cli {

Result<nlohmann::json> sign_outgoing(Context& ctx, const std::filesystem::path& file, provenance::ExportSigning how) {
    if (how.keys_dir.empty()) how.keys_dir = ctx.config.get_string("provenance.keys_dir");
    auto r = provenance::sign_export(file, how);
    if (!r) {
        if (r.error().code == Errc::unsupported) {
            if (!ctx.quiet)
                std::fprintf(stderr, "atelier: note: %s is not signed: %s\n", file.c_str(), r.error().message.c_str());
            return nlohmann::json{{"signed", false}, {"reason", r.error().message}};
        }
        std::error_code ec;
        std::filesystem::remove(file, ec);
        return r.error().with_context("Content Credentials for " + file.string() +
                                      " (the file was removed; --no-sign exports without them)");
    }
    const auto keys = how.keys_dir.empty() ? provenance::KeyStore::default_dir() : how.keys_dir;
    return nlohmann::json{{"signed", true},
                          {"manifest", r->manifest_label},
                          {"trust_anchor", provenance::KeyStore(keys).ca_cert_path().string()}};
}

Result<nlohmann::json> sign_library_export(Context& ctx, const std::filesystem::path& exported,
                                           const std::filesystem::path& library_file, const std::string& licence,
                                           const std::filesystem::path& thumbnail_png) {
    provenance::ExportSigning how;
    how.parents.push_back(library_file);
    how.actions.push_back({"c2pa.published", "", nlohmann::json::object(), {}, "exported from the Atelier library"});
    if (!licence.empty()) how.license = nlohmann::json{{"terms", licence}};
    how.log_action = "export";
    if (!thumbnail_png.empty())
        if (auto bytes = provenance::read_file_bytes(thumbnail_png); bytes && !bytes->empty())
            how.thumbnail = provenance::ThumbnailSpec{"image/png", std::move(*bytes)};
    return sign_outgoing(ctx, exported, std::move(how));
}

void print_signing(const Context& ctx, const nlohmann::json& s) {
    if (ctx.json || ctx.quiet || !s.value("signed", false)) return;
    std::printf("  Content Credentials: %s\n", s.at("manifest").get<std::string>().c_str());
}

}  // namespace atelier::cli
#endif
