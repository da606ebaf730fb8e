// SPDX-License-Identifier: MIT
// Publishing: chunked, resumable uploads. create → PUT chunks (offset +
// SHA-256 each, streamed from the socket into pwrite, then the offset is
// committed) → complete (whole-file hash, decode within limits, checks,
// preview, content-addressed blob, listing, transparency-log entry).
// Memory per chunk request is one 256 KiB read buffer, whatever the chunk size.
#include <fcntl.h>
#include <unistd.h>

#include <variant>

#include <fstream>

#include "atelier/base/hash.h"
#include "atelier/imageio/imageio.h"
#include "context.h"

namespace atelier::market_server {

Result<json> normalise_listing(const json& in, bool partial);                     // routes_listings.cpp
Result<void> index_listing(Conn& conn, const std::string& id, const json& meta);  // routes_listings.cpp

namespace {

std::string sniff_extension(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    unsigned char b[16] = {};
    in.read(reinterpret_cast<char*>(b), sizeof b);
    if (in.gcount() < 12) return {};
    if (b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') return ".png";
    if (b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return ".jpg";
    if ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0) ||
        (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42))
        return ".tif";
    if (b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' &&
        b[11] == 'P')
        return ".webp";
    if (b[0] == 0x76 && b[1] == 0x2f && b[2] == 0x31 && b[3] == 0x01) return ".exr";
    return {};
}

Result<void> link_into(const std::filesystem::path& from, const std::filesystem::path& to) {
    std::error_code ec;
    std::filesystem::create_directories(to.parent_path(), ec);
    if (std::filesystem::exists(to, ec)) return ok();  // content-addressed: same name, same bytes
    auto tmp = to;
    tmp += ".tmp" + random_hex_id().substr(0, 8);
    std::filesystem::create_hard_link(from, tmp, ec);
    if (ec) {
        ec.clear();
        std::filesystem::copy_file(from, tmp, ec);
        if (ec) return fail(Errc::io_error, "cannot store blob: " + ec.message());
    }
    int fd = ::open(tmp.c_str(), O_RDONLY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
    std::filesystem::rename(tmp, to, ec);
    if (ec) return fail(Errc::io_error, "cannot store blob: " + ec.message());
    return ok();
}

Response too_many(int retry_after) {
    auto r = Response::error(429, "rate_limited",
                             "too many upload requests; retry in " + std::to_string(retry_after) + " s");
    r.set_header("Retry-After", std::to_string(retry_after));
    return r;
}

json upload_json(const Row& r) {
    // id, size, sha256, chunk_size, received, state, listing_id, error
    json j = {{"id", r.str(0)},         {"size", r.i64(1)},     {"sha256", r.str(2)},
              {"chunk_size", r.i64(3)}, {"received", r.i64(4)}, {"state", r.str(5)}};
    if (!r.null(6)) j["listing_id"] = r.str(6);
    if (!r.null(7)) j["error"] = r.str(7);
    return j;
}
const char* kUploadCols = "id, size, sha256, chunk_size, received, state, listing_id, error, user_id, meta";

// The body of one chunk: hashed and written with pwrite as it arrives. At
// the end: the SHA-256 must match X-Chunk-SHA256, the bytes are fdatasynced
// when market.fsync_chunks is set, then the offset advances with a
// compare-and-set. That commit need not be fsynced (SQLite synchronous=NORMAL
// for it, PostgreSQL synchronous_commit=off): it survives a crash of this
// process either way, and if a power cut loses it the client simply resends
// from the older offset; a power cut that loses acknowledged bytes is caught
// at completion (every chunk's hash is re-checked, the upload rewinds).
// fd = -1: a retry of a chunk already stored — hashed and compared only.
class ChunkSink final : public BodySink {
public:
    ChunkSink(Context& ctx, std::string id, std::int64_t offset, std::int64_t len, std::int64_t size, std::string want,
              std::int64_t received, int fd)
        : m_ctx(ctx),
          m_id(std::move(id)),
          m_offset(offset),
          m_len(len),
          m_size(size),
          m_want(std::move(want)),
          m_received(received),
          m_fd(fd) {}
    ~ChunkSink() override {
        if (m_fd >= 0) {
            ::close(m_fd);
            m_ctx.end_chunk(m_id);
        }
    }
    ChunkSink(const ChunkSink&) = delete;
    ChunkSink& operator=(const ChunkSink&) = delete;

    Result<void> write(std::string_view piece) override {
        m_hash.update(piece);
        if (m_fd < 0) return ok();
        std::size_t done = 0;
        while (done < piece.size()) {
            auto n = ::pwrite(m_fd, piece.data() + done, piece.size() - done, m_offset + m_written);
            if (n <= 0) return fail(Errc::io_error, "writing the chunk failed; retry it");
            done += static_cast<std::size_t>(n);
            m_written += n;
        }
        return ok();
    }

    Response finish() override {
        auto progress = [&](int status, std::int64_t rec) {
            return Response::json(status, {{"id", m_id}, {"received", rec}, {"size", m_size}});
        };
        if (to_hex(m_hash.finish()) != m_want)
            return Response::error(422, "verification_failed",
                                   "the chunk's SHA-256 does not match X-Chunk-SHA256; resend it");
        if (m_fd < 0) return progress(200, m_received);  // an identical retry
        if (m_ctx.opt.fsync_chunks && ::fdatasync(m_fd) != 0)
            return Response::error(500, "io_error", "syncing the chunk failed; retry it");
        auto conn = m_ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto& c = **conn;
        const bool sqlite = c.backend() == Backend::sqlite;
        if (sqlite) {
            if (auto p = c.script("PRAGMA synchronous=NORMAL"); !p) return err(p.error());
        }
        auto r = commit(c);
        if (sqlite) (void)c.script("PRAGMA synchronous=FULL");  // the pool's connections stay FULL
        if (!r) return err(r.error());
        if (!*r)
            return Response::error(409, "conflict",
                                   "another request wrote this offset first; check GET /v1/uploads/" + m_id);
        return progress(200, m_offset + m_len);
    }

private:
    // The compare-and-set; false when another request advanced the offset first.
    Result<bool> commit(Conn& c) {
        Tx tx(c);
        ATELIER_TRY(tx.begin(true));
        if (c.backend() == Backend::postgres) ATELIER_TRY(c.script("SET LOCAL synchronous_commit = off"));
        auto up = c.exec("UPDATE uploads SET received = $3, updated = $4 WHERE id = $1 AND received = $2",
                         {m_id, m_offset, m_offset + m_len, now_s()});
        if (!up) return std::move(up).error();
        if (*up == 0) return false;
        auto ic = c.exec("INSERT INTO upload_chunks (upload_id, off, len, sha256) VALUES ($1, $2, $3, $4)",
                         {m_id, m_offset, m_len, m_want});
        if (!ic) return std::move(ic).error();
        ATELIER_TRY(tx.commit());
        return true;
    }

    Context& m_ctx;
    std::string m_id;
    std::int64_t m_offset, m_len, m_size;
    std::string m_want;
    std::int64_t m_received;
    int m_fd;
    std::int64_t m_written = 0;
    Sha256 m_hash;
};

}  // namespace

void add_upload_routes(Router& r, Context& ctx) {
    r.add("POST", "/v1/uploads", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = authenticate(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        if (u->role != "creator" && !u->admin())
            return Response::error(403, "forbidden", "only creator accounts can publish; register as a creator");
        int retry = 0;
        if (!ctx.upload_ip.allow(req.remote_ip, retry) || !ctx.upload_account.allow(u->id, retry))
            return too_many(retry);
        auto body = parse_body(req);
        if (!body) return err(body.error());
        auto& b = *body;
        if (!b.contains("size") || !b["size"].is_number_integer() || !b.contains("sha256") || !b["sha256"].is_string())
            return Response::error(400, "invalid_argument",
                                   "send {\"size\": bytes, \"sha256\": hex, \"listing\": {...}}");
        std::int64_t size = b["size"];
        std::string sha = b["sha256"];
        if (size <= 0 || size > ctx.opt.max_upload_bytes)
            return Response::error(413, "limit_exceeded",
                                   "size must be 1.." + std::to_string(ctx.opt.max_upload_bytes) + " bytes");
        if (!is_hex(sha, 64))
            return Response::error(400, "invalid_argument", "sha256 must be 64 lower-case hex digits");
        auto meta = normalise_listing(b.value("listing", json::object()), false);
        if (!meta) return err(meta.error());
        std::string id = random_hex_id();
        auto part = ctx.uploads_dir / (id + ".part");
        {
            std::ofstream f(part, std::ios::binary | std::ios::trunc);
            if (!f) return Response::error(500, "io_error", "cannot create the upload file");
        }
        auto ins = (*conn)->exec(
            "INSERT INTO uploads (id, user_id, size, sha256, chunk_size, received, state, meta, created, updated) "
            "VALUES ($1, $2, $3, $4, $5, 0, 'open', $6, $7, $7)",
            {id, u->id, size, sha, ctx.opt.chunk_bytes, meta->dump(), now_s()});
        if (!ins) return err(ins.error());
        auto res = Response::json(201, {{"id", id},
                                        {"size", size},
                                        {"sha256", sha},
                                        {"chunk_size", ctx.opt.chunk_bytes},
                                        {"received", 0},
                                        {"state", "open"}});
        res.set_header("Location", "/v1/uploads/" + id);
        return res;
    });

    r.add("GET", "/v1/uploads/{id}", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = authenticate(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        auto rows =
            (*conn)->query(std::string("SELECT ") + kUploadCols + " FROM uploads WHERE id = $1", {req.params["id"]});
        if (!rows) return err(rows.error());
        if (rows->empty() || ((*rows)[0].str(8) != u->id && !u->admin()))
            return Response::error(404, "not_found", "no such upload");
        auto j = upload_json((*rows)[0]);
        if (j["state"] == "open" && ctx.is_checking(req.params["id"])) j["state"] = "checking";
        return Response::json(200, j);
    });

    // Chunks stream straight from the socket into pwrite (ChunkSink): memory
    // is one 256 KiB read buffer per request, not the chunk.
    r.add_streaming(
        "PUT", "/v1/uploads/{id}/chunks",
        [&ctx](Request& req) -> std::variant<Response, std::unique_ptr<BodySink>> {
            auto conn = ctx.db->acquire();
            if (!conn) return err(conn.error());
            auto u = authenticate(ctx, **conn, req);
            if (!u) return unauthorized(u.error());
            int retry = 0;
            if (!ctx.upload_ip.allow(req.remote_ip, retry) || !ctx.upload_account.allow(u->id, retry))
                return too_many(retry);
            const std::string id = req.params["id"];
            auto rows = (*conn)->query(std::string("SELECT ") + kUploadCols + " FROM uploads WHERE id = $1", {id});
            if (!rows) return err(rows.error());
            if (rows->empty() || (*rows)[0].str(8) != u->id) return Response::error(404, "not_found", "no such upload");
            const auto& up = (*rows)[0];
            if (up.str(5) != "open")
                return Response::error(409, "conflict", "the upload is " + up.str(5) + "; no more chunks are accepted");
            std::int64_t size = up.i64(1), received = up.i64(4);
            auto parse = [](const std::string& text) -> std::int64_t {
                try {
                    std::size_t pos = 0;
                    auto v = std::stoll(text, &pos);
                    return pos == text.size() ? v : -1;
                } catch (...) {
                    return -1;
                }
            };
            std::int64_t offset = parse(req.query_or("offset"));
            std::int64_t len = parse(req.header("content-length"));
            if (offset < 0) return Response::error(400, "invalid_argument", "?offset= must be a non-negative integer");
            if (len <= 0) return Response::error(400, "invalid_argument", "empty chunk");
            if (offset + len > size)
                return Response::error(416, "out_of_range",
                                       "chunk [" + std::to_string(offset) + ", " + std::to_string(offset + len) +
                                           ") goes past the declared size " + std::to_string(size));
            auto want = req.header("x-chunk-sha256");
            if (!is_hex(want, 64))
                return Response::error(400, "invalid_argument",
                                       "X-Chunk-SHA256 must be the chunk's SHA-256 in lower-case hex");
            if (offset < received) {
                // A retry of a chunk we already have is fine (its body is hashed and
                // compared, not written); anything else is a conflict.
                auto c = (*conn)->query("SELECT len, sha256 FROM upload_chunks WHERE upload_id = $1 AND off = $2",
                                        {id, offset});
                if (!c) return err(c.error());
                if (!c->empty() && (*c)[0].i64(0) == len && (*c)[0].str(1) == want)
                    return std::make_unique<ChunkSink>(ctx, id, offset, len, size, want, received, -1);
                auto res = Response::error(
                    409, "conflict",
                    "offset " + std::to_string(offset) + " is already written; resume at " + std::to_string(received));
                res.set_header("Upload-Offset", std::to_string(received));
                return res;
            }
            if (offset > received) {
                auto res = Response::error(
                    409, "conflict",
                    "offset " + std::to_string(offset) + " leaves a gap; resume at " + std::to_string(received));
                res.set_header("Upload-Offset", std::to_string(received));
                return res;
            }
            // One chunk of an upload at a time per instance: two concurrent writers of
            // the same bytes could otherwise leave a failed one's bytes behind.
            if (!ctx.begin_chunk(id)) {
                auto res = Response::error(409, "conflict",
                                           "another chunk of this upload is being received; retry when it is done");
                res.set_header("Upload-Offset", std::to_string(received));
                return res;
            }
            auto part = ctx.uploads_dir / (id + ".part");
            int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
            if (fd < 0) {
                ctx.end_chunk(id);
                return Response::error(500, "io_error", "cannot open the upload file");
            }
            return std::make_unique<ChunkSink>(ctx, id, offset, len, size, want, received, fd);
        },
        static_cast<std::size_t>(ctx.opt.chunk_bytes));

    // Completion hashes, decodes and runs the checks (a moderation pass is
    // ~0.1 s+ of CPU): on the worker pool, so the I/O threads keep serving.
    r.add_worker("POST", "/v1/uploads/{id}/complete", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = authenticate(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        const std::string id = req.params["id"];
        auto rows = (*conn)->query(std::string("SELECT ") + kUploadCols + " FROM uploads WHERE id = $1", {id});
        if (!rows) return err(rows.error());
        if (rows->empty() || (*rows)[0].str(8) != u->id) return Response::error(404, "not_found", "no such upload");
        const auto up = (*rows)[0];
        auto finished = [&](const std::string& listing_id) -> Response {
            auto l =
                (*conn)->query(std::string("SELECT ") + kListingColumns + " FROM listings WHERE id = $1", {listing_id});
            if (!l || l->empty()) return Response::error(500, "internal", "listing missing");
            auto j = upload_json(up);
            j["state"] = "complete";
            j["listing"] = listing_json((*l)[0]);
            return Response::json(200, j);
        };
        if (up.str(5) == "complete") return finished(up.str(6));
        if (up.str(5) != "open") return Response::error(409, "conflict", "the upload " + up.str(5) + ": " + up.str(7));
        std::int64_t size = up.i64(1);
        if (up.i64(4) != size) {
            auto res = Response::error(409, "incomplete",
                                       "received " + std::to_string(up.i64(4)) + " of " + std::to_string(size) +
                                           " bytes; send the rest first");
            res.set_header("Upload-Offset", std::to_string(up.i64(4)));
            return res;
        }
        auto part = ctx.uploads_dir / (id + ".part");
        std::error_code ec;
        std::filesystem::resize_file(part, static_cast<std::uintmax_t>(size), ec);
        if (ec) return Response::error(500, "io_error", "the upload file is missing; start a new upload");
        // Visible as "checking" (GET /v1/uploads/{id}) while this runs.
        ctx.begin_checking(id);
        struct CheckingGuard {
            Context& ctx;
            std::string id;
            ~CheckingGuard() { ctx.end_checking(id); }
        } checking_guard{ctx, id};
        auto fail_upload = [&](int status, const std::string& code, const std::string& msg) {
            (void)(*conn)->exec(
                "UPDATE uploads SET state = 'failed', error = $2, updated = $3 WHERE id = $1 AND state = 'open'",
                {id, msg, now_s()});
            std::filesystem::remove(part, ec);
            return Response::error(status, code, msg);
        };
        {
            int fd = ::open(part.c_str(), O_RDONLY | O_CLOEXEC);
            bool synced = fd >= 0 && ::fdatasync(fd) == 0;
            if (fd >= 0) ::close(fd);
            if (!synced) return Response::error(500, "io_error", "cannot sync the upload file; retry");
        }
        auto digest = sha256_file(part);
        if (!digest) return err(digest.error());
        std::string sha = to_hex(*digest);
        if (sha != up.str(2)) {
            // Chunks acknowledged before a power loss may not have reached the
            // disk: find the first chunk whose bytes no longer match and rewind
            // the upload there, so the client resumes instead of starting over.
            auto chunks =
                (*conn)->query("SELECT off, len, sha256 FROM upload_chunks WHERE upload_id = $1 ORDER BY off", {id});
            if (!chunks) return err(chunks.error());
            std::ifstream in(part, std::ios::binary);
            std::string buf;
            for (const auto& ch : *chunks) {
                buf.resize(static_cast<std::size_t>(ch.i64(1)));
                in.seekg(ch.i64(0));
                in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
                if (in.gcount() == static_cast<std::streamsize>(buf.size()) && sha256_hex(buf) == ch.str(2)) continue;
                std::int64_t off = ch.i64(0);
                Tx tx(**conn);
                if (auto t = tx.begin(true); !t) return err(t.error());
                if (auto d = (*conn)->exec("DELETE FROM upload_chunks WHERE upload_id = $1 AND off >= $2", {id, off});
                    !d)
                    return err(d.error());
                if (auto u2 = (*conn)->exec("UPDATE uploads SET received = $2, updated = $3 WHERE id = $1",
                                            {id, off, now_s()});
                    !u2)
                    return err(u2.error());
                if (auto c = tx.commit(); !c) return err(c.error());
                auto res = Response::error(
                    409, "incomplete",
                    "chunk at offset " + std::to_string(off) + " was lost (e.g. by a power cut); resend from there");
                res.set_header("Upload-Offset", std::to_string(off));
                return res;
            }
            return fail_upload(
                422, "verification_failed",
                "the file's SHA-256 is " + sha + ", not the declared " + up.str(2) + "; upload it again");
        }
        auto ext = sniff_extension(part);
        if (ext.empty())
            return fail_upload(415, "unsupported", "the file is not a PNG, JPEG, TIFF, WebP or OpenEXR image");
        auto probe_path = ctx.uploads_dir / (id + ext);
        std::filesystem::remove(probe_path, ec);
        std::filesystem::create_hard_link(part, probe_path, ec);
        if (ec) return Response::error(500, "io_error", "cannot stage the upload for decoding");
        imageio::ImageLimits limits;
        limits.max_pixels = static_cast<std::uint64_t>(ctx.opt.max_image_pixels);
        limits.max_file_bytes = static_cast<std::uint64_t>(ctx.opt.max_upload_bytes);
        auto image = imageio::load(probe_path, limits);
        std::filesystem::remove(probe_path, ec);
        if (!image)
            return fail_upload(image.error().code == Errc::limit_exceeded ? 413 : 422, "undecodable",
                               "the image cannot be accepted: " + image.error().message);
        auto meta = json::parse(up.str(9));
        bool flagged = false;
        std::string flag_reason;
        json checks = json::object();
        std::string phash, dhash;
        const UploadFacts facts{part, *image, sha};
        for (auto& check : ctx.checks) {
            auto v = check->check(**conn, facts);
            if (!v) return err(v.error());
            if (v->reject) return fail_upload(422, "rejected", check->name() + ": " + v->reason);
            if (v->flag && !flagged) {
                flagged = true;
                flag_reason = check->name() + ": " + v->reason;
            }
            json c = v->summary.is_object() ? v->summary : json::object();
            c["status"] = v->unavailable ? "unavailable" : v->flag ? "flagged" : "passed";
            if (!v->reason.empty()) c["reason"] = v->reason;
            if (c.contains("phash")) phash = c["phash"].get<std::string>();
            if (c.contains("dhash")) dhash = c["dhash"].get<std::string>();
            checks[check->name()] = std::move(c);
        }
        auto preview = make_preview(*image, ctx.opt.preview_px);
        if (!preview) return err(preview.error());
        auto preview_tmp = ctx.uploads_dir / (id + ".preview.jpg");
        imageio::SaveOptions so;
        so.quality = 80;
        if (auto s = imageio::save(*preview, preview_tmp, so); !s) return err(s.error());
        auto pdig = sha256_file(preview_tmp);
        if (!pdig) return err(pdig.error());
        std::string psha = to_hex(*pdig);
        if (auto l = link_into(preview_tmp, ctx.blob_path(psha)); !l) return err(l.error());
        std::filesystem::remove(preview_tmp, ec);
        if (auto l = link_into(part, ctx.blob_path(sha)); !l) return err(l.error());

        json provenance = meta.value("provenance", json::object());
        // The C2PA validation summary is the listing's provenance summary;
        // every check's outcome is kept beside it.
        if (checks.contains("c2pa")) provenance["c2pa"] = checks["c2pa"];
        provenance["checks"] = checks;
        // Split: platform + contributors named by the provenance, the rest to the creator.
        json split = {{"platform_bp", ctx.opt.platform_bp}, {"contributors", json::array()}};
        if (provenance.contains("model_author") && provenance["model_author"].is_string())
            split["contributors"].push_back(
                {{"account", "model_author:" + provenance["model_author"].get<std::string>()},
                 {"bp", ctx.opt.model_author_bp}});
        if (provenance.contains("prompt_author") && provenance["prompt_author"].is_string())
            split["contributors"].push_back(
                {{"account", "prompt_author:" + provenance["prompt_author"].get<std::string>()},
                 {"bp", ctx.opt.prompt_author_bp}});

        Tx tx(**conn);
        if (auto t = tx.begin(true); !t) return err(t.error());
        auto again = (*conn)->query("SELECT state, listing_id FROM uploads WHERE id = $1", {id});
        if (!again) return err(again.error());
        if ((*again)[0].str(0) == "complete") {
            (void)tx.commit();  // read-only: nothing to keep
            return finished((*again)[0].str(1));
        }
        auto seq = next_counter(**conn, "listing");
        if (!seq) return err(seq.error());
        std::string lid = random_hex_id();
        std::string status = flagged ? "pending" : "live";
        std::int64_t now = now_s();
        auto ins = (*conn)->exec(
            "INSERT INTO listings (id, seq, creator_id, asset_sha256, title, description, tags, price, currency, "
            "offers, "
            "provenance, split, status, width, height, format, dhash, preview_sha256, flag_reason, created, updated, "
            "phash) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20, "
            "$21)",
            {lid,
             *seq,
             u->id,
             sha,
             meta["title"].get<std::string>(),
             meta["description"].get<std::string>(),
             meta["tags"].dump(),
             meta["price"].get<std::int64_t>(),
             meta["currency"].get<std::string>(),
             meta["offers"].dump(),
             provenance.dump(),
             split.dump(),
             status,
             std::int64_t{image->width()},
             std::int64_t{image->height()},
             image->metadata().source_format,
             dhash,
             psha,
             flagged ? Value(flag_reason) : Value(nullptr),
             now,
             phash.empty() ? Value(nullptr) : Value(phash)});
        if (!ins) return err(ins.error());
        if (auto ix = index_listing(**conn, lid, meta); !ix) return err(ix.error());
        if (flagged) {
            auto m = (*conn)->exec(
                "INSERT INTO moderation (listing_id, reason, state, created) VALUES ($1, $2, 'pending', $3)",
                {lid, flag_reason, now});
            if (!m) return err(m.error());
        } else {
            auto t = tlog_append(**conn, "publish", lid,
                                 {{"listing_id", lid}, {"asset_sha256", sha}, {"creator_id", u->id}, {"time", now}});
            if (!t) return err(t.error());
        }
        if (auto c = record_change(**conn, "listing", lid); !c) return err(c.error());
        auto upd = (*conn)->exec("UPDATE uploads SET state = 'complete', listing_id = $2, updated = $3 WHERE id = $1",
                                 {id, lid, now});
        if (!upd) return err(upd.error());
        if (auto c = tx.commit(); !c) return err(c.error());
        bump_listing_version();
        std::filesystem::remove(part, ec);
        return finished(lid);
    });
}

}  // namespace atelier::market_server
