// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include "atelier/catalog/query.h"

using namespace atelier;
using namespace atelier::catalog;

namespace {
const QueryFilter* find(const ParsedQuery& q, std::string_view key) {
    for (const auto& f : q.filters)
        if (f.key == key) return &f;
    return nullptr;
}
}  // namespace

TEST(CatalogQuery, ParsesTheIssueExample) {
    auto q = parse_query(
        "botanical tag:floral color:navy seamless:yes width>=4096 source:generated model:esrgan-thick "
        "licence:commercial rating>=4 after:2026-01-01");
    ASSERT_TRUE(q.ok()) << q.error().message;
    ASSERT_EQ(q->text.size(), 1u);
    EXPECT_EQ(q->text[0], "botanical");
    EXPECT_EQ(q->filters.size(), 9u);
    EXPECT_EQ(find(*q, "tag")->value, "floral");
    EXPECT_EQ(find(*q, "color")->value, "navy");
    EXPECT_EQ(find(*q, "seamless")->number, 1);
    EXPECT_EQ(find(*q, "width")->op, CompareOp::ge);
    EXPECT_EQ(find(*q, "width")->number, 4096);
    EXPECT_EQ(find(*q, "source")->value, "generated");
    EXPECT_EQ(find(*q, "model")->value, "esrgan-thick");
    EXPECT_EQ(find(*q, "licence")->value, "commercial");
    EXPECT_EQ(find(*q, "rating")->number, 4);
    EXPECT_EQ(find(*q, "after")->number, 1767225600);  // 2026-01-01T00:00:00Z
    EXPECT_EQ(q->sort, SortOrder::newest);
}

TEST(CatalogQuery, PhrasesNegationAliasesAndSort) {
    auto q = parse_query(
        R"("night sky" -blurry colour:Navy license:cc-by -tag:photo collection:"Spring drop" sort:rating height<100)");
    ASSERT_TRUE(q.ok()) << q.error().message;
    ASSERT_EQ(q->text.size(), 1u);
    EXPECT_EQ(q->text[0], "night sky");
    ASSERT_EQ(q->excluded_text.size(), 1u);
    EXPECT_EQ(q->excluded_text[0], "blurry");
    EXPECT_EQ(find(*q, "color")->value, "Navy");
    EXPECT_EQ(find(*q, "licence")->value, "cc-by");
    EXPECT_TRUE(find(*q, "tag")->negated);
    EXPECT_EQ(find(*q, "collection")->value, "Spring drop");
    EXPECT_EQ(find(*q, "height")->op, CompareOp::lt);
    EXPECT_EQ(q->sort, SortOrder::rating);
}

TEST(CatalogQuery, EmptyQueryMatchesEverything) {
    auto q = parse_query("   ");
    ASSERT_TRUE(q.ok());
    EXPECT_TRUE(q->text.empty());
    EXPECT_TRUE(q->filters.empty());
}

TEST(CatalogQuery, BadQueriesSayWhatIsAccepted) {
    auto unknown = parse_query("colr:navy");
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, Errc::invalid_argument);
    EXPECT_NE(unknown.error().message.find("unknown search key 'colr'"), std::string::npos);
    EXPECT_NE(unknown.error().message.find("color"), std::string::npos);

    auto date = parse_query("after:yesterday");
    ASSERT_FALSE(date.ok());
    EXPECT_NE(date.error().message.find("YYYY-MM-DD"), std::string::npos);

    auto quote = parse_query("\"unclosed phrase");
    ASSERT_FALSE(quote.ok());
    EXPECT_NE(quote.error().message.find("unclosed quote"), std::string::npos);

    EXPECT_FALSE(parse_query("rating>=7").ok());
    EXPECT_FALSE(parse_query("width>=wide").ok());
    EXPECT_FALSE(parse_query("seamless:maybe").ok());
    EXPECT_FALSE(parse_query("source:stolen").ok());
    EXPECT_FALSE(parse_query("tag>=3").ok());
    EXPECT_FALSE(parse_query("sort:random").ok());
    EXPECT_FALSE(parse_query("tag:").ok());
}

TEST(CatalogQuery, PunctuationInFreeTextIsNotAKey) {
    auto q = parse_query("16:9 a1111");
    ASSERT_TRUE(q.ok()) << q.error().message;
    EXPECT_EQ(q->text.size(), 2u);
    EXPECT_TRUE(q->filters.empty());
}
