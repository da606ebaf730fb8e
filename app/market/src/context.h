// SPDX-License-Identifier: MIT
#pragma once

// Private to atelier-market: the state shared by the route files and the
// helpers they use (authentication, JSON parsing, counters, transparency log
// appends, the change feed, rate limits, payment provider, upload checks).

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/image/image.h"
#include "atelier/market_server/app.h"
#include "atelier/market_server/crypto.h"
#include "atelier/market_server/db.h"
#include "atelier/market_server/http.h"
#include "listing_index.h"

namespace atelier::market_server {

using json = nlohmann::json;

std::int64_t now_s();

/// Token bucket per key (IP or account): `per_minute` requests in a burst,
/// refilled continuously at per_minute/60 per second, so there is no window
/// boundary to game. Thread-safe.
class RateLimiter {
public:
    explicit RateLimiter(int per_minute) : m_limit(per_minute) {}
    void set_limit(int per_minute) { m_limit = per_minute; }
    /// True when the request may go ahead; otherwise `retry_after` seconds.
    bool allow(const std::string& key, int& retry_after);

private:
    struct Bucket {
        double tokens;
        std::chrono::steady_clock::time_point at;
    };
    int m_limit;
    std::mutex m_mu;
    std::map<std::string, Bucket> m_buckets;
};

/// What a payment provider reports for one charge.
struct Charge {
    bool succeeded = false;
    std::string provider_ref;    ///< the provider's id for the charge
    std::string decline_reason;  ///< when !succeeded
};

/// A payment provider. `charge` must be idempotent on `idempotency_key`: the
/// same key never moves money twice (real providers — Stripe, Adyen — take
/// the key as a header). The built-in `TestPaymentProvider` moves no money:
/// method "test_ok" (default) succeeds, "test_decline" is declined.
class PaymentProvider {
public:
    virtual ~PaymentProvider() = default;
    [[nodiscard]] virtual std::string name() const = 0;
    virtual Result<Charge> charge(const std::string& idempotency_key, const std::string& buyer_id, std::int64_t amount,
                                  const std::string& currency, const std::string& method) = 0;
};

class TestPaymentProvider final : public PaymentProvider {
public:
    std::string name() const override { return "test"; }
    Result<Charge> charge(const std::string& idempotency_key, const std::string& buyer_id, std::int64_t amount,
                          const std::string& currency, const std::string& method) override;
};

/// Verdict of one upload check.
struct CheckVerdict {
    bool reject = false;       ///< refuse the upload outright (422)
    bool flag = false;         ///< send to the moderation queue instead of going live
    bool unavailable = false;  ///< the check could not run (module or model missing); `reason` says why
    std::string reason;
    json summary;  ///< recorded under the listing's provenance.checks.<name>
};

/// What a check looks at: the completed file, its decoded image, its SHA-256.
struct UploadFacts {
    const std::filesystem::path& file;
    const Image& image;
    const std::string& sha256;
};

/// A check run on a completed upload before its listing is created
/// (checks.cpp: exact duplicate, C2PA validation, nsfw moderation, perceptual
/// near-duplicates, and the seam for the watermark reader). Called
/// concurrently from the HTTP server's worker threads (never an I/O thread):
/// implementations are thread-safe.
class UploadCheck {
public:
    virtual ~UploadCheck() = default;
    [[nodiscard]] virtual std::string name() const = 0;
    virtual Result<CheckVerdict> check(Conn& conn, const UploadFacts& facts) = 0;
};

struct User {
    std::string id;
    std::string email;
    std::string role;  ///< buyer, creator, admin
    std::string display_name;
    [[nodiscard]] bool admin() const { return role == "admin"; }
};

struct Context {
    MarketOptions opt;
    std::unique_ptr<Db> db;
    SigningKey key;
    std::filesystem::path blobs_dir, uploads_dir;
    RateLimiter auth_ip{30}, auth_account{10}, upload_ip{600}, upload_account{600};
    std::unique_ptr<PaymentProvider> payments;
    std::vector<std::unique_ptr<UploadCheck>> checks;
    HttpServer* server = nullptr;
    /// Browse/search index of live listings (listing_index.h).
    std::unique_ptr<ListingIndex> listing_index = std::make_unique<ListingIndex>();

