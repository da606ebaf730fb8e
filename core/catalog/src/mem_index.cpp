// SPDX-License-Identifier: MIT
#include "mem_index_p.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <functional>
#include <optional>

#include "library_p.h"
#include "sql_p.h"

namespace atelier::catalog {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool compare(std::int64_t v, CompareOp op, std::int64_t x) {
    switch (op) {
        case CompareOp::eq:
            return v == x;
        case CompareOp::lt:
            return v < x;
        case CompareOp::le:
            return v <= x;
        case CompareOp::gt:
            return v > x;
        case CompareOp::ge:
            return v >= x;
    }
    return false;
}

int column_of(const std::string& key) {
    if (key == "source") return MemIndex::source;
    if (key == "licence") return MemIndex::licence;
    if (key == "model") return MemIndex::model;
    if (key == "color") return MemIndex::color;
    if (key == "style") return MemIndex::style;
    if (key == "format") return MemIndex::format;
    return -1;
}

std::int64_t row_of(const MemIndex& ix, std::int64_t id) {
    const std::size_t n = ix.size();
    // Ids are dense in practice: try the direct slot before searching.
    if (id >= 1 && static_cast<std::size_t>(id) <= n && ix.id[static_cast<std::size_t>(id - 1)] == id) return id - 1;
    auto it = std::lower_bound(ix.id.begin(), ix.id.end(), id);
    if (it == ix.id.end() || *it != id) return -1;
    return it - ix.id.begin();
}

/// The rows whose text matches one free-text term (FTS5, prefix-matched),
/// as a bitmap, from the index's cache when it was asked for since the last
/// change. A single-token term comes from the text index (common words'
/// bitmaps + the exact rare tokens it covers); others (phrases such as
/// "art-deco", prefixes covering many rare tokens) from FTS5's prefix query.
/// The cache makes the next page, the facet counts and the next keystrokes
/// of the same words cost nothing.
Result<const RowBits*> term_rows(sql::Database& db, const MemIndex& ix, const std::string& term,
                                 const FtsTokenizer* tok) {
    std::string key = fts_match({term}, " ");
    if (auto it = ix.text_rows.find(key); it != ix.text_rows.end()) return &it->second;
    if (ix.text_rows.size() >= 64) ix.text_rows.clear();  // at most 64 words x 125 KB at a million assets
    if (tok != nullptr && ix.text.loaded) {
        std::vector<std::string> tokens;
        tok->tokenize(term, true, [&](std::string_view t) { tokens.emplace_back(t); });
        if (tokens.size() == 1) {
            RowBits bits;
            auto done = ix.text.prefix_rows(db, ix, tokens[0], bits);
            if (!done) return std::move(done).error();
            if (*done) return &(ix.text_rows[std::move(key)] = std::move(bits));
        }
    }
    std::vector<std::uint64_t> bits((ix.size() + 63) / 64, 0);
    auto st = db.cached(sql::kIdsFts);
    if (!st) return std::move(st).error();
    sql::StatementLease s(*st);
    s->bind(1, key);
    while (true) {
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        const auto r = row_of(ix, s->int64(0));
        if (r >= 0) bits[static_cast<std::size_t>(r) >> 6] |= std::uint64_t{1} << (static_cast<std::size_t>(r) & 63);
    }
    return &(ix.text_rows[std::move(key)] = std::move(bits));
}

/// Rows matching every filter of `q`, in row order.
/// Calls `visit` with every row matching every filter of `q`, in row order.
Result<void> each_matching_row(sql::Database& db, const MemIndex& ix, const ParsedQuery& q,
                               const std::function<void(std::uint32_t)>& visit) {
    const std::size_t n = ix.size();
    // Id-set filters (tags, keywords, collections, full text): count hits per row.
    std::vector<std::uint8_t> hits;
    std::vector<std::uint8_t> seen;
    int positive_sets = 0;

    // One filter may read several streams (a tag by name and by value): `seen`
    // keeps a row from counting twice for the same filter.
    auto apply_set = [&](std::initializer_list<std::string_view> sqls, const std::string& value,
                         bool negated) -> Result<void> {
        if (hits.empty()) hits.assign(n, 0);
        if (sqls.size() > 1) seen.assign(n, 0);
        if (!negated) ++positive_sets;
        for (auto sql_text : sqls) {
            auto st = db.cached(sql_text);
            if (!st) return std::move(st).error();
            sql::StatementLease s(*st);
            s->bind(1, value);
            while (true) {
                auto row = s->step();
                if (!row) return std::move(row).error();
                if (!*row) break;
                const auto r = row_of(ix, s->int64(0));
                if (r < 0) continue;
                const auto i = static_cast<std::size_t>(r);
                if (sqls.size() > 1) {
                    if (seen[i]) continue;
                    seen[i] = 1;
                }
                auto& h = hits[i];
                if (negated)
                    h = 255;
                else if (h != 255)
                    ++h;
            }
        }
        return ok();
    };
    // Tags come from the index's own lists (no SQL at all).
    auto apply_tag = [&](const std::string& value, bool negated) {
        if (hits.empty()) hits.assign(n, 0);
        if (!negated) ++positive_sets;
        const std::string key = lower(value);
        const std::vector<std::uint32_t>* lists[2] = {nullptr, nullptr};
        if (auto it = ix.tag_names.find(key); it != ix.tag_names.end()) lists[0] = &it->second;
        if (auto it = ix.tag_values.find(key); it != ix.tag_values.end()) lists[1] = &it->second;
        if (lists[0] && lists[1]) seen.assign(n, 0);
        for (const auto* list : lists) {
            if (list == nullptr) continue;
            for (std::uint32_t i : *list) {
                if (lists[0] && lists[1]) {
                    if (seen[i]) continue;
                    seen[i] = 1;
                }
                auto& h = hits[i];
                if (negated)
                    h = 255;
                else if (h != 255)
                    ++h;
            }
        }
    };
    auto apply_tag_filter = [&](const std::string& value, bool negated) -> Result<void> {
        if (mem_indexable_tag_value(value)) {
            apply_tag(value, negated);
            return ok();
        }
        return apply_set({sql::kIdsTagName, sql::kIdsTagValue}, value, negated);
    };
    // Free text: one row bitmap per term, kept until the library changes.
    std::vector<const std::vector<std::uint64_t>*> text_in, text_out;
    std::optional<FtsTokenizer> tokenizer;
    if ((!q.text.empty() || !q.excluded_text.empty()) && ix.text.loaded) {
        auto t = FtsTokenizer::open(db);
        if (!t) return std::move(t).error();
        tokenizer.emplace(std::move(t).value());
    }
    for (const auto* terms : {&q.text, &q.excluded_text})
        for (const auto& t : *terms) {
            auto bits = term_rows(db, ix, t, tokenizer ? &*tokenizer : nullptr);
            if (!bits) return std::move(bits).error();
            (terms == &q.text ? text_in : text_out).push_back(*bits);
        }
    struct ColPred {
        int col;
        int code;  // -1: the value is not in the library
        bool negated;
    };
    std::vector<ColPred> col_preds;
    std::vector<const QueryFilter*> num_preds;
    for (const auto& f : q.filters) {
        if (f.key == "tag")
            ATELIER_TRY(apply_tag_filter(f.value, f.negated));
        else if (f.key == "keyword")
            ATELIER_TRY(apply_set({sql::kIdsKeyword}, f.value, f.negated));
        else if (f.key == "collection")
            ATELIER_TRY(apply_set({sql::kIdsCollection}, f.value, f.negated));
        else if (int c = column_of(f.key); c >= 0)
            col_preds.push_back({c, ix.dicts[c].find(f.value), f.negated});
        else
            num_preds.push_back(&f);
    }
    for (const auto& p : col_preds)
        if (p.code < 0 && !p.negated) return ok();
    // Numeric filters resolved once (not a string compare per row).
    enum NumKind { k_seamless, k_width, k_height, k_rating, k_after, k_before };
    struct NumPred {
        NumKind kind;
        CompareOp op;
        std::int64_t number;
        bool negated;
    };
    std::vector<NumPred> nums;
    for (const QueryFilter* f : num_preds) {
        const NumKind k = f->key == "seamless" ? k_seamless
                          : f->key == "width"  ? k_width
                          : f->key == "height" ? k_height
                          : f->key == "rating" ? k_rating
                          : f->key == "after"  ? k_after
                                               : k_before;
        nums.push_back({k, f->op, f->number, f->negated});
    }
    auto check = [&](std::size_t i) {
        if (!ix.alive[i]) return;
        if (!hits.empty() && (hits[i] == 255 || hits[i] != positive_sets)) return;
        for (const auto& p : col_preds) {
            const bool eq = p.code >= 0 && ix.cols[p.col][i] == p.code;
            if (eq == p.negated) return;
        }
        for (const NumPred& f : nums) {
            bool m = false;
            switch (f.kind) {
                case k_seamless:
                    m = ix.seamless[i] == f.number;
                    break;
                case k_width:
                    m = compare(ix.width[i], f.op, f.number);
                    break;
                case k_height:
                    m = compare(ix.height[i], f.op, f.number);
                    break;
                case k_rating:
                    m = compare(ix.rating[i], f.op, f.number);
                    break;
                case k_after:
                    m = ix.created[i] >= f.number;
                    break;
                case k_before:
                    m = ix.created[i] < f.number;
                    break;
            }
            if (m == f.negated) return;
        }
        visit(static_cast<std::uint32_t>(i));
    };
    if (!text_in.empty()) {
        // Only the rows whose bits survive every text bitmap, 64 at a time.
        const std::size_t words = (n + 63) / 64;
        for (std::size_t w = 0; w < words; ++w) {
            std::uint64_t m = ~std::uint64_t{0};
            for (const auto* b : text_in)
                m &= (*b)[w];
            for (const auto* b : text_out)
                m &= ~(*b)[w];
            while (m != 0) {
                const std::size_t i = w * 64 + static_cast<std::size_t>(std::countr_zero(m));
                m &= m - 1;
                if (i < n) check(i);
            }
        }
        return ok();
    }
    for (std::size_t i = 0; i < n; ++i) {
        bool excluded = false;
        for (const auto* b : text_out)
            excluded = excluded || ((*b)[i >> 6] >> (i & 63) & 1) != 0;
        if (!excluded) check(i);
    }
    return ok();
}

/// Rows matching every filter of `q`, in row order.
Result<std::vector<std::uint32_t>> matching_rows(sql::Database& db, const MemIndex& ix, const ParsedQuery& q) {
    std::vector<std::uint32_t> rows;
    ATELIER_TRY(each_matching_row(db, ix, q, [&](std::uint32_t r) { rows.push_back(r); }));
    return rows;
}

}  // namespace

