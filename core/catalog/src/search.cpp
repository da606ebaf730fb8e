// SPDX-License-Identifier: MIT
// The search query builder: joins the constant fragments of sql_p.h and binds
// every value. Keyset pagination: the cursor holds the sort key and id of the
// last row of the previous page.
#include <algorithm>
#include <unordered_map>
#include <variant>

#include <nlohmann/json.hpp>

#include "library_p.h"
#include "sql_p.h"

namespace atelier::catalog {

namespace {

using Value = std::variant<std::int64_t, std::string>;

struct Where {
    std::string sql;
    std::vector<Value> binds;
    void add(std::string_view clause, bool negated) {
        sql += sql.empty() ? " WHERE " : " AND ";
        if (negated) sql += "NOT ";
        sql += "(";
        sql += clause;
        sql += ")";
    }
};

/// A term for FTS5: quoted (so operators typed by users are plain text) and
/// prefix-matched.
std::string fts_term(const std::string& t) {
    std::string out = "\"";
    for (char c : t) {
        if (c == '"')
            out += "\"\"";
        else
            out += c;
    }
    out += "\"*";
    return out;
}

std::string_view op_sql(CompareOp op) {
    switch (op) {
        case CompareOp::eq:
            return " = ?";
        case CompareOp::lt:
            return " < ?";
        case CompareOp::le:
            return " <= ?";
        case CompareOp::gt:
            return " > ?";
        case CompareOp::ge:
            return " >= ?";
    }
    return " = ?";
}

/// Assets carrying a tag below this count are found through the tag index.
constexpr std::int64_t kRareTag = 20000;

Result<bool> rare_tag(sql::Database& db, const std::string& value) {
    auto st = db.cached(sql::kTagCountCapped);
    if (!st) return std::move(st).error();
    sql::StatementLease s(*st);
    s->bind(1, value).bind(2, value).bind(3, kRareTag);
    auto row = s->step();
    if (!row) return std::move(row).error();
    return *row && s->int64(0) < kRareTag;
}

/// `for_facets`: the whole matching set is needed, never in order.
Result<Where> build_where(sql::Database& db, const ParsedQuery& q, bool for_facets) {
    Where w;
    if (!q.text.empty()) {
        w.add(sql::kWhereFts, false);
        w.binds.emplace_back(fts_match(q.text, " "));
    }
    if (!q.excluded_text.empty()) {
        w.add(sql::kWhereFts, true);
        w.binds.emplace_back(fts_match(q.excluded_text, " OR "));
    }
    for (const auto& f : q.filters) {
        const std::string& k = f.key;
        if (k == "tag") {
            bool use_set = for_facets;
            if (!use_set && !f.negated) {
                auto rare = rare_tag(db, f.value);
                if (!rare) return std::move(rare).error();
                use_set = *rare;
            }
            w.add(use_set ? sql::kWhereTagSet : sql::kWhereTag, f.negated);
            w.binds.emplace_back(f.value);
            w.binds.emplace_back(f.value);
        } else if (k == "keyword") {
            w.add(sql::kWhereKeyword, f.negated);
            w.binds.emplace_back(f.value);
        } else if (k == "collection") {
            w.add(sql::kWhereCollection, f.negated);
            w.binds.emplace_back(f.value);
        } else if (k == "color" || k == "style" || k == "source" || k == "model" || k == "licence" || k == "format") {
            const std::string_view clause = k == "color"     ? sql::kWhereColor
                                            : k == "style"   ? sql::kWhereStyle
                                            : k == "source"  ? sql::kWhereSource
                                            : k == "model"   ? sql::kWhereModel
                                            : k == "licence" ? sql::kWhereLicence
                                                             : sql::kWhereFormat;
            w.add(clause, f.negated);
            w.binds.emplace_back(f.value);
        } else if (k == "seamless") {
            w.add(sql::kWhereSeamless, f.negated);
            w.binds.emplace_back(f.number);
        } else if (k == "after" || k == "before") {
            w.add(k == "after" ? sql::kWhereAfter : sql::kWhereBefore, f.negated);
            w.binds.emplace_back(f.number);
        } else if (k == "width" || k == "height" || k == "rating") {
            std::string clause(k == "width" ? sql::kColWidth : k == "height" ? sql::kColHeight : sql::kColRating);
            clause += op_sql(f.op);
            w.add(clause, f.negated);
            w.binds.emplace_back(f.number);
        } else {
            return fail(Errc::internal, "search key '" + k + "' has no SQL");
        }
    }
    return w;
}

void bind_all(sql::Statement& s, const std::vector<Value>& binds) {
    int i = 1;
    for (const auto& v : binds) {
        if (std::holds_alternative<std::int64_t>(v))
            s.bind(i++, std::get<std::int64_t>(v));
        else
            s.bind(i++, std::get<std::string>(v));
    }
}

std::string to_hex(std::string_view s) {
    static const char* d = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() * 2);
    for (unsigned char c : s) {
        out.push_back(d[c >> 4]);
        out.push_back(d[c & 15]);
    }
    return out;
}

std::optional<std::string> from_hex(std::string_view s) {
    if (s.size() % 2) return std::nullopt;
    std::string out;
    auto nib = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < s.size(); i += 2) {
        const int a = nib(s[i]), b = nib(s[i + 1]);
        if (a < 0 || b < 0) return std::nullopt;
        out.push_back(static_cast<char>(a * 16 + b));
    }
    return out;
}

