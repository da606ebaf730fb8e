// SPDX-License-Identifier: MIT
// Reliability: a real `atelier import` child killed with SIGKILL mid-import,
// a full database (SQLITE_FULL through a page cap), and readers that are not
// blocked while a writer holds the database (WAL).
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "atelier/catalog/library.h"
#include "test_util.h"

extern char** environ;

using namespace atelier;
using namespace atelier::catalog;
namespace fs = std::filesystem;

namespace {

/// Rows in `assets`, read through a separate read-only connection; -1 if the
/// database is not there yet.
std::int64_t count_assets(const fs::path& db) {
    sqlite3* h = nullptr;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(h);
        return -1;
    }
    sqlite3_busy_timeout(h, 2000);
    sqlite3_stmt* s = nullptr;
    std::int64_t n = -1;
    if (sqlite3_prepare_v2(h, "SELECT count(*) FROM assets", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    return n;
}

}  // namespace

// The 10,000 files (4x4 PNGs, so that writing and importing them
// stays within seconds on the 2-core CI machine).
TEST(CatalogReliability, KillDuringImportLosesNothingAndReimportAddsExactlyTheRest) {
    constexpr int kFiles = 10000;
    const fs::path dir = test::temp_dir("kill");
    test::write_many_pngs(dir / "in", kFiles);
    const fs::path lib_dir = dir / "lib";
    const fs::path db = lib_dir / "library.db";
    ASSERT_TRUE(fs::exists(test::atelier_binary())) << test::atelier_binary();

    const std::string bin = test::atelier_binary().string();
    const std::string in = (dir / "in").string();
    const std::string lib = lib_dir.string();
    std::vector<std::string> args = {bin, "--quiet", "import", in, "--library", lib, "--batch-size", "50"};
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    ASSERT_EQ(posix_spawn(&pid, bin.c_str(), nullptr, nullptr, argv.data(), environ), 0);

    // Wait until some batches are committed, then kill -9.
    std::int64_t seen = -1;
    bool exited = false;
    for (int i = 0; i < 20000; ++i) {
        seen = count_assets(db);
        if (seen >= 400) break;
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_FALSE(exited) << "the import finished before it could be killed; raise kFiles";
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);

    const std::int64_t committed = count_assets(db);
    ASSERT_GE(committed, 400);
    ASSERT_LT(committed, kFiles) << "killed too late to test anything";
    EXPECT_EQ(committed % 50, 0) << "only whole batches are committed";

    auto opened = Library::open({.dir = lib_dir});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    auto& library = *opened;
    auto ic = library->integrity_check();
    ASSERT_TRUE(ic.ok());
    EXPECT_EQ(*ic, "ok");

    std::vector<fs::path> paths = {dir / "in"};
    auto r = library->import(paths, {});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->added, static_cast<std::size_t>(kFiles - committed));
    EXPECT_EQ(r->duplicates, static_cast<std::size_t>(committed));
    EXPECT_EQ(r->failed, 0u);
    auto n = library->count();
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, kFiles);
    auto ic2 = library->integrity_check();
    EXPECT_EQ(*ic2, "ok");
}

