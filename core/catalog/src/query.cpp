// SPDX-License-Identifier: MIT
#include "atelier/catalog/query.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <map>

namespace atelier::catalog {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

struct Token {
    std::string text;
    bool phrase = false;  ///< started with a quote: always free text
};

Result<std::vector<Token>> tokenize(std::string_view q) {
    std::vector<Token> out;
    std::size_t i = 0;
    while (i < q.size()) {
        while (i < q.size() && std::isspace(static_cast<unsigned char>(q[i])))
            ++i;
        if (i >= q.size()) break;
        Token t;
        t.phrase = q[i] == '"';
        while (i < q.size() && !std::isspace(static_cast<unsigned char>(q[i]))) {
            if (q[i] == '"') {
                const auto close = q.find('"', i + 1);
                if (close == std::string_view::npos)
                    return fail(Errc::invalid_argument,
                                "unclosed quote in the search \"" + std::string(q) + "\"; close the phrase with \"");
                t.text.append(q.substr(i + 1, close - i - 1));
                i = close + 1;
            } else {
                t.text.push_back(q[i++]);
            }
        }
        if (!t.text.empty()) out.push_back(std::move(t));
    }
    return out;
}

const std::map<std::string, std::string, std::less<>>& key_aliases() {
    static const std::map<std::string, std::string, std::less<>> m = {
        {"tag", "tag"},         {"tags", "tag"},
        {"color", "color"},     {"colour", "color"},
        {"style", "style"},     {"seamless", "seamless"},
        {"source", "source"},   {"model", "model"},
        {"licence", "licence"}, {"license", "licence"},
        {"format", "format"},   {"keyword", "keyword"},
        {"kw", "keyword"},      {"collection", "collection"},
        {"width", "width"},     {"height", "height"},
        {"rating", "rating"},   {"after", "after"},
        {"before", "before"},   {"sort", "sort"},
    };
    return m;
}

bool numeric_key(std::string_view k) {
    return k == "width" || k == "height" || k == "rating";
}

Result<std::int64_t> parse_date(std::string_view v, std::string_view term) {
    int y = 0, mo = 0, d = 0;
    auto bad = [&] {
        return fail(Errc::invalid_argument,
                    "'" + std::string(term) + "': dates are written YYYY-MM-DD (for example after:2026-01-01)");
    };
    if (v.size() != 10 || v[4] != '-' || v[7] != '-') return bad();
    auto num = [](std::string_view s, int& out) {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        return ec == std::errc{} && p == s.data() + s.size();
    };
    if (!num(v.substr(0, 4), y) || !num(v.substr(5, 2), mo) || !num(v.substr(8, 2), d)) return bad();
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970) return bad();
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

std::string_view sort_order_name(SortOrder s) noexcept {
    switch (s) {
        case SortOrder::newest:
            return "newest";
        case SortOrder::oldest:
            return "oldest";
        case SortOrder::rating:
            return "rating";
        case SortOrder::title:
            return "title";
        case SortOrder::width:
            return "width";
    }
    return "newest";
}

Result<ParsedQuery> parse_query(std::string_view query) {
    auto tokens = tokenize(query);
    if (!tokens) return std::move(tokens).error();
    ParsedQuery pq;
    for (auto& tok : *tokens) {
        std::string term = tok.text;
        bool negated = false;
        if (term.size() > 1 && term[0] == '-') {
            negated = true;
            term.erase(0, 1);
        }
        // Find the operator: the first of ':', '>=', '<=', '>', '<', '='.
        const auto pos = term.find_first_of(":<>=");
        if (pos == std::string::npos || pos == 0 || tok.phrase) {
            (negated ? pq.excluded_text : pq.text).push_back(term);
            continue;
        }
        const std::string key = lower(term.substr(0, pos));
        auto alias = key_aliases().find(key);
        if (alias == key_aliases().end()) {
            // Not a filter: a word with punctuation ("a:b" in a prompt) stays free text
            // only when it does not look like a key; unknown keys are reported.
            bool wordlike = std::all_of(key.begin(), key.end(), [](unsigned char c) { return std::isalpha(c); });
            if (!wordlike) {
                (negated ? pq.excluded_text : pq.text).push_back(term);
                continue;
            }
            std::string keys;
            for (const auto& [k, v] : key_aliases())
                if (k == v) keys += (keys.empty() ? "" : ", ") + k;
            return fail(Errc::invalid_argument,
                        "unknown search key '" + key + "' in '" + tok.text + "'; use one of: " + keys);
        }
        QueryFilter f;
        f.key = alias->second;
        f.negated = negated;
        std::size_t vpos = pos + 1;
        const char c = term[pos];
        if (c == ':' || c == '=') {
            f.op = CompareOp::eq;
        } else if (c == '>' || c == '<') {
            const bool eq = pos + 1 < term.size() && term[pos + 1] == '=';
            f.op = c == '>' ? (eq ? CompareOp::ge : CompareOp::gt) : (eq ? CompareOp::le : CompareOp::lt);
            vpos = pos + (eq ? 2 : 1);
        }
        f.value = term.substr(vpos);
        if (f.value.empty())
            return fail(Errc::invalid_argument, "'" + tok.text + "' has no value; write it like " + f.key +
                                                    (numeric_key(f.key) ? ">=4" : ":value"));
        if (f.op != CompareOp::eq && !numeric_key(f.key))
            return fail(Errc::invalid_argument,
                        "'" + tok.text + "': only width, height and rating compare with < > <= >=");
        if (f.key == "sort") {
            const std::string v = lower(f.value);
            if (v == "newest")
                pq.sort = SortOrder::newest;
            else if (v == "oldest")
                pq.sort = SortOrder::oldest;
            else if (v == "rating")
                pq.sort = SortOrder::rating;
            else if (v == "title")
                pq.sort = SortOrder::title;
            else if (v == "width" || v == "largest")
                pq.sort = SortOrder::width;
            else
                return fail(Errc::invalid_argument,
                            "'" + tok.text + "': sort by newest, oldest, rating, title or width");
            continue;
        }
        if (numeric_key(f.key)) {
            auto [p, ec] = std::from_chars(f.value.data(), f.value.data() + f.value.size(), f.number);
            if (ec != std::errc{} || p != f.value.data() + f.value.size() || f.number < 0)
                return fail(Errc::invalid_argument, "'" + tok.text + "': " + f.key + " needs a whole number");
            if (f.key == "rating" && f.number > 5)
                return fail(Errc::invalid_argument, "'" + tok.text + "': ratings go from 0 to 5");
        } else if (f.key == "after" || f.key == "before") {
            auto t = parse_date(f.value, tok.text);
            if (!t) return std::move(t).error();
            f.number = *t;
        } else if (f.key == "seamless") {
            const std::string v = lower(f.value);
            if (v == "yes" || v == "true" || v == "1")
                f.number = 1;
            else if (v == "no" || v == "false" || v == "0")
                f.number = 0;
            else
                return fail(Errc::invalid_argument, "'" + tok.text + "': seamless is yes or no");
            f.value = f.number ? "yes" : "no";
        } else if (f.key == "source") {
            const std::string v = lower(f.value);
            if (v != "generated" && v != "imported" && v != "purchased" && v != "derived")
                return fail(Errc::invalid_argument,
                            "'" + tok.text + "': source is generated, imported, purchased or derived");
            f.value = v;
        }
        pq.filters.push_back(std::move(f));
    }
    return pq;
}

}  // namespace atelier::catalog
