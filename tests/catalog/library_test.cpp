// SPDX-License-Identifier: MIT
// The library: schema and migrations, edits, derivation graph, collections,
// similarity, export, thumbnails. Real SQLite files in a temp folder.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "atelier/catalog/library.h"
#include "atelier/image/procedural.h"
#include "atelier/imageio/imageio.h"
#include "test_util.h"

using namespace atelier;
using namespace atelier::catalog;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<Library> open_lib(const fs::path& dir) {
    auto lib = Library::open({.dir = dir});
    EXPECT_TRUE(lib.ok()) << (lib.ok() ? "" : lib.error().message);
    return lib.ok() ? std::move(lib).value() : nullptr;
}

std::string pragma_text(const fs::path& db, const char* sql) {
    sqlite3* h = nullptr;
    sqlite3_open(db.c_str(), &h);
    sqlite3_stmt* s = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(h, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(h);
    return out;
}

void exec_sql(const fs::path& db, const std::string& sql) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(h);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
}

fs::path make_png(const fs::path& dir, const std::string& name, std::uint32_t seed, int size = 64) {
    auto img = procedural::seamless_waves(size, size, seed);
    EXPECT_TRUE(img.ok());
    const fs::path p = dir / name;
    EXPECT_TRUE(imageio::save(*img, p).ok());
    return p;
}

}  // namespace

TEST(CatalogLibrary, NewLibraryHasCurrentSchemaInWalModeWithForeignKeys) {
    const fs::path dir = test::temp_dir("new");
    auto lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    EXPECT_EQ(lib->schema_version(), kSchemaVersion);
    EXPECT_EQ(pragma_text(lib->db_path(), "PRAGMA user_version"), std::to_string(kSchemaVersion));
    EXPECT_EQ(pragma_text(lib->db_path(), "PRAGMA journal_mode"), "wal");
    EXPECT_EQ(pragma_text(lib->db_path(), "PRAGMA application_id"), "1096043602");
    EXPECT_TRUE(fs::is_directory(dir / "lib" / "blobs"));
    auto ic = lib->integrity_check();
    ASSERT_TRUE(ic.ok());
    EXPECT_EQ(*ic, "ok");
    // Foreign keys are enforced: a derivation to a missing parent is refused.
    const fs::path f = make_png(dir, "a.png", 1);
    NewAsset na;
    na.file = f;
    na.parents = {Derivation{999, "upscale", "{}"}};
    auto r = lib->add(na);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::not_found);
    auto n = lib->count();
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 0);  // the failed add left nothing behind
}

TEST(CatalogLibrary, V1FixtureIsMigratedKeepingEveryRow) {
    const fs::path dir = test::temp_dir("v1");
    std::ifstream in(fs::path(ATELIER_SOURCE_DIR) / "tests/data/catalog/schema-v1.sql");
    std::stringstream ss;
    ss << in.rdbuf();
    exec_sql(dir / "library.db", ss.str());
    ASSERT_EQ(pragma_text(dir / "library.db", "PRAGMA user_version"), "1");

    auto lib = open_lib(dir);
    ASSERT_TRUE(lib);
    EXPECT_EQ(lib->schema_version(), kSchemaVersion);
    EXPECT_EQ(pragma_text(dir / "library.db", "PRAGMA user_version"), std::to_string(kSchemaVersion));
    auto a = lib->get(1);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->title, "Navy florals");
    ASSERT_TRUE(a->generation);
    EXPECT_EQ(a->generation->seed, "18446744073709551615");
    EXPECT_EQ(a->keywords, (std::vector<std::string>{"spring", "wallpaper"}));
    EXPECT_EQ(a->collections, (std::vector<std::string>{"Spring drop"}));
    auto b = lib->get(2);
    ASSERT_TRUE(b.ok());
    ASSERT_EQ(b->parents.size(), 1u);
    EXPECT_EQ(b->parents[0].operation, "upscale");
    // v2 features work on migrated rows: facet totals were computed from the old rows.
    auto f = lib->facets("");
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->facets["resolution"], (std::vector<std::pair<std::string, std::int64_t>>{{"4k", 1}, {"8k+", 1}}));
    EXPECT_EQ(f->facets["source"],
              (std::vector<std::pair<std::string, std::int64_t>>{{"derived", 1}, {"generated", 1}}));
    auto p = lib->search({.query = "florals width>=8192"});
    ASSERT_TRUE(p.ok()) << p.error().message;
    ASSERT_EQ(p->items.size(), 1u);
    EXPECT_EQ(p->items[0].id, 2);
    auto ic = lib->integrity_check();
    ASSERT_TRUE(ic.ok());
    EXPECT_EQ(*ic, "ok");
    // Opening again is a no-op.
    lib.reset();
    lib = open_lib(dir);
    ASSERT_TRUE(lib);
    EXPECT_EQ(lib->schema_version(), kSchemaVersion);
}

