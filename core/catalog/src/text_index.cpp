// SPDX-License-Identifier: MIT
// Free text from memory (mem_index_p.h TextIndex): the full-text index's
// vocabulary split into common tokens (row bitmaps) and rare ones (a sorted
// list), kept current with FTS5's own tokenizer.
#include <algorithm>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "library_p.h"
#include "mem_index_p.h"
#include "sql_p.h"

namespace atelier::catalog {

namespace {

/// A token held by at least 1 row in this many is common (its bitmap costs
/// less memory than its doclist would as 32-bit row numbers).
constexpr std::size_t kCommonShare = 64;
/// At most this many bytes of common-token bitmaps (fewer tokens at larger sizes).
constexpr std::size_t kCommonBytes = std::size_t{64} << 20;
/// A prefix covering more rare tokens than this is left to FTS5's prefix query.
constexpr std::size_t kMaxRareTokens = 256;
/// A vocabulary larger than this is not held (free text then reads FTS5 only).
constexpr std::size_t kMaxVocabularyBytes = std::size_t{48} << 20;

std::string fts_quoted(std::string_view token) {
    std::string out = "\"";
    for (char c : token) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

void set_bit(RowBits& b, std::size_t r) {
    b[r >> 6] |= std::uint64_t{1} << (r & 63);
}

/// Sets the rows of the assets an FTS5 MATCH returns.
Result<void> match_rows(sql::Database& db, const MemIndex& ix, const std::string& match, RowBits& out) {
    auto st = db.cached(sql::kIdsFts);
    if (!st) return std::move(st).error();
    sql::StatementLease s(*st);
    s->bind(1, match);
    while (true) {
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (!*row) return ok();
        const auto r = mem_row_of(ix, s->int64(0));
        if (r >= 0 && static_cast<std::size_t>(r) < out.size() * 64) set_bit(out, static_cast<std::size_t>(r));
    }
}

}  // namespace

// ---- FtsTokenizer ----------------------------------------------------------------

Result<FtsTokenizer> FtsTokenizer::open(sql::Database& db) {
    fts5_api* api = nullptr;
    {
        auto s = db.prepare("SELECT fts5(?1)");
        if (!s) return std::move(s).error();
        sqlite3_bind_pointer(s->handle(), 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
        auto row = s->step();
        if (!row) return std::move(row).error();
    }
    if (api == nullptr) return fail(Errc::internal, "this SQLite has no FTS5 (needed for the library's text search)");
    FtsTokenizer t;
    void* user = nullptr;
    if (api->xFindTokenizer(api, "unicode61", &user, &t.m_api) != SQLITE_OK)
        return fail(Errc::internal, "FTS5 has no unicode61 tokenizer");
    const char* args[] = {"remove_diacritics", "2"};
    if (t.m_api.xCreate(user, args, 2, &t.m_tok) != SQLITE_OK) {
        t.m_tok = nullptr;
        return fail(Errc::internal, "cannot make FTS5's unicode61 tokenizer");
    }
    return t;
}

FtsTokenizer::~FtsTokenizer() {
    if (m_tok != nullptr) m_api.xDelete(m_tok);
}

void FtsTokenizer::tokenize(std::string_view text, bool query, const std::function<void(std::string_view)>& fn) const {
    if (m_tok == nullptr || text.empty()) return;
    auto cb = [](void* ctx, int, const char* token, int n, int, int) -> int {
        (*static_cast<const std::function<void(std::string_view)>*>(ctx))(
            std::string_view(token, static_cast<std::size_t>(n)));
        return SQLITE_OK;
    };
    const int flags = query ? (FTS5_TOKENIZE_QUERY | FTS5_TOKENIZE_PREFIX) : FTS5_TOKENIZE_DOCUMENT;
    m_api.xTokenize(m_tok, const_cast<std::function<void(std::string_view)>*>(&fn), flags, text.data(),
                    static_cast<int>(text.size()), cb);
}

// ---- TextIndex -------------------------------------------------------------------

std::size_t TextIndex::rare_lower_bound(std::string_view token) const noexcept {
    std::size_t lo = 0, hi = rare_count();
    while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (rare(mid) < token)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool TextIndex::is_rare(std::string_view token) const {
    const std::size_t lo = rare_lower_bound(token);
    if (lo < rare_count() && rare(lo) == token) return true;
    return rare_added.count(std::string(token)) != 0;
}

Result<TextIndex> TextIndex::load(sql::Database& db, const MemIndex& ix, const std::atomic<bool>* stop) {
    TextIndex t;
    const std::size_t n = ix.size();
    ATELIER_TRY(
        db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.atelier_fts_vocab "
                "USING fts5vocab(main, 'assets_fts', 'row')",
                "reading the full-text vocabulary"));
    // Every token with its document count, in token order.
    std::string all_text;
    std::vector<std::uint32_t> all_end;
    std::vector<std::int64_t> docs;
    {
        auto s = db.prepare("SELECT term, doc FROM temp.atelier_fts_vocab");
        if (!s) return std::move(s).error();
        while (true) {
            auto row = s->step();
            if (!row) return std::move(row).error();
            if (!*row) break;
            if ((all_end.size() & 4095) == 0 && stop && stop->load())
                return fail(Errc::cancelled, "loading the library index: cancelled");
            all_text += s->text_view(0);
            if (all_text.size() > kMaxVocabularyBytes) {
                spdlog::info("the full-text vocabulary is over {} MB: free text is searched through FTS5 only",
                             kMaxVocabularyBytes >> 20);
                (void)db.exec("DROP TABLE IF EXISTS temp.atelier_fts_vocab", "reading the full-text vocabulary");
                return t;  // not loaded
            }
            all_end.push_back(static_cast<std::uint32_t>(all_text.size()));
            docs.push_back(s->int64(1));
        }
    }
    ATELIER_TRY(db.exec("DROP TABLE IF EXISTS temp.atelier_fts_vocab", "reading the full-text vocabulary"));
    auto token = [&](std::size_t i) {
        const std::uint32_t b = i == 0 ? 0 : all_end[i - 1];
        return std::string_view(all_text).substr(b, all_end[i] - b);
    };
    // The common tokens: the most frequent ones over the share, as many as the memory cap allows.
    const std::int64_t threshold = static_cast<std::int64_t>(std::max<std::size_t>(2, n / kCommonShare));
    const std::size_t words = (n + 63) / 64;
    const std::size_t cap = std::max<std::size_t>(16, kCommonBytes / std::max<std::size_t>(1, words * 8));
    std::vector<std::size_t> picked;
    for (std::size_t i = 0; i < docs.size(); ++i)
        if (docs[i] >= threshold) picked.push_back(i);
    if (picked.size() > cap) {
        std::nth_element(picked.begin(), picked.begin() + static_cast<std::ptrdiff_t>(cap), picked.end(),
                         [&](std::size_t a, std::size_t b) { return docs[a] > docs[b]; });
        picked.resize(cap);
        std::sort(picked.begin(), picked.end());
    }
    std::vector<std::uint8_t> is_common(docs.size(), 0);
    for (std::size_t i : picked)
        is_common[i] = 1;
    for (std::size_t i = 0; i < docs.size(); ++i) {
        if (is_common[i]) continue;
        t.rare_text += token(i);
        t.rare_end.push_back(static_cast<std::uint32_t>(t.rare_text.size()));
    }
    for (std::size_t i : picked) {
        if (stop && stop->load()) return fail(Errc::cancelled, "loading the library index: cancelled");
        t.common.emplace_back(token(i));
        t.common_rows.emplace_back(words, 0);
        ATELIER_TRY(match_rows(db, ix, fts_quoted(t.common.back()), t.common_rows.back()));
    }
    t.loaded = true;
    return t;
}

Result<void> TextIndex::update_rows(sql::Database& db, const MemIndex& ix, std::span<const std::uint32_t> rows,
                                    bool fresh) {
    if (!loaded || rows.empty()) return ok();
    const std::size_t words = (ix.size() + 63) / 64;
    for (auto& b : common_rows)
        if (b.size() < words) b.resize(words, 0);
    auto tok = FtsTokenizer::open(db);
    if (!tok) return std::move(tok).error();
    auto st = db.cached(sql::kFtsColumnsOf);
    if (!st) return std::move(st).error();
    std::unordered_set<std::string> seen;
    for (std::uint32_t r : rows) {
        if (!fresh)
            for (auto& b : common_rows)
                b[r >> 6] &= ~(std::uint64_t{1} << (r & 63));
        sql::StatementLease s(*st);
        s->bind(1, ix.id[r]);
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (!*row) continue;  // no text (removed)
        seen.clear();
        for (int c = 0; c < 5; ++c)
            tok->tokenize(s->text_view(c), false, [&](std::string_view t) {
                if (!seen.emplace(t).second) return;
                auto it = std::lower_bound(common.begin(), common.end(), t);
                if (it != common.end() && *it == t) {
                    set_bit(common_rows[static_cast<std::size_t>(it - common.begin())], r);
                } else if (!is_rare(t)) {
                    rare_added.emplace(t);
                }
            });
    }
    return ok();
}

Result<bool> TextIndex::prefix_rows(sql::Database& db, const MemIndex& ix, std::string_view token, RowBits& out) const {
    if (!loaded) return false;
    // Rare tokens first: too many of them and FTS5's prefix query is the better tool.
    std::vector<std::string_view> rares;
    {
        for (std::size_t i = rare_lower_bound(token); i < rare_count() && rare(i).starts_with(token); ++i) {
            rares.push_back(rare(i));
            if (rares.size() > kMaxRareTokens) return false;
        }
        for (auto it = rare_added.lower_bound(std::string(token)); it != rare_added.end() && it->starts_with(token);
             ++it) {
            rares.push_back(*it);
            if (rares.size() > kMaxRareTokens) return false;
        }
    }
    const std::size_t words = (ix.size() + 63) / 64;
    out.assign(words, 0);
    for (auto it = std::lower_bound(common.begin(), common.end(), token); it != common.end() && it->starts_with(token);
         ++it) {
        const RowBits& b = common_rows[static_cast<std::size_t>(it - common.begin())];
        const std::size_t m = std::min(words, b.size());
        for (std::size_t w = 0; w < m; ++w)
            out[w] |= b[w];
    }
    if (!rares.empty()) {
        std::string match;
        for (auto r : rares)
            match += (match.empty() ? "" : " OR ") + fts_quoted(r);
        ATELIER_TRY(match_rows(db, ix, match, out));
    }
    return true;
}

}  // namespace atelier::catalog
