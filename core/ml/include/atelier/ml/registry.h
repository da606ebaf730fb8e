// SPDX-License-Identifier: MIT
#pragma once

/// \file registry.h
/// The model registry: finds installed models by their manifests, resolves
/// `id` or `id@version`, and verifies every file's SHA-256 before first use.
/// No LibTorch here (target `atelier::ml_registry`), so the desktop app can
/// list models without loading the inference runtime.
///
/// Layout: `<models dir>/<id>/<version>/manifest.json` with the files it
/// lists beside it (paths relative to the manifest). Several versions of a
/// model sit side by side. A manifest:
///   { "id": "esrgan-thick", "version": "1.0.0", "task": "upscale",
///     "format": "tfjs-layers", "licence": "MIT",
///     "source": { "registry": "npm", "package": "@upscalerjs/esrgan-thick", "version": "1.0.0" },
///     "files": [ { "path": "models/x4/model.json", "sha256": "…", "bytes": 1234 } ], … }
/// Fields beyond these are kept in `extra` for the runtime (scales, ranges).
///
/// Thread safety: a registry is immutable after `scan` except for the
/// verification cache, which is internally synchronised.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/base/cancel.h"
#include "atelier/base/hash.h"
#include "atelier/base/result.h"

namespace atelier::ml {

struct ModelFile {
    std::string path;  ///< relative to the manifest's folder
    Sha256Digest sha256{};
    std::uint64_t bytes = 0;
};

struct ModelManifest {
    std::string id;
    std::string version;
    std::string task;    ///< "upscale", "moderation", "embedding", ...
    std::string format;  ///< "tfjs-layers", "nsfwjs-layers", "safetensors", "torchscript"
    std::string licence;
    std::string description;
    std::string source_registry;
    std::string source_package;
    std::string source_version;
    std::vector<ModelFile> files;
    nlohmann::json extra;       ///< the whole manifest, for format-specific fields
    std::filesystem::path dir;  ///< folder holding manifest.json

    [[nodiscard]] std::string ref() const { return id + "@" + version; }
    /// Absolute path of a listed file.
    [[nodiscard]] std::filesystem::path file_path(const std::string& rel) const { return dir / rel; }
};

/// Parses a manifest; `dir` is where its files live. Errors name the field.
Result<ModelManifest> parse_manifest(const nlohmann::json& j, const std::filesystem::path& dir);
Result<ModelManifest> read_manifest(const std::filesystem::path& manifest_path);

/// Orders versions numerically by dot-separated parts ("1.10.0" > "1.9.2").
int compare_versions(std::string_view a, std::string_view b);

class ModelRegistry {
public:
    /// Scans `dirs` (missing ones are skipped) for `*/manifest.json` up to
    /// three levels deep. Broken manifests do not fail the scan: they are
    /// listed in `problems()` with the reason.
    static ModelRegistry scan(const std::vector<std::filesystem::path>& dirs);

    ModelRegistry() = default;
    ModelRegistry(ModelRegistry&&) noexcept;
    ModelRegistry& operator=(ModelRegistry&&) noexcept;
    ~ModelRegistry();

    [[nodiscard]] const std::vector<ModelManifest>& models() const noexcept { return m_models; }
    [[nodiscard]] const std::vector<std::string>& problems() const noexcept { return m_problems; }

    /// `id` (newest version) or `id@version`. not_found lists what is installed.
    Result<const ModelManifest*> find(std::string_view ref) const;

    /// Checks every file's size and SHA-256 against the manifest (once per
    /// process per model; later calls return the cached verdict). A mismatch
    /// is `verification_failed` naming the file and how to repair it.
    Result<void> verify(const ModelManifest& model, const CancelToken& cancel = {}) const;

    /// Find + verify.
    Result<const ModelManifest*> resolve(std::string_view ref, const CancelToken& cancel = {}) const;

private:
    std::vector<ModelManifest> m_models;
    std::vector<std::string> m_problems;
    mutable std::unique_ptr<std::mutex> m_mu = std::make_unique<std::mutex>();
    mutable std::set<std::string> m_verified;
};

}  // namespace atelier::ml
