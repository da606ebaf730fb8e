// SPDX-License-Identifier: MIT
// Tagger plugins: the real example plugin (plugins/tagger/layout) loaded
// through the C ABI into a pipeline; refusals with reasons for a plugin built
// for another ABI and for a library that is no plugin.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <variant>

#include <unistd.h>

#include "atelier/ops/tag_plugins.h"
#include "atelier/ops/tagger.h"
#include "eval_set.h"

namespace atelier {
namespace {

namespace fs = std::filesystem;

std::string text(const ops::TagReport& r, std::string_view name) {
    const ops::Tag* t = r.find(name);
    return t ? ops::tag_value_string(t->value) : "<missing>";
}

TEST(Plugins, LayoutPluginTagsThroughTheCAbi) {
    auto t = ops::load_tagger_plugin(ATELIER_LAYOUT_PLUGIN);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ((*t)->info().qualified(), "layout@1");
    auto pipeline = ops::TagPipeline::with_builtin_taggers();
    ASSERT_TRUE(pipeline.add(std::move(*t)).ok());
    auto wide = pipeline.run(evalset::photo_like(320, 180, 1)).value();
    EXPECT_EQ(text(wide, "layout.orientation"), "landscape");
    EXPECT_EQ(text(wide, "layout.aspect"), "16:9");
    EXPECT_EQ(text(wide, "layout.cutout"), "false");
    EXPECT_EQ(wide.find("layout.aspect")->tagger, "layout@1");
    auto tall = pipeline.run(evalset::photo_like(200, 300, 2)).value();
    EXPECT_EQ(text(tall, "layout.orientation"), "portrait");
    EXPECT_EQ(text(tall, "layout.aspect"), "2:3");
    // A sticker: an opaque disc on transparency.
    auto sticker = Image::create(120, 120, 4, PixelType::u8).value();
    for (int y = 0; y < 120; ++y)
        for (int x = 0; x < 120; ++x)
            if ((x - 60) * (x - 60) + (y - 60) * (y - 60) < 40 * 40) {
                sticker.set_sample(x, y, 0, 1.0f);
                sticker.set_sample(x, y, 3, 1.0f);
            }
    auto s = pipeline.run(sticker).value();
    EXPECT_EQ(text(s, "layout.cutout"), "true");
    EXPECT_EQ(text(s, "layout.aspect"), "1:1");
    // Several threads at once (plugins must be thread-safe; the adapter is).
    auto batch = pipeline.run_batch({&sticker, &sticker}).value();
    EXPECT_EQ(text(*batch[1], "layout.cutout"), "true");
}

TEST(Plugins, WrongAbiAndNonPluginsAreRefusedWithReasons) {
    auto wrong = ops::load_tagger_plugin(ATELIER_WRONG_ABI_PLUGIN);
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().code, Errc::unsupported);
    EXPECT_NE(wrong.error().message.find("built for tagger ABI 99"), std::string::npos) << wrong.error().message;
    EXPECT_NE(wrong.error().message.find("rebuild the plugin"), std::string::npos);
    auto other = ops::load_tagger_plugin(ATELIER_NOT_A_TAGGER);
    ASSERT_FALSE(other.ok());
    EXPECT_NE(other.error().message.find("not a tagger plugin"), std::string::npos) << other.error().message;
    auto missing = ops::load_tagger_plugin("/nonexistent/libnothing.so");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("cannot be loaded"), std::string::npos);
}

TEST(Plugins, DirectoryLoadKeepsTheGoodOnesAndListsTheRest) {
    const fs::path dir = fs::temp_directory_path() / ("atelier-plugins-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    fs::copy_file(ATELIER_LAYOUT_PLUGIN, dir / "liblayout.so", fs::copy_options::overwrite_existing);
    fs::copy_file(ATELIER_WRONG_ABI_PLUGIN, dir / "libwrong.so", fs::copy_options::overwrite_existing);
    fs::copy_file(ATELIER_NOT_A_TAGGER, dir / "libother.so", fs::copy_options::overwrite_existing);
    {
        auto loaded = ops::load_tagger_plugins(dir);
        ASSERT_EQ(loaded.taggers.size(), 1u);
        EXPECT_EQ(loaded.taggers[0]->info().id, "layout");
        ASSERT_EQ(loaded.rejected.size(), 2u);
        for (const auto& [path, error] : loaded.rejected)
            EXPECT_NE(error.message.find(path.string()), std::string::npos) << error.message;
    }
    EXPECT_TRUE(ops::load_tagger_plugins(dir / "absent").taggers.empty());
    fs::remove_all(dir);
}

}  // namespace
}  // namespace atelier