TEST(CatalogLibrary, V2FixtureIsMigratedKeepingTagsAndHashes) {
    const fs::path dir = test::temp_dir("v2");
    std::ifstream in(fs::path(ATELIER_SOURCE_DIR) / "tests/data/catalog/schema-v2.sql");
    std::stringstream ss;
    ss << in.rdbuf();
    exec_sql(dir / "library.db", ss.str());
    ASSERT_EQ(pragma_text(dir / "library.db", "PRAGMA user_version"), "2");
    auto lib = open_lib(dir);
    ASSERT_TRUE(lib);
    EXPECT_EQ(lib->schema_version(), kSchemaVersion);
    auto a = lib->get(1);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_EQ(a->tags.size(), 2u);
    EXPECT_EQ(a->tags[0].source, "user");  // by confidence
    EXPECT_EQ(a->tags[1].source, "palette@1");
    EXPECT_EQ(a->tags[1].model_hash, "");
    EXPECT_EQ(a->color_family, "navy");
    ASSERT_TRUE(a->phash.has_value());
    EXPECT_EQ(*a->phash, 1234567u);
    // Old thumbnail hashes are compared among themselves only.
    auto near = lib->similar_by_phash(1, 10, 64);
    ASSERT_TRUE(near.ok());
    ASSERT_EQ(near->size(), 1u);
    EXPECT_EQ(near->front().id, 2);
    // Nothing was tagged through the hook yet; the change log starts empty.
    EXPECT_EQ(pragma_text(dir / "library.db", "SELECT count(*) FROM tag_state"), "0");
    EXPECT_EQ(pragma_text(dir / "library.db", "SELECT count(*) FROM asset_changes"), "0");
    ASSERT_TRUE(lib->preload_index().ok());
    ASSERT_TRUE(lib->set_rating(3, 5).ok());
    auto p = lib->search({.query = "automatic1111 rating>=5 color:navy -color:red"});
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_TRUE(p->items.empty());
    auto p2 = lib->search({.query = "tag:favourite", .with_total = true});
    ASSERT_TRUE(p2.ok());
    EXPECT_EQ(*p2->total, 1);
    EXPECT_TRUE(lib->index_ready());
    EXPECT_EQ(*lib->integrity_check(), "ok");
}

TEST(CatalogLibrary, NewerSchemaIsRefusedAndLeftUntouched) {
    const fs::path dir = test::temp_dir("newer");
    exec_sql(dir / "library.db",
             "PRAGMA application_id = 1096043602; PRAGMA user_version = 99; CREATE TABLE future(x);");
    auto lib = Library::open({.dir = dir});
    ASSERT_FALSE(lib.ok());
    EXPECT_EQ(lib.error().code, Errc::conflict);
    EXPECT_NE(lib.error().message.find("newer Atelier (schema v99"), std::string::npos) << lib.error().message;
    EXPECT_NE(lib.error().message.find("update Atelier"), std::string::npos);
    EXPECT_EQ(pragma_text(dir / "library.db", "PRAGMA user_version"), "99");
}

TEST(CatalogLibrary, ForeignDatabaseIsRefused) {
    const fs::path dir = test::temp_dir("foreign");
    exec_sql(dir / "library.db", "CREATE TABLE contacts(name TEXT);");
    auto lib = Library::open({.dir = dir});
    ASSERT_FALSE(lib.ok());
    EXPECT_EQ(lib.error().code, Errc::corrupt_data);
    EXPECT_NE(lib.error().message.find("not an Atelier library"), std::string::npos);

    std::ofstream(dir / "junk.db") << "this is not sqlite at all, just text that is long enough to fill a header";
    fs::rename(dir / "junk.db", dir / "library.db");
    auto junk = Library::open({.dir = dir});
    ASSERT_FALSE(junk.ok());
    EXPECT_EQ(junk.error().code, Errc::corrupt_data);
}

