// SPDX-License-Identifier: MIT
// Search: filters, full text, sort orders with keyset pagination, facets.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "atelier/catalog/library.h"
#include "test_util.h"

using namespace atelier;
using namespace atelier::catalog;
namespace fs = std::filesystem;

namespace {

constexpr int kAssets = 90;

/// A library of kAssets small assets with known tags, ratings and licences.
class CatalogSearch : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = test::temp_dir("search");
        test::write_many_pngs(s_dir / "in", kAssets);
        auto lib = Library::open({.dir = s_dir / "lib"});
        ASSERT_TRUE(lib.ok());
        std::vector<fs::path> in = {s_dir / "in"};
        auto r = (*lib)->import(in, {});
        ASSERT_TRUE(r.ok());
        ASSERT_EQ(r->added, static_cast<std::size_t>(kAssets));
        static const char* colors[] = {"navy", "red", "green"};
        static const char* styles[] = {"botanical", "geometric"};
        for (const auto& e : r->entries) {
            const int i = static_cast<int>(e.id - 1);
            std::vector<Tag> tags = {{"color", colors[i % 3], 0.9, ""}, {"style", styles[i % 2], 0.8, ""}};
            if (i % 5 == 0) tags.push_back({"floral", "", 0.7, ""});
            if (i % 4 == 0) tags.push_back({"seamless", "yes", 0.95, ""});
            ASSERT_TRUE((*lib)->set_tags(e.id, "tagger/1", tags).ok());
            ASSERT_TRUE((*lib)->set_rating(e.id, i % 6).ok());
            ASSERT_TRUE((*lib)->set_licence(e.id, i % 3 == 0 ? "commercial" : "personal").ok());
        }
    }
    void SetUp() override {
        auto lib = Library::open({.dir = s_dir / "lib"});
        ASSERT_TRUE(lib.ok());
        m_lib = std::move(lib).value();
    }

    std::vector<AssetId> all_pages(const std::string& query, int limit) {
        std::vector<AssetId> ids;
        std::string cursor;
        for (int guard = 0; guard < 1000; ++guard) {
            auto p = m_lib->search({.query = query, .cursor = cursor, .limit = limit});
            EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
            if (!p.ok()) break;
            for (const auto& it : p->items)
                ids.push_back(it.id);
            if (p->next_cursor.empty()) break;
            EXPECT_EQ(p->items.size(), static_cast<std::size_t>(limit));
            cursor = p->next_cursor;
        }
        return ids;
    }

    static int expected_count(const std::function<bool(int)>& pred) {
        int n = 0;
        for (int i = 0; i < kAssets; ++i)
            n += pred(i) ? 1 : 0;
        return n;
    }

    static inline fs::path s_dir;
    std::unique_ptr<Library> m_lib;
};

}  // namespace

TEST_F(CatalogSearch, FiltersMatchTheirDefinitions) {
    struct Case {
        std::string query;
        std::function<bool(int)> pred;
    };
    const std::vector<Case> cases = {
        {"", [](int) { return true; }},
        {"color:navy", [](int i) { return i % 3 == 0; }},
        {"colour:NAVY", [](int i) { return i % 3 == 0; }},
        {"tag:floral", [](int i) { return i % 5 == 0; }},
        {"tag:navy", [](int i) { return i % 3 == 0; }},
        {"seamless:yes", [](int i) { return i % 4 == 0; }},
        {"rating>=4", [](int i) { return i % 6 >= 4; }},
        {"rating<2", [](int i) { return i % 6 < 2; }},
        {"licence:commercial rating>=4", [](int i) { return i % 3 == 0 && i % 6 >= 4; }},
        {"style:geometric -tag:floral", [](int i) { return i % 2 == 1 && i % 5 != 0; }},
        {"floral navy", [](int i) { return i % 5 == 0 && i % 3 == 0; }},  // full text over tags
        {"botan", [](int i) { return i % 2 == 0; }},                      // prefix match
        {"source:imported width>=4 height<=4 format:png", [](int) { return true; }},
        {"width>4", [](int) { return false; }},
        {"after:2000-01-01", [](int) { return true; }},
        {"before:2000-01-01", [](int) { return false; }},
    };
    for (const auto& c : cases) {
        auto p = m_lib->search({.query = c.query, .limit = 1000, .with_total = true});
        ASSERT_TRUE(p.ok()) << c.query << ": " << p.error().message;
        const int want = expected_count(c.pred);
        EXPECT_EQ(static_cast<int>(p->items.size()), want) << c.query;
        EXPECT_EQ(p->total, want) << c.query;
        for (const auto& it : p->items)
            EXPECT_TRUE(c.pred(static_cast<int>(it.id - 1))) << c.query << " returned " << it.id;
    }
}