struct SortSpec {
    std::string_view order;   ///< ORDER BY clause
    std::string_view keyset;  ///< row-value comparison with the cursor
    int keys;                 ///< how many cursor values (excluding id)
};

SortSpec sort_spec(SortOrder s) {
    switch (s) {
        case SortOrder::newest:
            return {" ORDER BY a.created_at DESC, a.id DESC", "(a.created_at, a.id) < (?, ?)", 1};
        case SortOrder::oldest:
            return {" ORDER BY a.created_at ASC, a.id ASC", "(a.created_at, a.id) > (?, ?)", 1};
        case SortOrder::rating:
            return {" ORDER BY a.rating DESC, a.created_at DESC, a.id DESC",
                    "(a.rating, a.created_at, a.id) < (?, ?, ?)", 2};
        case SortOrder::title:
            return {" ORDER BY a.title ASC, a.id ASC", "(a.title, a.id) > (?, ?)", 1};
        case SortOrder::width:
            return {" ORDER BY a.width DESC, a.id DESC", "(a.width, a.id) < (?, ?)", 1};
    }
    return {" ORDER BY a.created_at DESC, a.id DESC", "(a.created_at, a.id) < (?, ?)", 1};
}

}  // namespace

std::string fts_match(const std::vector<std::string>& terms, const char* joiner) {
    std::string match;
    for (const auto& t : terms)
        match += (match.empty() ? "" : joiner) + fts_term(t);
    return match;
}

std::string encode_cursor(SortOrder sort, const AssetSummary& last) {
    nlohmann::json c = nlohmann::json::array();
    c.push_back(sort_order_name(sort));
    switch (sort) {
        case SortOrder::newest:
        case SortOrder::oldest:
            c.push_back(last.created_at);
            break;
        case SortOrder::rating:
            c.push_back(last.rating);
            c.push_back(last.created_at);
            break;
        case SortOrder::title:
            c.push_back(last.title);
            break;
        case SortOrder::width:
            c.push_back(last.width);
            break;
    }
    c.push_back(last.id);
    return to_hex(c.dump());
}

Result<std::vector<nlohmann::json>> decode_cursor(std::string_view cursor, SortOrder sort) {
    const auto bad =
        fail(Errc::invalid_argument,
             "the cursor '" + std::string(cursor) + "' is not valid for this search; start again from the first page");
    auto text = from_hex(cursor);
    if (!text) return bad;
    nlohmann::json c;
    try {
        c = nlohmann::json::parse(*text);
    } catch (...) {
        return bad;
    }
    const std::size_t keys = sort == SortOrder::rating ? 2 : 1;
    if (!c.is_array() || c.size() != keys + 2 || c[0] != sort_order_name(sort)) return bad;
    std::vector<nlohmann::json> out;
    for (std::size_t i = 1; i < c.size(); ++i) {
        const bool text_key = sort == SortOrder::title && i == 1;
        if (text_key ? !c[i].is_string() : !c[i].is_number_integer()) return bad;
        out.push_back(c[i]);
    }
    return out;
}