TEST(CatalogLibrary, ReadOnlyOpenOfMissingLibraryFails) {
    const fs::path dir = test::temp_dir("ro");
    auto lib = Library::open({.dir = dir / "absent", .create = false});
    ASSERT_FALSE(lib.ok());
    EXPECT_EQ(lib.error().code, Errc::not_found);
}

TEST(CatalogLibrary, DerivedAssetsRecordParentsOperationAndParameters) {
    const fs::path dir = test::temp_dir("derive");
    auto lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    NewAsset base;
    base.file = make_png(dir, "base.png", 7);
    base.title = "Base motif";
    base.licence = "commercial";
    base.generation = GenerationInfo{.tool = "atelier",
                                     .model = "sd-tiny",
                                     .prompt = "navy florals",
                                     .seed = "18446744073709551615",
                                     .steps = 20,
                                     .sampler = "euler"};
    base.tags = {
        {"floral", "", 0.9, "tagger/1"}, {"color", "navy", 0.8, "tagger/1"}, {"seamless", "yes", 0.99, "tagger/1"}};
    auto a = lib->add(base);
    ASSERT_TRUE(a.ok()) << a.error().message;
    NewAsset other;
    other.file = make_png(dir, "other.png", 8);
    auto b = lib->add(other);
    ASSERT_TRUE(b.ok());

    NewAsset up;
    up.file = make_png(dir, "composed.png", 9, 128);
    up.source = SourceType::derived;
    up.parents = {{*a, "compose", R"({"layout": "half-drop"})"}, {*b, "compose", "{}"}};
    auto c = lib->add(up);
    ASSERT_TRUE(c.ok()) << c.error().message;
    auto got = lib->get(*c);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->parents.size(), 2u);
    EXPECT_EQ(got->parents[0].parent, *a);
    EXPECT_EQ(got->parents[0].parameters, R"({"layout": "half-drop"})");
    EXPECT_EQ(got->parents[1].parent, *b);
    EXPECT_EQ(got->source, SourceType::derived);
    auto kids = lib->children(*a);
    ASSERT_TRUE(kids.ok());
    EXPECT_EQ(*kids, std::vector<AssetId>{*c});

    auto ga = lib->get(*a);
    ASSERT_TRUE(ga.ok());
    EXPECT_EQ(ga->generation->seed, "18446744073709551615");
    EXPECT_EQ(ga->model, "sd-tiny");
    EXPECT_EQ(ga->color_family, "navy");  // facet columns follow the strongest tag
    EXPECT_EQ(ga->seamless, true);
    EXPECT_EQ(ga->tags.size(), 3u);

    // Adding the same content again returns the same asset.
    auto again = lib->add(base);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *a);
    // A self-loop is refused.
    std::vector<Derivation> self = {{*c, "upscale", "{}"}};
    EXPECT_FALSE(lib->add_derivation(*c, self).ok());
}

