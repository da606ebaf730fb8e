// SPDX-License-Identifier: MIT
#include "atelier/ml/registry.h"

#include <algorithm>
#include <charconv>
#include <fstream>

namespace atelier::ml {

namespace fs = std::filesystem;

namespace {

Result<std::string> str_field(const nlohmann::json& j, const char* name, bool required = true) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) {
        if (required) return fail(Errc::corrupt_data, std::string("manifest has no \"") + name + "\" field");
        return std::string{};
    }
    if (!it->is_string())
        return fail(Errc::corrupt_data, std::string("manifest field \"") + name + "\" must be a string");
    return it->get<std::string>();
}

}  // namespace

int compare_versions(std::string_view a, std::string_view b) {
    while (!a.empty() || !b.empty()) {
        auto take = [](std::string_view& s) -> std::pair<long, std::string_view> {
            auto dot = s.find('.');
            auto part = s.substr(0, dot);
            s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
            long n = 0;
            auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
            return {ec == std::errc{} ? n : 0, std::string_view(p, part.data() + part.size() - p)};
        };
        auto [na, ra] = take(a);
        auto [nb, rb] = take(b);
        if (na != nb) return na < nb ? -1 : 1;
        if (ra != rb) {  // "1.0.0-beta" < "1.0.0"
            if (ra.empty()) return 1;
            if (rb.empty()) return -1;
            return ra < rb ? -1 : 1;
        }
    }
    return 0;
}

Result<ModelManifest> parse_manifest(const nlohmann::json& j, const fs::path& dir) {
    if (!j.is_object()) return fail(Errc::corrupt_data, "a manifest must be a JSON object");
    ModelManifest m;
    m.dir = dir;
    auto get = [&](const char* name, std::string& out, bool required = true) -> Result<void> {
        auto r = str_field(j, name, required);
        if (!r) return r.error();
        out = *r;
        return ok();
    };
    ATELIER_TRY(get("id", m.id));
    ATELIER_TRY(get("version", m.version));
    ATELIER_TRY(get("task", m.task));
    ATELIER_TRY(get("format", m.format));
    ATELIER_TRY(get("licence", m.licence));
    ATELIER_TRY(get("description", m.description, false));
    if (m.id.empty() || m.id.find_first_of("@/\\ ") != std::string::npos)
        return fail(Errc::corrupt_data, "model id '" + m.id + "' must be non-empty without '@', '/', '\\' or spaces");
    if (auto src = j.find("source"); src != j.end() && src->is_object()) {
        m.source_registry = src->value("registry", "");
        m.source_package = src->value("package", "");
        m.source_version = src->value("version", "");
    }
    auto files = j.find("files");
    if (files == j.end() || !files->is_array() || files->empty())
        return fail(Errc::corrupt_data, "manifest of '" + m.id + "' lists no files");
    for (const auto& f : *files) {
        if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("sha256") ||
            !f["sha256"].is_string())
            return fail(Errc::corrupt_data, "manifest of '" + m.id + "': every file needs \"path\" and \"sha256\"");
        ModelFile mf;
        mf.path = f["path"].get<std::string>();
        const fs::path rel(mf.path);
        if (rel.is_absolute() || mf.path.find("..") != std::string::npos)
            return fail(Errc::corrupt_data, "manifest of '" + m.id + "': file path '" + mf.path +
                                                "' must be relative and stay inside the model folder");
        auto d = sha256_from_hex(f["sha256"].get<std::string>());
        if (!d) return d.error().with_context("manifest of '" + m.id + "', file '" + mf.path + "'");
        mf.sha256 = *d;
        if (auto b = f.find("bytes"); b != f.end() && b->is_number_unsigned()) mf.bytes = b->get<std::uint64_t>();
        m.files.push_back(std::move(mf));
    }
    m.extra = j;
    return m;
}

Result<ModelManifest> read_manifest(const fs::path& manifest_path) {
    std::ifstream in(manifest_path);
    if (!in) return fail(Errc::io_error, "cannot read model manifest '" + manifest_path.string() + "'");
    nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded())
        return fail(Errc::corrupt_data, "model manifest '" + manifest_path.string() + "' is not valid JSON");
    auto m = parse_manifest(j, manifest_path.parent_path());
    if (!m) return m.error().with_context(manifest_path.string());
    return m;
}

