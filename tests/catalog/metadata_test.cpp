// SPDX-License-Identifier: MIT
// Generation metadata of other tools, read from the real files in
// tests/data/catalog/generator-metadata (see its README for the expected values).
#include <gtest/gtest.h>

#include <fstream>

#include "atelier/catalog/metadata.h"
#include "atelier/imageio/imageio.h"
#include "test_util.h"

using namespace atelier;
using namespace atelier::catalog;
namespace fs = std::filesystem;

namespace {

const fs::path kData = fs::path(ATELIER_SOURCE_DIR) / "tests/data/catalog/generator-metadata";

FileMetadata read(const std::string& rel) {
    const fs::path p = kData / rel;
    auto info = imageio::probe(p);
    EXPECT_TRUE(info.ok()) << rel << ": " << (info.ok() ? "" : info.error().message);
    if (!info.ok()) return {};
    return read_file_metadata(p, info->attributes, 1 << 20);
}

struct Expected {
    std::string file, tool, seed;
    std::optional<int> steps;
    std::string sampler, model, prompt_part;
};

}  // namespace

TEST(CatalogMetadata, EveryGeneratorFileGivesItsExpectedValues) {
    const std::vector<Expected> cases = {
        {"automatic1111/automatic1111_cropped.png", "automatic1111", "235284042", 15, "UniPC",
         "realistic_realisticVisionV20_v20", "photo of a duck"},
        {"automatic1111/automatic1111_cropped.jpg", "automatic1111", "235284042", 15, "UniPC",
         "realistic_realisticVisionV20_v20", "photo of a duck"},
        {"comfyui/img2img_cropped.png", "comfyui", "280823642470253", 20, "sample_dpmpp_2m", "v1-5-pruned-emaonly.ckpt",
         "victorian woman with wings"},
        {"comfyui/night_evening_day_morning_cropped.png", "comfyui", "335608130539327", 13, "dpmpp_sde",
         "Anything-V3.0.ckpt", "morning sky"},
        {"comfyui/noisy_latents_3_subjects_cropped.png", "comfyui", "", std::nullopt, "", "Anything-V3.0.ckpt", ""},
        {"comfyui/unclip_2pass_cropped.png", "comfyui", "1106257833005336", 26, "uni_pc_bh2",
         "wd-1-5-beta2-aesthetic-unclip-h-fp32.safetensors", ""},
        {"invokeai/invokeai_imeta1.png", "invokeai", "3293022630", 35, "euler", "juggernautXL",
         "digital artwork, oil painting"},
        {"invokeai/invokeai_sdmeta1.png", "invokeai", "2980747362", 50, "k_lms", "deliberateForInvoke_v08",
         "professional full body photo"},
        {"invokeai/invokeai_dream1.png", "invokeai", "2980747362", 50, "", "", "professional full body photo"},
        {"fooocus/fooocus1_cropped.png", "fooocus", "6952411511246973023", 30, "dpmpp_2m_sde_gpu",
         "juggernautXL_v8Rundiffusion", "a smiling goldfish"},
        {"novelai/novelai1_cropped.png", "novelai", "2253955223", 50, "k_euler_ancestral", "Stable Diffusion 1D44365E",
         "cat, space, icon"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.file);
        FileMetadata m = read(c.file);
        ASSERT_TRUE(m.generation.has_value());
        const auto& g = *m.generation;
        EXPECT_EQ(g.tool, c.tool);
        EXPECT_EQ(g.model, c.model);
        if (!c.seed.empty()) {
            EXPECT_EQ(g.seed, c.seed);
        }
        if (c.steps) {
            EXPECT_EQ(g.steps, c.steps);
        }
        if (!c.sampler.empty()) {
            EXPECT_EQ(g.sampler, c.sampler);
        }
        if (!c.prompt_part.empty()) {
            EXPECT_NE(g.prompt.find(c.prompt_part), std::string::npos) << g.prompt;
        }
        EXPECT_TRUE(m.warnings.empty()) << m.warnings.front();
    }
}

TEST(CatalogMetadata, A1111NegativePromptAndCfg) {
    auto m = read("automatic1111/automatic1111_cropped.png");
    ASSERT_TRUE(m.generation);
    EXPECT_EQ(m.generation->negative_prompt, "monochrome");
    EXPECT_EQ(m.generation->cfg_scale, 5.0);
    EXPECT_EQ(m.generation->model_hash, "c0d1994c73");
}