TEST(CatalogLibrary, EditsRatingsKeywordsTagsAndCollections) {
    const fs::path dir = test::temp_dir("edit");
    auto lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    auto id = lib->add({.file = make_png(dir, "x.png", 3), .source = SourceType::imported});
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(lib->set_rating(*id, 4).ok());
    EXPECT_FALSE(lib->set_rating(*id, 6).ok());
    EXPECT_EQ(lib->set_rating(12345, 3).error().code, Errc::not_found);
    std::vector<std::string> kws = {"summer", "Beach"};
    ASSERT_TRUE(lib->set_keywords(*id, kws).ok());
    ASSERT_TRUE(lib->set_title(*id, "Sunny waves", "for the summer drop").ok());
    ASSERT_TRUE(lib->set_licence(*id, "personal").ok());
    std::vector<Tag> tags = {{"style", "art-deco", 0.7, ""}, {"waves", "", 0.6, ""}};
    ASSERT_TRUE(lib->set_tags(*id, "tagger/2", tags).ok());
    std::vector<Tag> tags2 = {{"style", "retro", 0.9, ""}};
    ASSERT_TRUE(lib->set_tags(*id, "tagger/2", tags2).ok());  // replaces that source's tags

    ASSERT_TRUE(lib->create_collection("Summer").ok());
    ASSERT_TRUE(lib->create_collection("Summer").ok());  // idempotent
    std::vector<AssetId> ids = {*id};
    ASSERT_TRUE(lib->add_to_collection("Summer", ids).ok());
    EXPECT_EQ(lib->add_to_collection("Winter", ids).error().code, Errc::not_found);
    auto cols = lib->collections();
    ASSERT_TRUE(cols.ok());
    ASSERT_EQ(cols->size(), 1u);
    EXPECT_EQ((*cols)[0], (std::pair<std::string, std::int64_t>{"Summer", 1}));

    auto a = lib->get(*id);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->rating, 4);
    EXPECT_EQ(a->title, "Sunny waves");
    EXPECT_EQ(a->licence, "personal");
    EXPECT_EQ(a->style, "retro");
    ASSERT_EQ(a->tags.size(), 1u);
    EXPECT_EQ(a->keywords, (std::vector<std::string>{"Beach", "summer"}));

    for (const char* q : {"sunny", "beach", "retro", "collection:summer", "style:retro", "rating>=4",
                          "licence:personal", "keyword:beach"}) {
        auto p = lib->search({.query = q});
        ASSERT_TRUE(p.ok()) << q << ": " << p.error().message;
        EXPECT_EQ(p->items.size(), 1u) << q;
    }
    for (const char* q : {"art-deco", "rating>=5", "tag:waves", "-sunny"}) {
        auto p = lib->search({.query = q});
        ASSERT_TRUE(p.ok()) << q;
        EXPECT_EQ(p->items.size(), 0u) << q;
    }
    ASSERT_TRUE(lib->remove_from_collection("Summer", ids).ok());
    auto p = lib->search({.query = "collection:Summer"});
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(p->items.empty());
}

TEST(CatalogLibrary, MoreLikeThisByPerceptualHashAndEmbedding) {
    const fs::path dir = test::temp_dir("similar");
    auto lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    std::vector<AssetId> ids;
    for (int i = 0; i < 4; ++i) {
        auto id = lib->add({.file = make_png(dir, "s" + std::to_string(i) + ".png", 20 + i)});
        ASSERT_TRUE(id.ok());
        ids.push_back(*id);
    }
    ASSERT_TRUE(lib->set_phash(ids[0], 0xFFFF0000FFFF0000ull).ok());
    ASSERT_TRUE(lib->set_phash(ids[1], 0xFFFF0000FFFF0001ull).ok());  // 1 bit away
    ASSERT_TRUE(lib->set_phash(ids[2], 0xFFFF0000FFFF00FFull).ok());  // 8 bits away
    ASSERT_TRUE(lib->set_phash(ids[3], 0x0000FFFF0000FFFFull).ok());  // 64 bits away
    auto near = lib->similar_by_phash(ids[0], 10, 12);
    ASSERT_TRUE(near.ok());
    ASSERT_EQ(near->size(), 2u);
    EXPECT_EQ((*near)[0].id, ids[1]);
    EXPECT_EQ((*near)[0].distance, 1);
    EXPECT_EQ((*near)[1].id, ids[2]);

    std::vector<float> e0 = {1, 0, 0}, e1 = {0.9f, 0.1f, 0}, e2 = {0, 1, 0}, e3 = {-1, 0, 0};
    ASSERT_TRUE(lib->set_embedding(ids[0], "clip-b32", e0).ok());
    ASSERT_TRUE(lib->set_embedding(ids[1], "clip-b32", e1).ok());
    ASSERT_TRUE(lib->set_embedding(ids[2], "clip-b32", e2).ok());
    ASSERT_TRUE(lib->set_embedding(ids[3], "clip-b32", e3).ok());
    auto emb = lib->similar_by_embedding(ids[0], 2);
    ASSERT_TRUE(emb.ok());
    ASSERT_EQ(emb->size(), 2u);
    EXPECT_EQ((*emb)[0].id, ids[1]);
    EXPECT_EQ((*emb)[1].id, ids[2]);
    EXPECT_NEAR((*emb)[1].distance, 1.0, 1e-6);
    EXPECT_EQ(lib->similar_by_embedding(99999).error().code, Errc::not_found);
}

