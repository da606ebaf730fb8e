// SPDX-License-Identifier: MIT
// The library's tagging pass with the installed nsfwjs MobileNetV2 model
// (./installer/setup.sh models): moderation tags carry the weights' hash, the
// embedding is stored, and "more like this" by embedding ranks a resized copy
// first.
#include <gtest/gtest.h>

#include "atelier/autotag/autotag.h"
#include "atelier/base/paths.h"
#include "atelier/catalog/library.h"
#include "atelier/image/procedural.h"
#include "atelier/image/resize.h"
#include "atelier/imageio/imageio.h"
#include "test_util.h"

using namespace atelier;
using namespace atelier::catalog;
namespace fs = std::filesystem;

TEST(CatalogTaggingModel, ModerationTagsAndEmbeddingsAreStored) {
    const fs::path dir = test::temp_dir("tagging-model");
    fs::create_directories(dir / "in");
    auto waves = procedural::seamless_waves(160, 160, 21);
    auto noise = procedural::noise_texture(160, 160, 8);
    ASSERT_TRUE(waves.ok() && noise.ok());
    auto small = resize(*waves, 120, 120, {ResizeFilter::lanczos3, true});
    ASSERT_TRUE(small.ok());
    ASSERT_TRUE(imageio::save(*waves, dir / "in" / "a-waves.png").ok());
    ASSERT_TRUE(imageio::save(*small, dir / "in" / "b-waves-small.png").ok());
    ASSERT_TRUE(imageio::save(*noise, dir / "in" / "c-noise.png").ok());

    autotag::Options o;
    o.model_dirs = paths::model_dirs();
    o.device = "cpu";
    std::string note;
    auto tagger = autotag::make_auto_tagger(o, &note);
    ASSERT_TRUE(tagger.ok());
    ASSERT_TRUE(note.empty()) << note << " (this suite needs ./installer/setup.sh models)";
    bool has_moderation = false;
    for (const auto& s : (*tagger)->taggers())
        has_moderation = has_moderation || (s.id == "moderation" && s.model_hash.size() == 64);
    ASSERT_TRUE(has_moderation);

    auto lib = Library::open({.dir = dir / "lib"});
    ASSERT_TRUE(lib.ok());
    std::vector<fs::path> paths = {dir / "in"};
    auto rep = (*lib)->import(paths, {});
    ASSERT_TRUE(rep.ok());
    ASSERT_EQ(rep->added, 3u);
    auto pass = (*lib)->tag_assets(**tagger, {});
    ASSERT_TRUE(pass.ok()) << pass.error().message;
    EXPECT_EQ(pass->tagged, 3u);

    const AssetId waves_id = rep->entries[0].id, small_id = rep->entries[1].id;
    auto a = (*lib)->get(waves_id);
    ASSERT_TRUE(a.ok());
    const Tag* rating = nullptr;
    for (const auto& t : a->tags)
        if (t.name == "moderation.rating") rating = &t;
    ASSERT_NE(rating, nullptr);
    EXPECT_EQ(rating->source, "moderation@1");
    EXPECT_EQ(rating->model_hash.size(), 64u);
    auto near = (*lib)->similar_by_embedding(waves_id, 2);
    ASSERT_TRUE(near.ok()) << near.error().message;
    ASSERT_EQ(near->size(), 2u);
    EXPECT_EQ(near->front().id, small_id);
    EXPECT_LT(near->front().distance, near->back().distance);
    EXPECT_EQ(*(*lib)->count_needing_tags(**tagger), 0);
}
