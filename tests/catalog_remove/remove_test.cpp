// SPDX-License-Identifier: MIT
// Removing assets: every table, the derivation graph, facet counts, the
// full-text index, the blobs and thumbnails, all or nothing; and the real
// `atelier remove` command.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "atelier/catalog/library.h"
#include "test_util.h"

using namespace atelier;
using namespace atelier::catalog;
namespace fs = std::filesystem;

namespace {

std::int64_t facet_count(Library& lib, const std::string& facet, const std::string& value) {
    auto f = lib.facets("");
    EXPECT_TRUE(f.ok());
    if (!f.ok()) return -1;
    auto it = f->facets.find(facet);
    if (it == f->facets.end()) return 0;
    for (const auto& [v, n] : it->second)
        if (v == value) return n;
    return 0;
}

std::int64_t total(Library& lib, const std::string& query) {
    auto p = lib.search({.query = query, .with_total = true});
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
    return p.ok() ? p->total.value_or(-1) : -1;
}

struct Run {
    int code = -1;
    std::string out;
};

Run run_cli(const std::string& args) {
    const std::string cmd = atelier::test::atelier_binary().string() + " " + args + " 2>&1";
    Run r;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p))
        r.out.append(buf, n);
    const int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

}  // namespace

TEST(CatalogRemove, RemovesRowsEdgesAndUnreferencedFilesInOneTransaction) {
    const fs::path dir = atelier::test::temp_dir("remove");
    atelier::test::write_many_pngs(dir / "in", 4);
    auto opened = Library::open({.dir = dir / "lib"});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    Library& lib = **opened;
    auto rep = lib.import(std::vector<fs::path>{dir / "in"});
    ASSERT_TRUE(rep.ok());
    ASSERT_EQ(rep->added, 4u);
    std::vector<AssetId> id;
    for (const auto& e : rep->entries)
        id.push_back(e.id);
    std::sort(id.begin(), id.end());
    const AssetId a = id[0], b = id[1], c = id[2], d = id[3];

    // a is the original of b and c; a and b are in a collection; a is tagged.
    const Derivation from_a{a, "upscale", "{}"};
    ASSERT_TRUE(lib.add_derivation(b, std::span(&from_a, 1)).ok());
    ASSERT_TRUE(lib.add_derivation(c, std::span(&from_a, 1)).ok());
    ASSERT_TRUE(lib.create_collection("Spring").ok());
    ASSERT_TRUE(lib.add_to_collection("Spring", std::vector<AssetId>{a, b}).ok());
    ASSERT_TRUE(lib.set_tags(a, "tagger/1", std::vector<Tag>{{"color", "crimson", 0.9, ""}}).ok());
    ASSERT_TRUE(lib.set_title(a, "Zanzibar tile", "").ok());
    auto thumb = lib.ensure_thumbnail(a);
    ASSERT_TRUE(thumb.ok()) << thumb.error().message;
    auto asset_a = lib.get(a);
    auto asset_b = lib.get(b);
    ASSERT_TRUE(asset_a.ok() && asset_b.ok());
    ASSERT_TRUE(fs::exists(asset_a->path) && fs::exists(asset_b->path) && fs::exists(*thumb));
    ASSERT_EQ(facet_count(lib, "color", "crimson"), 1);
    ASSERT_EQ(total(lib, "Zanzibar"), 1);

    // An unknown id: nothing is removed, nothing deleted.
    auto bad = lib.remove(std::vector<AssetId>{a, 999999});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, Errc::not_found);
    EXPECT_NE(bad.error().message.find("999999"), std::string::npos) << bad.error().message;
    EXPECT_EQ(*lib.count(), 4);
    EXPECT_TRUE(fs::exists(asset_a->path));

    // Remove the original and one child (ids repeated on purpose).
    auto removed = lib.remove(std::vector<AssetId>{a, b, a});
    ASSERT_TRUE(removed.ok()) << removed.error().message;
    EXPECT_EQ(removed->removed, (std::vector<AssetId>{a, b}));
    EXPECT_EQ(removed->detached_children, 1u) << "c is kept without its parent";
    EXPECT_EQ(removed->files_deleted, 3u) << "two blobs and a thumbnail";
    EXPECT_GT(removed->bytes_freed, 0u);
    EXPECT_TRUE(removed->warnings.empty());
    EXPECT_EQ(*lib.count(), 2);
    EXPECT_EQ(lib.get(a).error().code, Errc::not_found);
    EXPECT_FALSE(fs::exists(asset_a->path));
    EXPECT_FALSE(fs::exists(asset_b->path));
    EXPECT_FALSE(fs::exists(*thumb));
    auto kept = lib.get(c);
    ASSERT_TRUE(kept.ok());
    EXPECT_TRUE(kept->parents.empty());
    EXPECT_TRUE(fs::exists(kept->path));
    auto cols = lib.collections();
    ASSERT_TRUE(cols.ok());
    ASSERT_EQ(cols->size(), 1u);
    EXPECT_EQ((*cols)[0].second, 0) << "the collection stays, empty";
    EXPECT_EQ(facet_count(lib, "color", "crimson"), 0);
    EXPECT_EQ(total(lib, "Zanzibar"), 0) << "gone from the full-text index";
    EXPECT_EQ(total(lib, ""), 2);
    EXPECT_EQ(*lib.integrity_check(), "ok");

    // Removing again fails cleanly; the same content can be imported again.
    EXPECT_EQ(lib.remove(std::vector<AssetId>{a}).error().code, Errc::not_found);
    auto again = lib.import(std::vector<fs::path>{dir / "in"});
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->added, 2u);
    EXPECT_EQ(again->duplicates, 2u);
    EXPECT_EQ(*lib.count(), 4);
    (void)d;
}

