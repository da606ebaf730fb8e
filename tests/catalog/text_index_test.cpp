// SPDX-License-Identifier: MIT
// The memory index's free text (common words' bitmaps + rare tokens) gives
// FTS5's answers, before and after writes by another connection; a reload
// after too many changes runs on a background thread, never inside a search.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "atelier/catalog/library.h"
#include "test_util.h"

using namespace atelier;
using namespace atelier::catalog;
namespace fs = std::filesystem;

namespace {

struct Answer {
    std::vector<AssetId> ids;
    std::int64_t total = -1;
    bool operator==(const Answer&) const = default;
};

Answer collect(Library& lib, const std::string& q) {
    Answer a;
    std::string cursor;
    for (int guard = 0; guard < 100; ++guard) {
        auto p = lib.search({.query = q, .cursor = cursor, .limit = 17, .with_total = true});
        EXPECT_TRUE(p.ok()) << q << ": " << (p.ok() ? "" : p.error().message);
        if (!p.ok()) break;
        if (a.total < 0) a.total = *p->total;
        for (const auto& it : p->items)
            a.ids.push_back(it.id);
        if (p->next_cursor.empty()) break;
        cursor = p->next_cursor;
    }
    return a;
}

std::string title_of(int i) {
    std::string t = "zephyr" + std::to_string(i);  // a rare token per asset
    if (i % 2 == 0) t += " garden";
    if (i % 7 == 0) t += " Gardens";
    if (i % 3 == 0) t += " ocean";
    if (i % 5 == 0) t += " art-deco";
    if (i % 11 == 0) t += " café";
    return t;
}

fs::path make_library(const std::string& name, int n) {
    const fs::path dir = test::temp_dir(name);
    test::write_many_pngs(dir / "in", n);
    auto lib = Library::open({.dir = dir / "lib"});
    EXPECT_TRUE(lib.ok());
    std::vector<fs::path> in = {dir / "in"};
    auto r = (*lib)->import(in, {});
    EXPECT_TRUE(r.ok());
    for (const auto& e : r->entries) {
        const int i = static_cast<int>(e.id);
        EXPECT_TRUE((*lib)->set_title(e.id, title_of(i), i % 4 == 0 ? "linen wallpaper" : "").ok());
        std::vector<Tag> tags = {{"style", i % 2 ? "botanical" : "geometric", 0.8, ""},
                                 {"palette.1.share", "0.25", 1.0, ""},
                                 {"hash.dhash", "a1b2c3d4e5f60718", 1.0, ""}};
        if (i % 6 == 0) tags.push_back({"floral", "", 0.7, ""});
        EXPECT_TRUE((*lib)->set_tags(e.id, "tagger/1", tags).ok());
    }
    return dir / "lib";
}

const std::vector<std::string> kTextQueries = {"garden",
                                               "gard",
                                               "gardens",
                                               "GARDEN ocean",
                                               "garden -ocean",
                                               "-garden ocean",
                                               "zephyr1",
                                               "zephyr17",
                                               "zephyr",
                                               "z",
                                               "art-deco",
                                               "deco",
                                               "cafe",
                                               "café",
                                               "botan",
                                               "floral",
                                               "wallpaper",
                                               "nothingatall",
                                               "g",
                                               "ocean tag:floral",
                                               "0.25",
                                               "a1b2c3d4"};

}  // namespace

TEST(CatalogTextIndex, FreeTextFromMemoryGivesFts5sAnswersBeforeAndAfterWrites) {
    const fs::path dir = make_library("text-index", 150);
    auto sql = Library::open({.dir = dir});  // never loads the index: FTS5 answers
    auto mem = Library::open({.dir = dir});
    ASSERT_TRUE(sql.ok() && mem.ok());
    ASSERT_TRUE((*mem)->preload_index().ok());
    ASSERT_TRUE((*mem)->index_ready());
    for (const auto& q : kTextQueries)
        EXPECT_EQ(collect(**mem, q), collect(**sql, q)) << q;
    // Numbers and hashes in tag values stay out of the text (`tag:` finds them).
    EXPECT_EQ(collect(**sql, "0.25").total, 0);
    EXPECT_EQ(collect(**sql, "tag:0.25").total, 150);
    EXPECT_GT(collect(**sql, "garden").total, 0);

    // Another connection edits titles, keywords and tags: new rare words,
    // common words gone from some rows, a word that was rare now shared.
    {
        auto w = Library::open({.dir = dir});
        ASSERT_TRUE(w.ok());
        ASSERT_TRUE((*w)->set_title(2, "quasar nebula", "").ok());  // loses "garden"
        ASSERT_TRUE((*w)->set_title(3, "garden quasar", "").ok());  // gains it
        const std::vector<std::string> kw = {"gardenia", "zephyr17"};
        ASSERT_TRUE((*w)->set_keywords(5, kw).ok());
        const std::vector<Tag> tags = {{"style", "gardenesque", 0.9, ""}};
        ASSERT_TRUE((*w)->set_tags(9, "user", tags).ok());
        const std::vector<AssetId> gone = {4};
        ASSERT_TRUE((*w)->remove(gone).ok());
    }
    ASSERT_TRUE((*mem)->index_ready());
    std::vector<std::string> after = kTextQueries;
    for (const char* q : {"quasar", "nebula", "gardenia", "gardene", "gardenesque", "quas"})
        after.emplace_back(q);
    for (const auto& q : after)
        EXPECT_EQ(collect(**mem, q), collect(**sql, q)) << q << " (after writes)";
    EXPECT_EQ(collect(**mem, "quasar").total, 2);
    EXPECT_EQ(collect(**mem, "zephyr17").total, 2);
    EXPECT_TRUE((*mem)->index_ready());
}

