// SPDX-License-Identifier: MIT
// The library commands of the real `atelier` binary: import, search --json,
// show, export, and their errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "atelier/base/paths.h"
#include "atelier/image/procedural.h"
#include "atelier/image/resize.h"
#include "atelier/imageio/imageio.h"
#include "atelier/test/process.h"
#include "test_util.h"

namespace fs = std::filesystem;
using atelier::test::atelier_binary;

namespace {

// The real binary with its own home: `export` signs, and keys, the local CA
// and the provenance log must not land in the real user's data folder. The
// installed models stay visible (moderation and embeddings when present).
atelier::test::ProcessResult run(const std::string& args) {
    static const fs::path home = atelier::test::temp_dir("cli-home");
    fs::path models;
    for (const auto& d : atelier::paths::model_dirs())
        if (fs::exists(d)) {
            models = d;
            break;
        }
    return atelier::test::run_shell(atelier_binary().string() + " " + args, atelier::test::isolated_home(home, models));
}

std::string q(const fs::path& p) {
    return "'" + p.string() + "'";
}

}  // namespace

TEST(CatalogCli, ImportSearchShowExport) {
    const fs::path dir = atelier::test::temp_dir("cli");
    atelier::test::write_many_pngs(dir / "in", 5);
    fs::copy(fs::path(ATELIER_SOURCE_DIR) / "tests/data/catalog/generator-metadata/automatic1111",
             dir / "in" / "a1111");
    const std::string lib = "--library " + q(dir / "lib");

    auto imp = run("--json import --no-moderation " + q(dir / "in") + " " + lib);
    ASSERT_EQ(imp.code, 0) << imp.out;
    auto ij = nlohmann::json::parse(imp.out);
    EXPECT_EQ(ij["added"], 8);
    EXPECT_EQ(ij["skipped"], 0);

    auto all = run("--json search " + lib);
    ASSERT_EQ(all.code, 0);
    auto aj = nlohmann::json::parse(all.out);
    EXPECT_EQ(aj["total"], 8);
    ASSERT_EQ(aj["results"].size(), 8u);
    for (const auto& r : aj["results"]) {
        EXPECT_TRUE(r.contains("id") && r.contains("title") && r.contains("path") && r.contains("tags"));
        EXPECT_TRUE(fs::exists(r["path"].get<std::string>()));
    }

    auto duck = run("--json search duck source:generated --facets " + lib);
    ASSERT_EQ(duck.code, 0);
    auto dj = nlohmann::json::parse(duck.out);
    EXPECT_EQ(dj["total"], 2);
    EXPECT_EQ(dj["facets"]["model"]["realistic_realisticVisionV20_v20"], 2);

    // Pagination through the CLI.
    auto p1 = nlohmann::json::parse(run("--json search --limit 3 " + lib).out);
    ASSERT_TRUE(p1["next_cursor"].is_string());
    auto p2 = nlohmann::json::parse(
        run("--json search --limit 3 --after " + p1["next_cursor"].get<std::string>() + " " + lib).out);
    ASSERT_EQ(p2["results"].size(), 3u);
    EXPECT_NE(p2["results"][0]["id"], p1["results"][0]["id"]);

    const auto id = std::to_string(dj["results"][0]["id"].get<long long>());
    auto show = run("--json show " + id + " " + lib);
    ASSERT_EQ(show.code, 0);
    auto sj = nlohmann::json::parse(show.out);
    EXPECT_EQ(sj["generation"]["seed"], "235284042");
    EXPECT_EQ(sj["generation"]["sampler"], "UniPC");

    auto exp = run("export " + id + " " + q(dir / "out") + " " + lib);
    ASSERT_EQ(exp.code, 0);
    EXPECT_FALSE(fs::is_empty(dir / "out"));

    // Errors: a bad query is a usage error with a message; an unknown id fails.
    auto bad = run("--json search colr:navy " + lib);
    EXPECT_EQ(bad.code, 2);
    EXPECT_NE(bad.out.find("unknown search key"), std::string::npos);
    EXPECT_EQ(run("show 999 " + lib).code, 1);
    EXPECT_EQ(run("show 1 --library " + q(dir / "nowhere")).code, 1);
}

