// SPDX-License-Identifier: MIT
#pragma once

/// \file query.h
/// The search language users type. Whitespace separates terms; double quotes
/// group a phrase ("night sky"). A term is free text (matched with FTS5
/// against title, description, prompt, keywords and tags) or a filter:
///
///   tag:floral            has a tag named (or valued) "floral"
///   color:navy style:art-deco seamless:yes source:generated
///   model:esrgan-thick licence:commercial format:png keyword:summer
///   collection:"Spring drop"
///   width>=4096 height<1000 rating>=4 (also = > < <=)
///   after:2026-01-01 before:2026-02-01   (creation date, UTC)
///   sort:newest|oldest|rating|title|width|largest
///   -term / -key:value    excludes
///
/// Keys are case-insensitive; `colour` and `license` are accepted spellings.
/// Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "atelier/base/result.h"

namespace atelier::catalog {

enum class CompareOp { eq, lt, le, gt, ge };

struct QueryFilter {
    std::string key;  ///< canonical key: tag, color, style, seamless, source, model, licence, format,
                      ///< keyword, collection, width, height, rating, after, before
    CompareOp op = CompareOp::eq;
    std::string value;        ///< as typed (lower-cased for enum-like keys)
    std::int64_t number = 0;  ///< for width/height/rating; unix seconds for after/before
    bool negated = false;
};

enum class SortOrder { newest, oldest, rating, title, width };

struct ParsedQuery {
    std::vector<std::string> text;  ///< free-text terms and phrases
    std::vector<std::string> excluded_text;
    std::vector<QueryFilter> filters;
    SortOrder sort = SortOrder::newest;
};

/// Parses a query. Errors (invalid_argument) name the offending term and say
/// what is accepted: an unknown key, a bad number or date, an unclosed quote.
Result<ParsedQuery> parse_query(std::string_view query);

std::string_view sort_order_name(SortOrder s) noexcept;

}  // namespace atelier::catalog