TEST(CatalogLibrary, ExportCopiesTheFileUnderItsTitle) {
    const fs::path dir = test::temp_dir("export");
    auto lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    const fs::path src = make_png(dir, "src.png", 5);
    auto id = lib->add({.file = src, .title = "Navy / florals"});
    ASSERT_TRUE(id.ok());
    fs::create_directories(dir / "out");
    auto p = lib->export_asset(*id, dir / "out");
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->filename(), "Navy___florals.png");
    EXPECT_EQ(fs::file_size(*p), fs::file_size(src));
    auto p2 = lib->export_asset(*id, dir / "out");  // no overwrite
    ASSERT_TRUE(p2.ok());
    EXPECT_NE(*p2, *p);
    EXPECT_EQ(lib->export_asset(*id, dir / "missing").error().code, Errc::not_found);
}

TEST(CatalogLibrary, ThumbnailsAreMadeInTheBackgroundAndVersioned) {
    const fs::path dir = test::temp_dir("thumbs");
    auto lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    // A 3000x2000 JPEG (shrink-on-load path) and a 300x100 PNG.
    auto big = procedural::noise_texture(3000, 2000, 4);
    ASSERT_TRUE(big.ok());
    ASSERT_TRUE(imageio::save(*big, dir / "big.jpg").ok());
    auto a = lib->add({.file = dir / "big.jpg"});
    auto wide = procedural::gradient(300, 100, 2);
    ASSERT_TRUE(imageio::save(*wide, dir / "wide.png").ok());
    auto b = lib->add({.file = dir / "wide.png"});
    ASSERT_TRUE(a.ok() && b.ok());

    JobQueue queue(JobQueue::Options{.workers = 1});
    std::vector<AssetId> done;
    std::mutex mu;
    auto job = lib->queue_thumbnails(queue, {*a, *b}, [&](AssetId id, const fs::path&) {
        std::lock_guard l(mu);
        done.push_back(id);
    });
    ASSERT_TRUE(job.ok());
    auto r = job->wait();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(done.size(), 2u);

    auto ta = lib->get(*a);
    ASSERT_TRUE(ta.ok());
    const fs::path pa = lib->thumbnail_path(ta->hash);
    EXPECT_NE(pa.string().find("/v" + std::to_string(kThumbnailVersion) + "/"), std::string::npos);
    auto ia = imageio::probe(pa);
    ASSERT_TRUE(ia.ok());
    EXPECT_EQ(ia->width, 256);
    EXPECT_EQ(ia->height, 171);
    EXPECT_TRUE(ta->phash.has_value());  // dHash stored from the thumbnail

    auto tb = lib->get(*b);
    auto ib = imageio::probe(lib->thumbnail_path(tb->hash));
    ASSERT_TRUE(ib.ok());
    EXPECT_EQ(ib->width, 256);
    EXPECT_EQ(ib->height, 85);

    // A missing thumbnail (or one of an older version: another path) is made again.
    fs::remove(pa);
    auto again = lib->ensure_thumbnail(*a);
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(fs::exists(pa));

    // Thumbnails of an older version are removed when the library opens.
    const fs::path old = dir / "lib" / "thumbnails" / "v0" / "ab" / "old.png";
    fs::create_directories(old.parent_path());
    std::ofstream(old) << "x";
    lib.reset();
    lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    EXPECT_FALSE(fs::exists(dir / "lib" / "thumbnails" / "v0"));
    EXPECT_TRUE(fs::exists(pa));
}