std::uint16_t MemIndex::Dict::code_of(std::string_view v) {
    std::string key = lower(v);
    auto it = codes.find(key);
    if (it != codes.end()) return it->second;
    const auto code = static_cast<std::uint16_t>(values.size());
    values.emplace_back(v);
    codes.emplace(std::move(key), code);
    return code;
}

int MemIndex::Dict::find(std::string_view v) const {
    auto it = codes.find(lower(v));
    return it == codes.end() ? -1 : it->second;
}

std::int64_t mem_row_of(const MemIndex& ix, std::int64_t id) {
    return row_of(ix, id);
}

bool mem_indexable_tag_value(std::string_view v) noexcept {
    if (v.empty()) return false;
    if (v[0] == '#') return false;
    // Hashes (perceptual hashes, digests): unique per asset like numbers.
    if (v.size() >= 8 && v.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos) return false;
    return v.find_first_not_of("0123456789.-+eE") != std::string_view::npos;
}

namespace {

/// Writes the columns of the row `s` points at (kMemIndexRow's columns) into row `r` (== size(): append).
Result<void> set_row(MemIndex& ix, std::size_t r, sql::Statement& s) {
    std::uint16_t codes[MemIndex::kCols];
    for (int c = 0; c < MemIndex::kCols; ++c) {
        if (ix.dicts[c].values.size() >= 65535)
            return fail(Errc::limit_exceeded, "too many distinct values to index in memory");
        codes[c] = ix.dicts[c].code_of(s.text_view(1 + c));
    }
    const std::int8_t seamless = s.is_null(7) ? std::int8_t{-1} : static_cast<std::int8_t>(s.int64(7) != 0);
    if (r == ix.id.size()) {
        ix.id.push_back(s.int64(0));
        for (int c = 0; c < MemIndex::kCols; ++c)
            ix.cols[c].push_back(codes[c]);
        ix.seamless.push_back(seamless);
        ix.width.push_back(static_cast<std::int32_t>(s.int64(8)));
        ix.height.push_back(static_cast<std::int32_t>(s.int64(9)));
        ix.rating.push_back(static_cast<std::uint8_t>(s.int64(10)));
        ix.created.push_back(s.int64(11));
        ix.alive.push_back(1);
        return ok();
    }
    for (int c = 0; c < MemIndex::kCols; ++c)
        ix.cols[c][r] = codes[c];
    ix.seamless[r] = seamless;
    ix.width[r] = static_cast<std::int32_t>(s.int64(8));
    ix.height[r] = static_cast<std::int32_t>(s.int64(9));
    ix.rating[r] = static_cast<std::uint8_t>(s.int64(10));
    ix.created[r] = s.int64(11);
    ix.alive[r] = 1;
    return ok();
}

/// Adds the tags of rows read from `t` (asset_id, name, value; ascending ids)
/// to the lists, for rows from `first_row` on. Appends when `append`.
Result<void> add_tags_sorted(MemIndex& ix, sql::Statement& t, std::size_t first_row) {
    std::size_t row = first_row;
    auto add = [](std::vector<std::uint32_t>& v, std::uint32_t r) {
        if (v.empty() || v.back() < r) {
            v.push_back(r);
            return;
        }
        auto it = std::lower_bound(v.begin(), v.end(), r);
        if (it == v.end() || *it != r) v.insert(it, r);
    };
    while (true) {
        auto r = t.step();
        if (!r) return std::move(r).error();
        if (!*r) return ok();
        const auto id = t.int64(0);
        while (row < ix.id.size() && ix.id[row] < id)
            ++row;
        if (row >= ix.id.size() || ix.id[row] != id) continue;
        add(ix.tag_names[lower(t.text_view(1))], static_cast<std::uint32_t>(row));
        if (auto v = t.text_view(2); mem_indexable_tag_value(v))
            add(ix.tag_values[lower(v)], static_cast<std::uint32_t>(row));
    }
}

Result<std::int64_t> scalar(sql::Database& db, std::string_view q) {
    auto st = db.cached(q);
    if (!st) return std::move(st).error();
    sql::StatementLease s(*st);
    auto row = s->step();
    if (!row) return std::move(row).error();
    return *row ? s->int64(0) : 0;
}

}  // namespace