    // Cache of transparency-log leaf hashes (append-only, so a prefix cache
    // never goes stale; refreshed from the database for other instances' appends).
    std::mutex tlog_mu;
    std::vector<std::string> tlog_leaves;

    // Uploads with a chunk being received on this instance (see ChunkSink).
    std::mutex chunks_mu;
    std::set<std::string> chunks_in_flight;
    bool begin_chunk(const std::string& upload_id) {
        std::lock_guard lock(chunks_mu);
        return chunks_in_flight.insert(upload_id).second;
    }
    void end_chunk(const std::string& upload_id) {
        std::lock_guard lock(chunks_mu);
        chunks_in_flight.erase(upload_id);
    }

    // Uploads whose completion checks are running on this instance: GET
    // /v1/uploads/{id} reports them as "checking" instead of "open".
    std::mutex checking_mu;
    std::multiset<std::string> checking;
    void begin_checking(const std::string& upload_id) {
        std::lock_guard lock(checking_mu);
        checking.insert(upload_id);
    }
    void end_checking(const std::string& upload_id) {
        std::lock_guard lock(checking_mu);
        if (auto it = checking.find(upload_id); it != checking.end()) checking.erase(it);
    }
    [[nodiscard]] bool is_checking(const std::string& upload_id) {
        std::lock_guard lock(checking_mu);
        return checking.count(upload_id) != 0;
    }

    [[nodiscard]] std::filesystem::path blob_path(const std::string& sha) const {
        return blobs_dir / sha.substr(0, 2) / sha;
    }
};

/// Parses a JSON object body: nesting deeper than 32 levels, invalid UTF-8,
/// syntax errors and non-objects give invalid_argument with a clear message.
Result<json> parse_body(const Request& req);

/// Session from `Authorization: Bearer <token>`; permission_denied (→ 401) when
/// absent, unknown, expired or revoked.
Result<User> authenticate(Context& ctx, Conn& conn, Request& req);
/// 401 response for a failed authentication.
Response unauthorized(const Error& e);

/// Atomically increments a named counter; returns the new value (inside the caller's transaction).
Result<std::int64_t> next_counter(Conn& conn, const std::string& name);
/// Appends an event to the transparency log inside the caller's transaction; returns its index.
Result<std::int64_t> tlog_append(Conn& conn, const std::string& kind, const std::string& ref, const json& data);
/// Records a change for the sync feed; `scope_user` empty = visible to everyone.
Result<void> record_change(Conn& conn, const std::string& kind, const std::string& ref,
                           const std::string& scope_user = {});
/// Leaf hashes of the first `n` log entries (n = 0: all); uses and refreshes the cache.
Result<std::vector<std::string>> tlog_leaves(Context& ctx, Conn& conn, std::int64_t& size);

/// Lower-case hex check.
bool is_hex(std::string_view s, std::size_t len);
/// Text is valid UTF-8 without control characters (except \n, \t).
bool clean_text(std::string_view s, std::size_t max_bytes);

/// The listing as the API shows it.
json listing_json(const Row& r);
/// Column list matching listing_json.
extern const char* kListingColumns;

/// Preview: downscale to `long_side`, blend a visible diagonal watermark.
Result<Image> make_preview(const Image& src, int long_side);
/// Registers the upload checks this build has (checks.cpp).
Result<void> register_default_checks(Context& ctx);

// Route families (one file each).
void add_ops_routes(Router& r, Context& ctx);
void add_account_routes(Router& r, Context& ctx);
void add_upload_routes(Router& r, Context& ctx);
void add_listing_routes(Router& r, Context& ctx);
void add_licence_routes(Router& r, Context& ctx);
void add_log_routes(Router& r, Context& ctx);
void add_admin_routes(Router& r, Context& ctx);

/// After a committed listing write: the browse index refreshes before its next answer.
void bump_listing_version();

/// Shorthand: Result error → HTTP response.
inline Response err(const Error& e) {
    return error_response(e);
}

}  // namespace atelier::market_server