TEST(CatalogMetadata, ComfyUiKeepsTheWorkflowAndFollowsConditioning) {
    auto m = read("comfyui/night_evening_day_morning_cropped.png");
    ASSERT_TRUE(m.generation);
    EXPECT_FALSE(m.generation->workflow.empty());
    EXPECT_EQ(m.generation->workflow.front(), '{');
    // Positive conditioning is a tree of ConditioningCombine/SetArea nodes.
    EXPECT_NE(m.generation->prompt.find("(daytime:1.2) sky (blue)"), std::string::npos);
}

TEST(CatalogMetadata, StealthAlphaMetadataIsNotAChunk) {
    // The 'stealth' A1111 file hides its text in alpha bits: no text chunk to read.
    auto m = read("automatic1111/automatic1111_stealth.png");
    EXPECT_FALSE(m.generation.has_value());
    EXPECT_TRUE(m.warnings.empty());
}

TEST(CatalogMetadata, SeedsAbove2To53StayExact) {
    auto g = parse_comfyui(R"({"3": {"class_type": "KSampler", "inputs": {"seed": 18446744073709551615, "steps": 4}}})",
                           "", nullptr);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->seed, "18446744073709551615");
}

TEST(CatalogMetadata, MalformedChunksAreIgnoredWithAReason) {
    std::map<std::string, std::string> attrs;
    attrs["parameters"] = std::string("photo\nSteps: 5, Seed: 1") + "\xff\xfe";  // bad UTF-8
    attrs["prompt"] = std::string(2 << 20, '{');                                 // giant
    attrs["invokeai_metadata"] = R"({"positive_prompt": "cut off)";              // broken JSON
    FileMetadata m = parse_text_attributes(attrs, 1 << 20);
    EXPECT_FALSE(m.generation.has_value());
    ASSERT_EQ(m.warnings.size(), 3u);
    std::string all;
    for (const auto& w : m.warnings)
        all += w + "\n";
    EXPECT_NE(all.find("'parameters' text chunk: it is not valid UTF-8"), std::string::npos) << all;
    EXPECT_NE(all.find("'prompt' text chunk: 2097152 bytes, over"), std::string::npos) << all;
    EXPECT_NE(all.find("'invokeai_metadata' text chunk: malformed JSON"), std::string::npos) << all;
}

TEST(CatalogMetadata, XmpKeywordsTitleAndDescriptionFromAPng) {
    const fs::path dir = test::temp_dir("xmp");
    const fs::path png = dir / "with-xmp.png";
    ASSERT_TRUE(test::write_png_with_chunks(
        png, 1,
        {{"iTXt", test::itxt("XML:com.adobe.xmp",
                             test::xmp_packet("Navy florals", "A seamless repeat", {"floral", "navy", "seamless"}))}}));
    auto info = imageio::probe(png);
    ASSERT_TRUE(info.ok());
    FileMetadata m = read_file_metadata(png, info->attributes, 1 << 20);
    EXPECT_EQ(m.title, "Navy florals");
    EXPECT_EQ(m.description, "A seamless repeat");
    EXPECT_EQ(m.keywords, (std::vector<std::string>{"floral", "navy", "seamless"}));
    EXPECT_TRUE(m.warnings.empty()) << m.warnings.front();
}

TEST(CatalogMetadata, TruncatedXmpIsReported) {
    const fs::path dir = test::temp_dir("xmp-bad");
    const fs::path png = dir / "truncated-xmp.png";
    std::string packet = test::xmp_packet("T", "D", {"a"});
    packet.resize(packet.size() / 2);
    ASSERT_TRUE(test::write_png_with_chunks(png, 2, {{"iTXt", test::itxt("XML:com.adobe.xmp", packet)}}));
    auto info = imageio::probe(png);
    ASSERT_TRUE(info.ok()) << info.error().message;
    FileMetadata m = read_file_metadata(png, info->attributes, 1 << 20);
    EXPECT_TRUE(m.keywords.empty());
    bool reported = false;
    for (const auto& w : m.warnings)
        reported |= w.find("XMP") != std::string::npos;
    EXPECT_TRUE(reported);
}

TEST(CatalogMetadata, Utf8Validation) {
    EXPECT_TRUE(valid_utf8("plain ascii"));
    EXPECT_TRUE(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xa8"));
    EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong
    EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate
    EXPECT_FALSE(valid_utf8("\xe2\x82"));          // truncated
    EXPECT_FALSE(valid_utf8("latin1 \xe9t\xe9"));  // not UTF-8
}