TEST_F(CatalogSearch, KeysetPaginationVisitsEveryResultOnceInOrder) {
    for (const char* sort : {"sort:newest", "sort:oldest", "sort:rating", "sort:title", "sort:width"}) {
        SCOPED_TRACE(sort);
        auto ids = all_pages(sort, 7);
        EXPECT_EQ(ids.size(), static_cast<std::size_t>(kAssets));
        EXPECT_EQ(std::set<AssetId>(ids.begin(), ids.end()).size(), ids.size());
    }
    // Ratings descend across page boundaries.
    auto ids = all_pages("sort:rating", 11);
    int last = 5;
    for (AssetId id : ids) {
        const int r = static_cast<int>((id - 1) % 6);
        EXPECT_LE(r, last);
        last = r;
    }
    // Filtered pagination: exactly the filtered set.
    auto navy = all_pages("color:navy", 4);
    EXPECT_EQ(static_cast<int>(navy.size()), expected_count([](int i) { return i % 3 == 0; }));
}

TEST_F(CatalogSearch, ResultsCarryPathAndTags) {
    auto p = m_lib->search({.query = "tag:floral color:navy", .limit = 5});
    ASSERT_TRUE(p.ok());
    ASSERT_FALSE(p->items.empty());
    const auto& it = p->items[0];
    EXPECT_TRUE(fs::exists(it.path));
    EXPECT_NE(std::find(it.tags.begin(), it.tags.end(), "floral"), it.tags.end());
    EXPECT_NE(std::find(it.tags.begin(), it.tags.end(), "color:navy"), it.tags.end());
}

TEST_F(CatalogSearch, BadCursorsAndQueriesAreRefused) {
    auto p = m_lib->search({.query = "", .cursor = "zz"});
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().code, Errc::invalid_argument);
    auto first = m_lib->search({.query = "sort:title", .limit = 3});
    ASSERT_TRUE(first.ok());
    auto other = m_lib->search({.query = "sort:rating", .cursor = first->next_cursor});
    ASSERT_FALSE(other.ok());  // a cursor belongs to its sort order
    EXPECT_FALSE(m_lib->search({.query = "colr:navy"}).ok());
    EXPECT_FALSE(m_lib->search({.query = "", .limit = 0}).ok());
    // FTS operators typed by a user are plain text, not syntax errors.
    auto ops = m_lib->search({.query = "NOT AND ( \"\" * OR"});
    EXPECT_TRUE(ops.ok()) << ops.error().message;
}

