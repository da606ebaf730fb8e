// SPDX-License-Identifier: MIT
#pragma once

/// \file provenance_hook.h
/// The seam through which the provenance module (C2PA) feeds the importer.
/// The catalog does not parse C2PA itself: the application wires an
/// implementation in through `ImportOptions::provenance`.

#include <filesystem>
#include <optional>

#include "atelier/base/result.h"
#include "atelier/catalog/types.h"

namespace atelier::catalog {

/// Reads the C2PA manifest of a file. Implementations must be thread-safe
/// (the importer may call from a worker thread) and must not throw.
class ProvenanceReader {
public:
    virtual ~ProvenanceReader() = default;
    /// std::nullopt when the file carries no manifest; an Error when a
    /// manifest is present but unreadable (the import records it as a warning
    /// and still adds the file).
    virtual Result<std::optional<ProvenanceSummary>> read(const std::filesystem::path& file) = 0;
};

}  // namespace atelier::catalog