#ifdef ATELIER_HAVE_AUTOTAG
// Tagging after import (or later with `retag`), and `similar --in LIBRARY`
// answered from the stored hashes.
TEST(CatalogCli, RetagAndSimilarInTheLibrary) {
    using namespace atelier;
    const fs::path dir = test::temp_dir("cli-tag");
    fs::create_directories(dir / "in");
    auto waves = procedural::seamless_waves(128, 128, 11);
    auto grad = procedural::gradient(128, 80, 4);
    ASSERT_TRUE(waves.ok() && grad.ok());
    auto small = resize(*waves, 100, 100, {ResizeFilter::lanczos3, true});
    ASSERT_TRUE(small.ok());
    ASSERT_TRUE(imageio::save(*waves, dir / "in" / "waves.png").ok());
    ASSERT_TRUE(imageio::save(*small, dir / "in" / "waves-small.png").ok());
    ASSERT_TRUE(imageio::save(*grad, dir / "in" / "gradient.png").ok());
    const std::string lib = "--library " + q(dir / "lib");

    auto imp = nlohmann::json::parse(run("--json import --no-tag " + q(dir / "in") + " " + lib).out);
    EXPECT_EQ(imp["added"], 3);
    EXPECT_FALSE(imp.contains("tagging"));
    auto check = nlohmann::json::parse(run("--json retag --check --no-moderation " + lib).out);
    EXPECT_EQ(check["needing_tags"], 3);
    auto none = run("--json similar " + q(dir / "in" / "waves.png") + " --in " + q(dir / "lib"));
    EXPECT_EQ(none.code, 1) << "no hashes before tagging: " << none.out;
    EXPECT_NE(none.out.find("atelier retag"), std::string::npos) << none.out;

    auto retag = run("--json retag --no-moderation " + lib);
    ASSERT_EQ(retag.code, 0) << retag.out;
    EXPECT_EQ(nlohmann::json::parse(retag.out)["tagged"], 3);
    EXPECT_EQ(nlohmann::json::parse(run("--json retag --check --no-moderation " + lib).out)["needing_tags"], 0);

    auto seamless = nlohmann::json::parse(run("--json search seamless:yes " + lib).out);
    EXPECT_EQ(seamless["total"], 2);

    auto sim = run("--json similar " + q(dir / "in" / "waves.png") + " --in " + q(dir / "lib"));
    ASSERT_EQ(sim.code, 0) << sim.out;
    auto sj = nlohmann::json::parse(sim.out);
    EXPECT_EQ(sj["searched"], 3);
    ASSERT_GE(sj["matches"].size(), 2u);
    EXPECT_EQ(sj["matches"][0]["distance"], 0);
    std::set<std::string> titles;
    for (const auto& m : sj["matches"])
        titles.insert(m["title"].get<std::string>());
    EXPECT_TRUE(titles.count("waves") && titles.count("waves-small"));
    EXPECT_FALSE(titles.count("gradient"));

    // Tagging on import (the default): the new asset is tagged at once.
    fs::create_directories(dir / "more");
    auto dots = procedural::seamless_dots(96, 96, 2);
    ASSERT_TRUE(dots.ok());
    ASSERT_TRUE(imageio::save(*dots, dir / "more" / "dots.png").ok());
    auto imp2 = run("--json import --no-moderation " + q(dir / "more") + " " + lib);
    ASSERT_EQ(imp2.code, 0) << imp2.out;
    auto ij2 = nlohmann::json::parse(imp2.out);
    EXPECT_EQ(ij2["added"], 1);
    EXPECT_EQ(ij2["tagging"]["tagged"], 1);
    auto show = nlohmann::json::parse(
        run("--json show " + std::to_string(ij2["entries"][0]["id"].get<long long>()) + " " + lib).out);
    bool palette = false;
    for (const auto& t : show["tags"])
        palette = palette || t["source"] == "palette@1";
    EXPECT_TRUE(palette) << show.dump();
    EXPECT_TRUE(show.contains("phash"));
}
#endif

TEST(CatalogCli, ThumbnailsRemakesExactlyTheStaleOnes) {
    using namespace atelier;
    const fs::path dir = test::temp_dir("cli-thumbs");
    fs::create_directories(dir / "in");
    auto waves = procedural::seamless_waves(96, 64, 3);
    auto grad = procedural::gradient(80, 80, 2);
    ASSERT_TRUE(waves.ok() && grad.ok());
    ASSERT_TRUE(imageio::save(*waves, dir / "in" / "a.png").ok());
    ASSERT_TRUE(imageio::save(*grad, dir / "in" / "b.png").ok());
    const std::string lib = "--library " + q(dir / "lib");
    ASSERT_EQ(run("--json import --no-tag " + q(dir / "in") + " " + lib).code, 0);

    auto first = run("--json thumbnails " + lib);
    ASSERT_EQ(first.code, 0) << first.out << first.err;
    auto f = nlohmann::json::parse(first.out);
    EXPECT_EQ(f["visited"], 2);
    EXPECT_EQ(f["made"].get<int>() + f["current"].get<int>(), 2);

    auto again = nlohmann::json::parse(run("--json thumbnails " + lib).out);
    EXPECT_EQ(again["made"], 0) << "current thumbnails are left alone";
    EXPECT_EQ(again["current"], 2);

    // Lose the thumbnail cache: both are remade, then current again.
    fs::remove_all(dir / "lib" / "thumbnails");
    auto lost = nlohmann::json::parse(run("--json thumbnails " + lib).out);
    EXPECT_EQ(lost["made"], 2);
    std::size_t files = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir / "lib" / "thumbnails"))
        files += e.is_regular_file() ? 1 : 0;
    EXPECT_EQ(files, 2u);
    // Only the asset asked for.
    fs::remove_all(dir / "lib" / "thumbnails");
    auto one = nlohmann::json::parse(run("--json thumbnails 1 " + lib).out);
    EXPECT_EQ(one["visited"], 1);
    EXPECT_EQ(one["made"], 1);

    auto missing = run("thumbnails --library " + q(dir / "nowhere"));
    EXPECT_NE(missing.code, 0);
    EXPECT_FALSE(missing.err.empty());
}