TEST(CatalogLibrary, AThumbnailVersionChangeRemakesExactlyTheStaleThumbnails) {
    const fs::path dir = test::temp_dir("thumbs-stale");
    auto lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    std::vector<AssetId> ids;
    for (int i = 0; i < 4; ++i) {
        auto id = lib->add({.file = make_png(dir, "p" + std::to_string(i) + ".png", 10 + i)});
        ASSERT_TRUE(id.ok());
        ids.push_back(*id);
    }
    auto first = lib->refresh_thumbnails();
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(first->made, 4u);
    auto second = lib->refresh_thumbnails();
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->made, 0u);
    EXPECT_EQ(second->current, 4u);

    // Asset 0: its hash is a tagger's (never replaced by a thumbnail dHash).
    // Asset 1: dHash from a thumbnail of an older version (its file is gone
    // with that version's folder). Asset 2: the file was lost. Asset 3: current.
    const fs::path db = dir / "lib" / "library.db";
    exec_sql(db, "UPDATE phashes SET source = 'hash@1', phash = 42 WHERE asset_id = " + std::to_string(ids[0]));
    exec_sql(db, "UPDATE phashes SET source = 'thumbnail@0', phash = 7 WHERE asset_id = " + std::to_string(ids[1]));
    auto path_of = [&](AssetId id) { return lib->thumbnail_path(lib->get(id)->hash); };
    fs::remove(path_of(ids[1]));
    fs::remove(path_of(ids[2]));
    const auto t0 = fs::last_write_time(path_of(ids[0]));
    const auto t3 = fs::last_write_time(path_of(ids[3]));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));

    auto third = lib->refresh_thumbnails();
    ASSERT_TRUE(third.ok());
    EXPECT_EQ(third->made, 2u);
    EXPECT_EQ(third->current, 2u);
    EXPECT_TRUE(third->failed.empty());
    EXPECT_TRUE(fs::exists(path_of(ids[1])));
    EXPECT_TRUE(fs::exists(path_of(ids[2])));
    EXPECT_EQ(fs::last_write_time(path_of(ids[0])), t0);  // not remade
    EXPECT_EQ(fs::last_write_time(path_of(ids[3])), t3);
    EXPECT_EQ(
        pragma_text(db,
                    ("SELECT source || ':' || phash FROM phashes WHERE asset_id = " + std::to_string(ids[0])).c_str()),
        "hash@1:42");
    const std::string s1 =
        pragma_text(db, ("SELECT source FROM phashes WHERE asset_id = " + std::to_string(ids[1])).c_str());
    EXPECT_EQ(s1, thumbnail_hash_source());
    EXPECT_NE(pragma_text(db, ("SELECT phash FROM phashes WHERE asset_id = " + std::to_string(ids[1])).c_str()), "7");
    // Only the given assets when asked.
    fs::remove(path_of(ids[2]));
    fs::remove(path_of(ids[3]));
    const std::vector<AssetId> only = {ids[3]};
    auto fourth = lib->refresh_thumbnails(only);
    ASSERT_TRUE(fourth.ok());
    EXPECT_EQ(fourth->visited, 1u);
    EXPECT_EQ(fourth->made, 1u);
    EXPECT_FALSE(fs::exists(path_of(ids[2])));
}

TEST(CatalogLibrary, TempFilesOfRoundOneCopiesNextToBlobsAreRemovedAtOpen) {
    const fs::path dir = test::temp_dir("blob-dir-temps");
    {
        auto lib = open_lib(dir / "lib");
        ASSERT_TRUE(lib);
        ASSERT_TRUE(lib->add({.file = make_png(dir, "a.png", 3), .storage = Storage::blob}).ok());
    }
    const fs::path sub = dir / "lib" / "blobs" / "ab";
    fs::create_directories(sub);
    const auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
    for (const char* n : {".tmp-123.png", ".tmp-456.jpg", "abcdef.png", ".tmp-789.png"}) {
        std::ofstream(sub / n) << "x";
        if (std::string(n) != ".tmp-789.png") fs::last_write_time(sub / n, two_hours_ago);
    }
    fs::remove(dir / "lib" / ".swept-blob-dir-temps");
    auto blob_count = [&] {
        std::size_t n = 0;
        for (const auto& e : fs::recursive_directory_iterator(dir / "lib" / "blobs"))
            n +=
                e.is_regular_file() && e.path().extension() == ".png" && !e.path().filename().string().starts_with(".");
        return n;
    };
    const std::size_t blobs_before = blob_count();
    {
        auto lib = open_lib(dir / "lib");
        ASSERT_TRUE(lib);
    }
    EXPECT_FALSE(fs::exists(sub / ".tmp-123.png"));
    EXPECT_FALSE(fs::exists(sub / ".tmp-456.jpg"));
    EXPECT_TRUE(fs::exists(sub / ".tmp-789.png"));  // young: maybe still being written
    EXPECT_TRUE(fs::exists(sub / "abcdef.png"));    // not a temp file
    EXPECT_EQ(blob_count(), blobs_before);
    EXPECT_FALSE(fs::exists(dir / "lib" / ".swept-blob-dir-temps"));
    fs::last_write_time(sub / ".tmp-789.png", two_hours_ago);
    {
        auto lib = open_lib(dir / "lib");
        ASSERT_TRUE(lib);
    }
    EXPECT_FALSE(fs::exists(sub / ".tmp-789.png"));
    EXPECT_TRUE(fs::exists(dir / "lib" / ".swept-blob-dir-temps"));  // not swept again
}