TEST_F(CatalogSearch, FacetCountsMatchFilteredAndUnfilteredSets) {
    auto all = m_lib->facets("");
    ASSERT_TRUE(all.ok());
    std::map<std::string, std::int64_t> colors(all->facets["color"].begin(), all->facets["color"].end());
    EXPECT_EQ(colors["navy"], 30);
    EXPECT_EQ(colors["red"], 30);
    EXPECT_EQ(colors["green"], 30);
    std::map<std::string, std::int64_t> seamless(all->facets["seamless"].begin(), all->facets["seamless"].end());
    EXPECT_EQ(seamless["yes"], expected_count([](int i) { return i % 4 == 0; }));
    EXPECT_EQ(all->facets["source"], (std::vector<std::pair<std::string, std::int64_t>>{{"imported", kAssets}}));
    EXPECT_EQ(all->facets["resolution"], (std::vector<std::pair<std::string, std::int64_t>>{{"under-1k", kAssets}}));

    auto f = m_lib->facets("tag:floral");
    ASSERT_TRUE(f.ok());
    std::map<std::string, std::int64_t> fc(f->facets["color"].begin(), f->facets["color"].end());
    EXPECT_EQ(fc["navy"], expected_count([](int i) { return i % 5 == 0 && i % 3 == 0; }));
    EXPECT_EQ(fc["red"], expected_count([](int i) { return i % 5 == 0 && i % 3 == 1; }));
    std::map<std::string, std::int64_t> lic(f->facets["licence"].begin(), f->facets["licence"].end());
    EXPECT_EQ(lic["commercial"], expected_count([](int i) { return i % 5 == 0 && i % 3 == 0; }));

    // Totals stay true after an edit (kept by triggers).
    auto before = colors["navy"];
    ASSERT_TRUE(m_lib->set_tags(2, "tagger/1", std::vector<Tag>{{"color", "navy", 0.99, ""}}).ok());
    auto after = m_lib->facets("");
    std::map<std::string, std::int64_t> c2(after->facets["color"].begin(), after->facets["color"].end());
    EXPECT_EQ(c2["navy"], before + 1);
    ASSERT_TRUE(
        m_lib->set_tags(2, "tagger/1", std::vector<Tag>{{"color", "red", 0.9, ""}, {"style", "geometric", 0.8, ""}})
            .ok());
}

TEST_F(CatalogSearch, MemoryIndexGivesTheSameAnswersAsSql) {
    const std::vector<std::string> queries = {"color:navy",
                                              "tag:floral",
                                              "seamless:yes rating>=2",
                                              "licence:commercial -tag:floral",
                                              "botan",
                                              "floral navy",
                                              "-color:red style:geometric",
                                              "width>=4 sort:width",
                                              "sort:oldest tag:navy",
                                              "sort:rating",
                                              "color:nonexistent",
                                              "-color:nonexistent seamless:no",
                                              "keyword:nothing",
                                              "after:2000-01-01 format:PNG"};
    auto collect = [&](const std::string& q) {
        std::vector<AssetId> ids;
        std::int64_t total = -1;
        std::string cursor;
        for (int guard = 0; guard < 100; ++guard) {
            auto p = m_lib->search({.query = q, .cursor = cursor, .limit = 13, .with_total = true});
            EXPECT_TRUE(p.ok()) << q << ": " << (p.ok() ? "" : p.error().message);
            if (!p.ok()) break;
            if (total < 0) total = *p->total;
            for (const auto& it : p->items)
                ids.push_back(it.id);
            if (p->next_cursor.empty()) break;
            cursor = p->next_cursor;
        }
        auto f = m_lib->facets(q);
        EXPECT_TRUE(f.ok());
        return std::make_tuple(ids, total, f.ok() ? f->facets : decltype(f->facets){});
    };
    ASSERT_FALSE(m_lib->index_ready());
    std::vector<decltype(collect(""))> sql;
    for (const auto& q : queries)
        sql.push_back(collect(q));
    ASSERT_TRUE(m_lib->preload_index().ok());
    ASSERT_TRUE(m_lib->index_ready());
    for (std::size_t i = 0; i < queries.size(); ++i) {
        auto mem = collect(queries[i]);
        EXPECT_EQ(std::get<0>(mem), std::get<0>(sql[i])) << queries[i];
        EXPECT_EQ(std::get<1>(mem), std::get<1>(sql[i])) << queries[i];
        EXPECT_EQ(std::get<2>(mem), std::get<2>(sql[i])) << queries[i];
    }
    EXPECT_TRUE(m_lib->index_ready());
    // Writes (another connection's, our own) are caught up with, no reload
    // (tagging_test.cpp compares the answers after many kinds of writes).
    {
        auto other = Library::open({.dir = s_dir / "lib"});
        ASSERT_TRUE(other.ok());
        ASSERT_TRUE((*other)->set_rating(1, 5).ok());
        ASSERT_TRUE((*other)->set_rating(1, 0).ok());
    }
    EXPECT_TRUE(m_lib->index_ready());
    ASSERT_TRUE(m_lib->set_rating(1, 0).ok());  // own write
    EXPECT_TRUE(m_lib->index_ready());
    for (const auto& q : queries)
        EXPECT_EQ(collect(q), sql[&q - &queries[0]]) << q;
}