TEST(CatalogRemove, FilesReferencedInPlaceAreNeverDeleted) {
    const fs::path dir = atelier::test::temp_dir("remove-ref");
    atelier::test::write_many_pngs(dir / "in", 2);
    auto opened = Library::open({.dir = dir / "lib"});
    ASSERT_TRUE(opened.ok());
    ImportOptions o;
    o.storage = Storage::reference;
    auto rep = (*opened)->import(std::vector<fs::path>{dir / "in"}, o);
    ASSERT_TRUE(rep.ok());
    ASSERT_EQ(rep->added, 2u);
    const AssetId id = rep->entries[0].id;
    const fs::path original = rep->entries[0].path;
    auto removed = (*opened)->remove(std::vector<AssetId>{id});
    ASSERT_TRUE(removed.ok());
    EXPECT_EQ(removed->files_deleted, 0u);
    EXPECT_TRUE(fs::exists(original)) << "the designer's own file stays";
    EXPECT_EQ(*(*opened)->count(), 1);
}

TEST(CatalogRemove, CliRemovesAndReportsErrors) {
    const fs::path dir = atelier::test::temp_dir("remove-cli");
    atelier::test::write_many_pngs(dir / "in", 3);
    const std::string lib = "--library '" + (dir / "lib").string() + "'";
    auto imp = run_cli("--json import '" + (dir / "in").string() + "' " + lib);
    ASSERT_EQ(imp.code, 0) << imp.out;
    auto ij = nlohmann::json::parse(imp.out);
    const auto id0 = ij["entries"][0]["id"].get<long long>();
    const auto id1 = ij["entries"][1]["id"].get<long long>();

    auto rm = run_cli("--json remove " + std::to_string(id0) + " " + std::to_string(id1) + " " + lib);
    ASSERT_EQ(rm.code, 0) << rm.out;
    auto rj = nlohmann::json::parse(rm.out);
    EXPECT_EQ(rj["removed"], nlohmann::json::array({id0, id1}));
    EXPECT_EQ(rj["files_deleted"], 2);

    auto left = nlohmann::json::parse(run_cli("--json search " + lib).out);
    EXPECT_EQ(left["total"], 1);

    auto missing = run_cli("remove " + std::to_string(id0) + " " + lib);
    EXPECT_EQ(missing.code, 1);
    EXPECT_NE(missing.out.find("is not in the library"), std::string::npos) << missing.out;
    auto text = run_cli("remove " + std::to_string(left["results"][0]["id"].get<long long>()) + " " + lib);
    EXPECT_EQ(text.code, 0) << text.out;
    EXPECT_NE(text.out.find("removed 1 asset"), std::string::npos) << text.out;
}