TEST(CatalogReliability, FullDatabaseGivesAClearErrorAndLosesNothing) {
    const fs::path dir = test::temp_dir("full");
    test::write_many_pngs(dir / "first", 40);
    test::write_many_pngs(dir / "second", 400, 10000);
    const fs::path lib_dir = dir / "lib";
    std::int64_t pages = 0;
    {
        auto lib = Library::open({.dir = lib_dir});
        ASSERT_TRUE(lib.ok());
        std::vector<fs::path> p = {dir / "first"};
        auto r = (*lib)->import(p, {});
        ASSERT_TRUE(r.ok());
        ASSERT_EQ(r->added, 40u);
    }
    {
        sqlite3* h = nullptr;
        sqlite3_open((lib_dir / "library.db").c_str(), &h);
        sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(h, "PRAGMA page_count", -1, &s, nullptr);
        sqlite3_step(s);
        pages = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        sqlite3_close(h);
    }
    ASSERT_GT(pages, 0);
    {
        // Room for a little more, not for 400 files: the disk fills mid-import.
        auto lib = Library::open({.dir = lib_dir, .max_db_pages = pages + 8});
        ASSERT_TRUE(lib.ok()) << lib.error().message;
        ImportOptions o;
        o.batch_size = 25;
        std::vector<fs::path> p = {dir / "second"};
        auto r = (*lib)->import(p, o);
        ASSERT_TRUE(r.ok());
        ASSERT_TRUE(r->stopped.has_value());
        EXPECT_EQ(r->stopped->code, Errc::io_error);
        EXPECT_NE(r->stopped->message.find("disk holding the library is full"), std::string::npos)
            << r->stopped->message;
        EXPECT_LT(r->added, 400u);
        EXPECT_GT(r->failed, 0u);
        auto n = (*lib)->count();
        ASSERT_TRUE(n.ok());
        EXPECT_EQ(*n, 40 + static_cast<std::int64_t>(r->added));  // the report tells the truth
        auto ic = (*lib)->integrity_check();
        ASSERT_TRUE(ic.ok());
        EXPECT_EQ(*ic, "ok");
    }
    {
        // Space again: the re-run adds exactly what is missing.
        auto lib = Library::open({.dir = lib_dir});
        ASSERT_TRUE(lib.ok());
        auto before = (*lib)->count();
        std::vector<fs::path> p = {dir / "first", dir / "second"};
        auto r = (*lib)->import(p, {});
        ASSERT_TRUE(r.ok());
        EXPECT_FALSE(r->stopped);
        EXPECT_EQ(static_cast<std::int64_t>(r->added), 440 - *before);
        EXPECT_EQ(*(*lib)->count(), 440);
    }
}

TEST(CatalogReliability, ReadersAreNotBlockedByAWriter) {
    const fs::path dir = test::temp_dir("wal");
    test::write_many_pngs(dir / "in", 30);
    auto writer = Library::open({.dir = dir / "lib"});
    ASSERT_TRUE(writer.ok());
    std::vector<fs::path> p = {dir / "in"};
    ASSERT_TRUE((*writer)->import(p, {}).ok());

    // Another process-like connection holds an EXCLUSIVE write transaction
    // with uncommitted rows. In rollback-journal mode this blocks readers
    // (they would wait the 5 s busy timeout and fail); in WAL they read the
    // last committed state at once.
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "lib" / "library.db").c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h, "BEGIN EXCLUSIVE; UPDATE assets SET rating = 5; DELETE FROM keywords;", nullptr, nullptr,
                           nullptr),
              SQLITE_OK);

    auto reader = Library::open({.dir = dir / "lib", .read_only = true});
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    auto page = (*reader)->search({.query = "", .limit = 100, .with_total = true});
    ASSERT_TRUE(page.ok()) << page.error().message;
    EXPECT_EQ(page->total, 30);
    auto rated = (*reader)->search({.query = "rating>=5", .with_total = true});
    ASSERT_TRUE(rated.ok());
    EXPECT_EQ(rated->total, 0);  // uncommitted changes are invisible
    auto facets = (*reader)->facets("seamless:no");
    ASSERT_TRUE(facets.ok()) << facets.error().message;

    ASSERT_EQ(sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(h);
    rated = (*reader)->search({.query = "rating>=5", .with_total = true});
    ASSERT_TRUE(rated.ok());
    EXPECT_EQ(rated->total, 30);

    // And while a real import writes on another thread, every read succeeds
    // and counts only grow.
    test::write_many_pngs(dir / "more", 300, 5000);
    std::atomic<bool> done{false};
    std::thread t([&] {
        std::vector<fs::path> more = {dir / "more"};
        ImportOptions o;
        o.batch_size = 10;
        auto r = (*writer)->import(more, o);
        EXPECT_TRUE(r.ok());
        done = true;
    });
    std::int64_t last = 0;
    int reads = 0;
    while (!done) {
        auto pg = (*reader)->search({.query = "", .limit = 10, .with_total = true});
        ASSERT_TRUE(pg.ok()) << pg.error().message;
        EXPECT_GE(*pg->total, last);
        last = *pg->total;
        ++reads;
    }
    t.join();
    EXPECT_GT(reads, 0);
    auto fin = (*reader)->count();
    EXPECT_EQ(*fin, 330);
}