Result<MemIndex> MemIndex::load(sql::Database& db, const std::atomic<bool>* stop) {
    MemIndex ix;
    auto seq = scalar(db, sql::kMaxChangeSeq);
    if (!seq) return std::move(seq).error();
    ix.change_seq = *seq;
    auto s = db.prepare(sql::kMemIndexLoad);
    if (!s) return std::move(s).error();
    while (true) {
        auto row = s->step();
        if (!row) return std::move(row).error();
        if (!*row) break;
        if ((ix.id.size() & 65535) == 0 && stop && stop->load())
            return fail(Errc::cancelled, "loading the library index: cancelled");
        ATELIER_TRY(set_row(ix, ix.id.size(), *s));
    }
    auto t = db.prepare(sql::kMemIndexTags);
    if (!t) return std::move(t).error();
    ATELIER_TRY(add_tags_sorted(ix, *t, 0));
    if (stop && stop->load()) return fail(Errc::cancelled, "loading the library index: cancelled");
    auto text = TextIndex::load(db, ix, stop);
    if (!text) return std::move(text).error();
    ix.text = std::move(text).value();
    return ix;
}

Result<bool> MemIndex::catch_up(sql::Database& db, std::size_t max_rows) {
    const std::size_t kMaxPatchedRows = max_rows;
    auto max_seq = scalar(db, sql::kMaxChangeSeq);
    if (!max_seq) return std::move(max_seq).error();
    if (*max_seq != change_seq) {
        auto min_seq = scalar(db, sql::kMinChangeSeq);
        if (!min_seq) return std::move(min_seq).error();
        if (*max_seq < change_seq || *min_seq > change_seq + 1) return false;  // pruned past us
    }
    // Changed or removed rows (new ones come below, by id).
    std::vector<AssetId> changed;
    if (*max_seq != change_seq) {
        auto st = db.cached(sql::kChangedSince);
        if (!st) return std::move(st).error();
        sql::StatementLease s(*st);
        s->bind(1, change_seq);
        const AssetId max_id = id.empty() ? 0 : id.back();
        while (true) {
            auto row = s->step();
            if (!row) return std::move(row).error();
            if (!*row) break;
            if (s->int64(0) <= max_id) changed.push_back(s->int64(0));
            if (changed.size() > kMaxPatchedRows) return false;
        }
    }
    std::vector<std::uint32_t> rows;
    for (AssetId a : changed) {
        auto it = std::lower_bound(id.begin(), id.end(), a);
        if (it != id.end() && *it == a) rows.push_back(static_cast<std::uint32_t>(it - id.begin()));
    }
    if (!rows.empty()) {
        // Drop those rows from every tag list, then re-read them.
        std::vector<std::uint8_t> mark(id.size(), 0);
        for (auto r : rows)
            mark[r] = 1;
        const bool few = rows.size() < 64;  // binary searches beat a scan of every list
        for (auto* lists : {&tag_names, &tag_values})
            for (auto& [k, v] : *lists) {
                if (few) {
                    for (auto r : rows)
                        if (auto it = std::lower_bound(v.begin(), v.end(), r); it != v.end() && *it == r) v.erase(it);
                } else {
                    v.erase(std::remove_if(v.begin(), v.end(), [&](std::uint32_t r) { return mark[r] != 0; }), v.end());
                }
            }
        auto st = db.cached(sql::kMemIndexRow);
        if (!st) return std::move(st).error();
        auto tt = db.cached(sql::kMemIndexTagsOf);
        if (!tt) return std::move(tt).error();
        for (auto r : rows) {
            {
                sql::StatementLease s(*st);
                s->bind(1, id[r]);
                auto row = s->step();
                if (!row) return std::move(row).error();
                if (!*row) {
                    alive[r] = 0;  // removed
                    continue;
                }
                ATELIER_TRY(set_row(*this, r, **st));
            }
            sql::StatementLease t(*tt);
            t->bind(1, id[r]);
            while (true) {
                auto row = t->step();
                if (!row) return std::move(row).error();
                if (!*row) break;
                auto add = [r](std::vector<std::uint32_t>& v) {
                    auto it = std::lower_bound(v.begin(), v.end(), r);
                    if (it == v.end() || *it != r) v.insert(it, r);
                };
                add(tag_names[lower(t->text_view(0))]);
                if (auto v = t->text_view(1); mem_indexable_tag_value(v)) add(tag_values[lower(v)]);
            }
        }
    }
    // New rows and their tags.
    const AssetId max_id = id.empty() ? 0 : id.back();
    const std::size_t first_new = id.size();
    {
        auto st = db.cached(sql::kMemIndexRowsAfter);
        if (!st) return std::move(st).error();
        sql::StatementLease s(*st);
        s->bind(1, max_id);
        while (true) {
            auto row = s->step();
            if (!row) return std::move(row).error();
            if (!*row) break;
            ATELIER_TRY(set_row(*this, id.size(), **st));
            if (id.size() - first_new > kMaxPatchedRows) return false;
        }
    }
    if (id.size() > first_new) {
        auto st = db.cached(sql::kMemIndexTagsAfter);
        if (!st) return std::move(st).error();
        sql::StatementLease s(*st);
        s->bind(1, max_id);
        ATELIER_TRY(add_tags_sorted(*this, **st, first_new));
    }
    // The words of changed and new rows.
    ATELIER_TRY(text.update_rows(db, *this, rows, false));
    if (id.size() > first_new) {
        std::vector<std::uint32_t> fresh(id.size() - first_new);
        for (std::size_t i = 0; i < fresh.size(); ++i)
            fresh[i] = static_cast<std::uint32_t>(first_new + i);
        ATELIER_TRY(text.update_rows(db, *this, fresh, true));
    }
    if (*max_seq != change_seq || id.size() > first_new) text_rows.clear();
    change_seq = *max_seq;
    return true;
}