TEST(CatalogTextIndex, ReloadAfterManyChangesRunsInTheBackgroundWhileSqlAnswers) {
    const fs::path dir = make_library("index-reload", 60);
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> started;
    std::atomic<int> reloads{0};
    OpenOptions o{.dir = dir};
    o.index_patch_limit = 5;
    o.on_index_reload = [&] {
        if (++reloads == 1) started.set_value();
        released.wait();  // held until the test has searched
    };
    auto mem = Library::open(o);
    auto sql = Library::open({.dir = dir});
    // Releases the held reload on every way out (a failed assertion too),
    // before `mem` is destroyed: its destructor joins the reload thread.
    struct Release {
        std::promise<void>& p;
        bool done = false;
        void now() {
            if (!done) p.set_value();
            done = true;
        }
        ~Release() { now(); }
    } release_guard{release};
    ASSERT_TRUE(mem.ok() && sql.ok());
    ASSERT_TRUE((*mem)->preload_index().ok());
    ASSERT_TRUE((*mem)->index_ready());
    // More changed rows than the patch limit, by another connection.
    {
        auto w = Library::open({.dir = dir});
        ASSERT_TRUE(w.ok());
        for (AssetId id = 1; id <= 20; ++id)
            ASSERT_TRUE((*w)->set_rating(id, static_cast<int>(id % 5) + 1).ok());
        ASSERT_TRUE((*w)->set_title(7, "garden meteor", "").ok());
    }
    // The reload is held in its hook: these searches can only return because
    // they do not wait for it (they answer from SQL, with the new data).
    for (const std::string q : {"rating>=3 tag:floral", "meteor", "garden rating>=2", "tag:floral"}) {
        EXPECT_EQ(collect(**mem, q), collect(**sql, q)) << q << " (during the reload)";
        auto f = (*mem)->facets(q);
        auto g = (*sql)->facets(q);
        ASSERT_TRUE(f.ok() && g.ok());
        EXPECT_EQ(f->facets, g->facets) << q;
    }
    EXPECT_EQ(collect(**mem, "meteor").total, 1);
    ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
    EXPECT_FALSE((*mem)->index_ready());
    EXPECT_EQ(reloads.load(), 1);  // one reload, however many searches came meanwhile
    release_guard.now();
    bool ready = false;
    for (int i = 0; i < 600 && !ready; ++i) {
        ready = (*mem)->index_ready();
        if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(ready) << "the index was not loaded again within 30 s";
    EXPECT_EQ(reloads.load(), 1);
    for (const std::string q : {"rating>=3 tag:floral", "meteor", "garden rating>=2", "tag:floral"})
        EXPECT_EQ(collect(**mem, q), collect(**sql, q)) << q << " (after the reload)";
}

TEST(CatalogTextIndex, ClosingTheLibraryStopsARunningReload) {
    const fs::path dir = make_library("index-reload-close", 30);
    OpenOptions o{.dir = dir};
    o.index_patch_limit = 2;
    {
        auto mem = Library::open(o);
        ASSERT_TRUE(mem.ok());
        ASSERT_TRUE((*mem)->preload_index().ok());
        auto w = Library::open({.dir = dir});
        ASSERT_TRUE(w.ok());
        for (AssetId id = 1; id <= 10; ++id)
            ASSERT_TRUE((*w)->set_rating(id, 2).ok());
        EXPECT_FALSE((*mem)->index_ready());  // starts the reload
    }  // the destructor stops and joins the reload thread (a hang or crash here fails the test)
    auto again = Library::open({.dir = dir});
    ASSERT_TRUE(again.ok());
    EXPECT_EQ((*again)->integrity_check().value_or(""), "ok");
}