ModelRegistry::ModelRegistry(ModelRegistry&&) noexcept = default;
ModelRegistry& ModelRegistry::operator=(ModelRegistry&&) noexcept = default;
ModelRegistry::~ModelRegistry() = default;

ModelRegistry ModelRegistry::scan(const std::vector<fs::path>& dirs) {
    ModelRegistry reg;
    std::set<std::string> seen;
    for (const auto& root : dirs) {
        std::error_code ec;
        if (!fs::is_directory(root, ec)) continue;
        fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
        for (; !ec && it != end; it.increment(ec)) {
            if (it.depth() > 2) {
                it.disable_recursion_pending();
                continue;
            }
            if (it->path().filename() != "manifest.json" || !it->is_regular_file(ec)) continue;
            auto m = read_manifest(it->path());
            if (!m) {
                reg.m_problems.push_back(m.error().message);
                continue;
            }
            if (!seen.insert(m->ref()).second) continue;  // an earlier (more specific) directory wins
            reg.m_models.push_back(std::move(m).value());
        }
    }
    std::sort(reg.m_models.begin(), reg.m_models.end(), [](const ModelManifest& a, const ModelManifest& b) {
        return a.id != b.id ? a.id < b.id : compare_versions(a.version, b.version) > 0;
    });
    return reg;
}

Result<const ModelManifest*> ModelRegistry::find(std::string_view ref) const {
    const auto at = ref.find('@');
    const auto id = ref.substr(0, at);
    const auto version = at == std::string_view::npos ? std::string_view{} : ref.substr(at + 1);
    const ModelManifest* best = nullptr;
    for (const auto& m : m_models) {
        if (m.id != id) continue;
        if (!version.empty() && m.version != version) continue;
        if (best == nullptr || compare_versions(m.version, best->version) > 0) best = &m;
    }
    if (best != nullptr) return best;
    std::string installed;
    for (const auto& m : m_models)
        installed += (installed.empty() ? "" : ", ") + m.ref();
    return fail(Errc::not_found,
                "model '" + std::string(ref) + "' is not installed" +
                    (installed.empty() ? std::string("; no models are installed (run installer/setup.sh models)")
                                       : "; installed: " + installed));
}

Result<void> ModelRegistry::verify(const ModelManifest& model, const CancelToken& cancel) const {
    const std::string key = model.dir.string() + "|" + model.ref();
    {
        std::lock_guard lk(*m_mu);
        if (m_verified.count(key) != 0) return ok();
    }
    for (const auto& f : model.files) {
        const fs::path p = model.file_path(f.path);
        std::error_code ec;
        const auto size = fs::file_size(p, ec);
        if (ec)
            return fail(Errc::not_found, "model " + model.ref() + " is missing its file '" + f.path +
                                             "'; reinstall it with installer/setup.sh models");
        if (f.bytes != 0 && size != f.bytes)
            return fail(Errc::verification_failed, "model " + model.ref() + ": file '" + f.path + "' is " +
                                                       std::to_string(size) + " bytes, the manifest says " +
                                                       std::to_string(f.bytes) +
                                                       "; reinstall it with installer/setup.sh models");
        auto h = sha256_file(p, cancel);
        if (!h) return h.error();
        if (*h != f.sha256)
            return fail(Errc::verification_failed, "model " + model.ref() + ": file '" + f.path +
                                                       "' does not match its SHA-256 in the manifest (got " +
                                                       to_hex(*h) + ", expected " + to_hex(f.sha256) +
                                                       "); the file is damaged or was replaced; reinstall it with "
                                                       "installer/setup.sh models");
    }
    std::lock_guard lk(*m_mu);
    m_verified.insert(key);
    return ok();
}

Result<const ModelManifest*> ModelRegistry::resolve(std::string_view ref, const CancelToken& cancel) const {
    auto m = find(ref);
    if (!m) return m;
    ATELIER_TRY(verify(**m, cancel));
    return m;
}

}  // namespace atelier::ml