bool mem_index_helps_search(const ParsedQuery& q) {
    if (q.sort == SortOrder::title) return false;
    if (!q.text.empty() || !q.excluded_text.empty()) return true;
    // Column filters alone are answered well by the SQL indexes in created_at
    // order; id sets (tags, keywords, collections) are where SQL must probe.
    return std::any_of(q.filters.begin(), q.filters.end(), [](const QueryFilter& f) {
        return f.key == "tag" || f.key == "keyword" || f.key == "collection";
    });
}

Result<Page> mem_search(sql::Database& db, const Library::Impl& impl, const MemIndex& ix, const ParsedQuery& q,
                        std::string_view cursor, int limit, bool with_total) {
    Page page;
    // Sort keys as ascending tuples (descending orders negated).
    struct Key {
        std::int64_t a, b, c;
        bool operator<(const Key& o) const { return a != o.a ? a < o.a : b != o.b ? b < o.b : c < o.c; }
    };
    auto key_of = [&](std::uint32_t r) -> Key {
        switch (q.sort) {
            case SortOrder::oldest:
                return {ix.created[r], ix.id[r], 0};
            case SortOrder::rating:
                return {-std::int64_t{ix.rating[r]}, -ix.created[r], -ix.id[r]};
            case SortOrder::width:
                return {-std::int64_t{ix.width[r]}, -ix.id[r], 0};
            default:
                return {-ix.created[r], -ix.id[r], 0};
        }
    };
    std::optional<Key> after;
    if (!cursor.empty()) {
        auto keys = decode_cursor(cursor, q.sort);
        if (!keys) return std::move(keys).error();
        std::vector<std::int64_t> k;
        for (const auto& j : *keys)
            k.push_back(j.get<std::int64_t>());
        switch (q.sort) {
            case SortOrder::oldest:
                after = Key{k[0], k[1], 0};
                break;
            case SortOrder::rating:
                after = Key{-k[0], -k[1], -k[2]};
                break;
            default:
                after = Key{-k[0], -k[1], 0};
                break;
        }
    }
    // One pass: count the matches, keep the best limit+1 after the cursor in
    // a bounded heap (no list of every match, no sort of it).
    const std::size_t cap = static_cast<std::size_t>(limit) + 1;
    auto better = [&](std::uint32_t x, std::uint32_t y) { return key_of(x) < key_of(y); };
    std::vector<std::uint32_t> rs;
    rs.reserve(cap + 1);
    std::int64_t total = 0;
    ATELIER_TRY(each_matching_row(db, ix, q, [&](std::uint32_t r) {
        ++total;
        if (after && !(*after < key_of(r))) return;
        if (rs.size() < cap) {
            rs.push_back(r);
            std::push_heap(rs.begin(), rs.end(), better);  // the worst kept row on top
        } else if (better(r, rs.front())) {
            std::pop_heap(rs.begin(), rs.end(), better);
            rs.back() = r;
            std::push_heap(rs.begin(), rs.end(), better);
        }
    }));
    std::sort_heap(rs.begin(), rs.end(), better);
    if (with_total) page.total = total;
    const bool more = rs.size() > static_cast<std::size_t>(limit);
    if (more) rs.resize(static_cast<std::size_t>(limit));
    // The page's rows from the database, in our order.
    nlohmann::json ids = nlohmann::json::array();
    for (auto r : rs)
        ids.push_back(ix.id[r]);
    std::unordered_map<AssetId, AssetSummary> got;
    {
        auto st = db.cached(sql::kSummariesByIds);
        if (!st) return std::move(st).error();
        sql::StatementLease s(*st);
        s->bind(1, ids.dump());
        while (true) {
            auto row = s->step();
            if (!row) return std::move(row).error();
            if (!*row) break;
            AssetSummary a;
            a.id = s->int64(0);
            a.hash = s->text(1);
            a.title = s->text(2);
            a.width = static_cast<int>(s->int64(4));
            a.height = static_cast<int>(s->int64(5));
            a.format = s->text(6);
            a.rating = static_cast<int>(s->int64(7));
            a.created_at = s->int64(8);
            a.path = impl.resolve(s->text_view(9), s->text_view(3));
            got.emplace(a.id, std::move(a));
        }
    }
    for (auto r : rs) {
        auto it = got.find(ix.id[r]);
        if (it != got.end()) page.items.push_back(std::move(it->second));
    }
    if (more && !page.items.empty()) page.next_cursor = encode_cursor(q.sort, page.items.back());
    ATELIER_TRY(fill_page_tags(db, page));
    return page;
}