Result<void> fill_page_tags(sql::Database& db, Page& page) {
    if (page.items.empty()) return ok();
    nlohmann::json ids = nlohmann::json::array();
    std::unordered_map<AssetId, AssetSummary*> by_id;
    for (auto& a : page.items) {
        ids.push_back(a.id);
        by_id[a.id] = &a;
    }
    auto tags = db.cached(sql::kPageTags);
    if (!tags) return std::move(tags).error();
    sql::StatementLease t(*tags);
    t->bind(1, ids.dump());
    while (true) {
        auto row = t->step();
        if (!row) return std::move(row).error();
        if (!*row) return ok();
        auto it = by_id.find(t->int64(0));
        if (it != by_id.end()) it->second->tags.push_back(t->text(1));
    }
}

Result<Page> run_search(sql::Database& db, const Library::Impl& impl, const ParsedQuery& q, std::string_view cursor,
                        int limit, bool with_total) {
    auto w = build_where(db, q, false);
    if (!w) return std::move(w).error();
    const SortSpec spec = sort_spec(q.sort);
    Page page;
    if (with_total) {
        auto s = db.prepare(std::string(sql::kSearchCount) + w->sql);
        if (!s) return std::move(s).error();
        bind_all(*s, w->binds);
        auto row = s->step();
        if (!row) return std::move(row).error();
        page.total = *row ? s->int64(0) : 0;
    }
    Where where = *w;
    if (!cursor.empty()) {
        auto keys = decode_cursor(cursor, q.sort);
        if (!keys) return std::move(keys).error();
        where.add(spec.keyset, false);
        for (const auto& k : *keys) {
            if (k.is_string())
                where.binds.emplace_back(k.get<std::string>());
            else
                where.binds.emplace_back(k.get<std::int64_t>());
        }
    }
    auto s = db.prepare(std::string(sql::kSearchSelect) + where.sql + std::string(spec.order) + " LIMIT ?");
    if (!s) return std::move(s).error();
    bind_all(*s, where.binds);
    s->bind(static_cast<int>(where.binds.size()) + 1, static_cast<std::int64_t>(limit) + 1);
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
        page.items.push_back(std::move(a));
    }
    if (page.items.size() > static_cast<std::size_t>(limit)) {
        page.items.resize(static_cast<std::size_t>(limit));
        page.next_cursor = encode_cursor(q.sort, page.items.back());
    }
    ATELIER_TRY(fill_page_tags(db, page));
    return page;
}

Result<FacetCounts> run_facets(sql::Database& db, const ParsedQuery& q, bool empty_query) {
    static constexpr const char* kNames[] = {"source", "licence", "model", "color", "style", "seamless", "resolution"};
    std::unordered_map<std::string, std::unordered_map<std::string, std::int64_t>> counts;
    if (empty_query) {
        auto s = db.cached(sql::kFacetTotals);
        if (!s) return std::move(s).error();
        sql::StatementLease st(*s);
        while (true) {
            auto row = st->step();
            if (!row) return std::move(row).error();
            if (!*row) break;
            counts[st->text(0)][st->text(1)] += st->int64(2);
        }
    } else {
        auto w = build_where(db, q, true);
        if (!w) return std::move(w).error();
        auto s = db.prepare(std::string(sql::kFacetScan) + w->sql);
        if (!s) return std::move(s).error();
        bind_all(*s, w->binds);
        std::unordered_map<std::string, std::int64_t>* maps[7];
        for (int i = 0; i < 7; ++i)
            maps[i] = &counts[kNames[i]];
        std::string key;
        while (true) {
            auto row = s->step();
            if (!row) return std::move(row).error();
            if (!*row) break;
            for (int i = 0; i < 7; ++i) {
                if (i == 5) {
                    key = s->is_null(5) ? "" : (s->int64(5) ? "yes" : "no");
                } else {
                    key.assign(s->text_view(i));
                }
                ++(*maps[i])[key];
            }
        }
    }
    FacetCounts out;
    for (const char* name : kNames) {
        auto& vec = out.facets[name];
        for (const auto& [value, n] : counts[name])
            if (!value.empty() && n > 0) vec.emplace_back(value, n);
        std::sort(vec.begin(), vec.end(), [](const auto& a, const auto& b) {
            return a.second > b.second || (a.second == b.second && a.first < b.first);
        });
    }
    return out;
}

}  // namespace atelier::catalog
