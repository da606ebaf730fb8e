// SPDX-License-Identifier: MIT
#pragma once
/// \file log.h
/// The provenance log: an append-only, hash-chained, signed record of every
/// action on an asset (generate, import, edit, upscale, sign, publish,
/// license), stored in SQLite. It is the local half of the marketplace's
/// transparency log: each entry is self-contained and can be submitted as is.
///
/// Entry format (docs/ARCHITECTURE.md, "Provenance log"): the body is a CBOR
/// map written deterministically, in this key order:
///   {"v": 1, "seq": n, "time": RFC 3339 UTC, "action": text,
///    "asset": hex SHA-256 of the asset bytes, "manifest": C2PA label or "",
///    "details": map, "prev": hex SHA-256 of the previous body (64 zeros
///    for the first), "signer": hex SHA-256 of the signer's certificate DER}
/// hash = SHA-256(body); signature = COSE_Sign1 (detached payload = body,
/// x5chain in the protected header) by the user's key. The signed head
/// (seq, hash) kept in the database detects entries cut from the end.
///
/// Thread safety: one ProvenanceLog per thread; SQLite serializes writers
/// across processes (BEGIN IMMEDIATE). Failure: Result errors naming the file.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/provenance/crypto.h"

namespace atelier::provenance {

struct LogEntry {
    std::int64_t seq = 0;
    std::string time;
    std::string action;
    std::string asset_sha256;
    std::string manifest;
    nlohmann::json details = nlohmann::json::object();
    std::string prev_hash;
    std::string hash;
    std::string signer;  ///< hex SHA-256 of the signer certificate
    Bytes body;          ///< the signed CBOR body
    Bytes signature;     ///< COSE_Sign1 over body
    /// JSON for display and for submission to the marketplace log
    /// (body and signature base64-encoded alongside the decoded fields).
    nlohmann::json to_json() const;
};

/// One thing `verify` found wrong.
struct LogProblem {
    std::int64_t seq = 0;
    std::string kind;  ///< "edited", "removed", "reordered", "signature", "truncated", "untrusted"
    std::string message;
};

class ProvenanceLog {
public:
    /// Opens (creating if needed) the log at `db`. `signer` is used for
    /// appends; without one the log is read-only.
    static Result<ProvenanceLog> open(const std::filesystem::path& db,
                                      std::optional<SigningIdentity> signer = std::nullopt);
    /// `paths::data_dir()/provenance.db`.
    static std::filesystem::path default_path();

    ProvenanceLog(ProvenanceLog&&) noexcept;
    ProvenanceLog& operator=(ProvenanceLog&&) noexcept;
    ~ProvenanceLog();

    /// Appends one signed entry in a transaction; returns it.
    Result<LogEntry> append(const std::string& action, const std::string& asset_sha256,
                            const std::string& manifest = {}, const nlohmann::json& details = nlohmann::json::object());
    /// The entry with this sequence number (Errc::not_found if none).
    Result<LogEntry> get(std::int64_t seq) const;
    /// Entries in order (all when limit is 0), newest last.
    Result<std::vector<LogEntry>> list(std::size_t limit = 0) const;
    /// Entries about one asset (by hex SHA-256).
    Result<std::vector<LogEntry>> for_asset(const std::string& asset_sha256) const;
    /// Checks the chain, each signature and the signed head. Empty: intact.
    /// With `anchors`, each signer must also chain to one of them.
    Result<std::vector<LogProblem>> verify(const std::vector<Certificate>& anchors = {}) const;

private:
    struct Impl;
    explicit ProvenanceLog(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace atelier::provenance