Result<FacetCounts> mem_facets(sql::Database& db, const MemIndex& ix, const ParsedQuery& q) {
    auto rows = matching_rows(db, ix, q);
    if (!rows) return std::move(rows).error();
    static constexpr std::pair<const char*, int> kCols[] = {{"source", MemIndex::source},
                                                            {"licence", MemIndex::licence},
                                                            {"model", MemIndex::model},
                                                            {"color", MemIndex::color},
                                                            {"style", MemIndex::style}};
    std::vector<std::int64_t> counts[5];
    for (int c = 0; c < 5; ++c)
        counts[c].assign(ix.dicts[kCols[c].second].values.size(), 0);
    std::int64_t seamless[3] = {0, 0, 0};
    std::int64_t res_counts[5] = {0, 0, 0, 0, 0};
    static const char* kRes[] = {"under-1k", "1k", "2k", "4k", "8k+"};
    for (auto r : *rows) {
        for (int c = 0; c < 5; ++c)
            ++counts[c][ix.cols[kCols[c].second][r]];
        ++seamless[ix.seamless[r] + 1];
        const auto m = std::max(ix.width[r], ix.height[r]);
        ++res_counts[m >= 8192 ? 4 : m >= 4096 ? 3 : m >= 2048 ? 2 : m >= 1024 ? 1 : 0];
    }
    FacetCounts out;
    auto finish = [](std::vector<std::pair<std::string, std::int64_t>>& v) {
        std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
            return a.second > b.second || (a.second == b.second && a.first < b.first);
        });
    };
    for (int c = 0; c < 5; ++c) {
        auto& v = out.facets[kCols[c].first];
        const auto& dict = ix.dicts[kCols[c].second];
        for (std::size_t code = 0; code < counts[c].size(); ++code)
            if (counts[c][code] > 0 && !dict.values[code].empty()) v.emplace_back(dict.values[code], counts[c][code]);
        finish(v);
    }
    auto& sv = out.facets["seamless"];
    if (seamless[2]) sv.emplace_back("yes", seamless[2]);
    if (seamless[1]) sv.emplace_back("no", seamless[1]);
    finish(sv);
    auto& rv = out.facets["resolution"];
    for (int i = 0; i < 5; ++i)
        if (res_counts[i]) rv.emplace_back(kRes[i], res_counts[i]);
    finish(rv);
    return out;
}

}  // namespace atelier::catalog
