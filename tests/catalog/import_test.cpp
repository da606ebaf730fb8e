// SPDX-License-Identifier: MIT
// Import: folders, dedup, reference mode, resumability, bad input, metadata.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

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

const ImportEntry* entry_for(const ImportReport& r, const std::string& filename) {
    for (const auto& e : r.entries)
        if (e.path.filename() == filename) return &e;
    return nullptr;
}

Result<ImportReport> import_paths(Library& lib, std::vector<fs::path> paths, ImportOptions o = {}) {
    return lib.import(paths, o);
}

}  // namespace

TEST(CatalogImport, FoldersRecursiveWithDuplicatesAndBlobCopies) {
    const fs::path dir = test::temp_dir("folders");
    test::write_many_pngs(dir / "in" / "a", 5, 0);
    test::write_many_pngs(dir / "in" / "a" / "deeper", 3, 100);
    fs::copy_file(dir / "in" / "a" / "img-00000.png", dir / "in" / "copy-of-0.png");
    auto lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    auto r = import_paths(*lib, {dir / "in"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->added, 8u);
    EXPECT_EQ(r->duplicates, 1u);
    EXPECT_EQ(r->skipped, 0u);
    EXPECT_FALSE(r->stopped);
    const auto* dup = entry_for(*r, "copy-of-0.png");
    ASSERT_NE(dup, nullptr);
    EXPECT_EQ(dup->status, ImportEntry::Status::duplicate);
    EXPECT_NE(dup->reason.find("same content as asset"), std::string::npos);

    // Blob mode: the library has its own copy named by content hash.
    auto a = lib->get(r->entries.front().id);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->storage, Storage::blob);
    EXPECT_TRUE(fs::exists(a->path));
    EXPECT_NE(a->path.string().find(a->hash), std::string::npos);
    fs::remove_all(dir / "in");
    EXPECT_TRUE(fs::exists(a->path));  // survives the original's deletion
}

TEST(CatalogImport, ReferenceModeLeavesFilesInPlace) {
    const fs::path dir = test::temp_dir("reference");
    test::write_many_pngs(dir / "in", 3);
    auto lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    ImportOptions o;
    o.storage = Storage::reference;
    auto r = import_paths(*lib, {dir / "in"}, o);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->added, 3u);
    auto a = lib->get(r->entries[0].id);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->storage, Storage::reference);
    EXPECT_EQ(fs::canonical(a->path), fs::canonical(dir / "in" / "img-00000.png"));
    EXPECT_TRUE(fs::is_empty(dir / "lib" / "blobs"));
}

TEST(CatalogImport, ReimportIsResumableAndAddsOnlyNewFiles) {
    const fs::path dir = test::temp_dir("resume");
    test::write_many_pngs(dir / "in", 20);
    auto lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    // Cancel after 7 files (as an interrupted import).
    CancelSource cancel;
    ImportOptions o;
    o.batch_size = 4;
    o.on_file = [&](std::size_t done, std::size_t, const ImportEntry&) {
        if (done == 7) cancel.cancel();
    };
    std::vector<fs::path> in = {dir / "in"};
    auto first = lib->import(in, o, cancel.token());
    ASSERT_TRUE(first.ok());
    EXPECT_TRUE(first->cancelled);
    EXPECT_EQ(first->added, 7u);
    auto count = lib->count();
    ASSERT_TRUE(count.ok());
    EXPECT_EQ(*count, 7);  // the partial batch was committed on the way out

    test::write_many_pngs(dir / "in" / "more", 2, 500);
    auto second = import_paths(*lib, {dir / "in"});
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->added, 15u);
    EXPECT_EQ(second->duplicates, 7u);
    for (const auto& e : second->entries)
        if (e.status == ImportEntry::Status::duplicate) {
            EXPECT_NE(e.reason.find("imported before from this path"), std::string::npos);
        }
    count = lib->count();
    EXPECT_EQ(*count, 22);
}

TEST(CatalogImport, BadInputIsSkippedWithAReasonAndTheImportContinues) {
    const fs::path dir = test::temp_dir("bad");
    const fs::path in = dir / "in";
    test::write_many_pngs(in, 2);
    std::ofstream(in / "notes.txt") << "not an image";
    std::ofstream(in / "empty.png");
    {
        // A PNG cut in half.
        std::ifstream src(in / "img-00000.png", std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(src)), std::istreambuf_iterator<char>());
        std::ofstream(in / "truncated.png", std::ios::binary) << bytes.substr(0, 40);
    }
    auto big = procedural::gradient(300, 300, 1);
    ASSERT_TRUE(imageio::save(*big, in / "too-big.png").ok());
    ASSERT_EQ(::mkfifo((in / "pipe.png").c_str(), 0600), 0);
    fs::create_directory_symlink(in, in / "loop");             // a symlink loop
    fs::create_symlink(in / "gone.png", in / "dangling.png");  // a broken link
    fs::create_directories(in / "sub");
    fs::create_directory_symlink("..", in / "sub" / "up");  // another loop, relative

    auto lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    ImportOptions o;
    o.limits.max_pixels = 200 * 200;
    auto r = import_paths(*lib, {in, dir / "does-not-exist"}, o);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->added, 2u);
    auto reason = [&](const std::string& name) {
        const auto* e = entry_for(*r, name);
        EXPECT_NE(e, nullptr) << name;
        if (e == nullptr) return std::string();
        EXPECT_EQ(e->status, ImportEntry::Status::skipped) << name;
        return e->reason;
    };
    EXPECT_NE(reason("notes.txt").find("not supported"), std::string::npos) << reason("notes.txt");
    EXPECT_NE(reason("empty.png").find("empty"), std::string::npos);
    EXPECT_FALSE(reason("truncated.png").empty());
    EXPECT_NE(reason("too-big.png").find("over the limit"), std::string::npos);
    EXPECT_NE(reason("pipe.png").find("not a regular file"), std::string::npos);
    EXPECT_NE(reason("loop").find("symbolic link loop"), std::string::npos);
    EXPECT_NE(reason("up").find("symbolic link loop"), std::string::npos);
    EXPECT_NE(reason("dangling.png").find("broken symbolic link"), std::string::npos);
    EXPECT_NE(reason("does-not-exist").find("No such file"), std::string::npos);
    EXPECT_EQ(r->skipped, 9u);
}

TEST(CatalogImport, GeneratorMetadataIsSearchable) {
    const fs::path dir = test::temp_dir("generators");
    auto lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    ImportOptions o;
    o.storage = Storage::reference;
    auto r = import_paths(*lib, {fs::path(ATELIER_SOURCE_DIR) / "tests/data/catalog/generator-metadata"}, o);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->added, 12u);
    EXPECT_EQ(r->skipped, 1u);  // README.md
    for (const auto& [query, expected] :
         std::vector<std::pair<std::string, std::size_t>>{{"duck", 2},
                                                          {"model:juggernautXL", 1},
                                                          {"model:Anything-V3.0.ckpt", 2},
                                                          {"source:generated", 11},
                                                          {"source:imported", 1},
                                                          {"goldfish", 1},
                                                          {"victorian wings", 1}}) {
        auto p = lib->search({.query = query});
        ASSERT_TRUE(p.ok()) << query << ": " << p.error().message;
        EXPECT_EQ(p->items.size(), expected) << query;
    }
    auto duck = lib->search({.query = "duck format:jpeg"});
    ASSERT_TRUE(duck.ok());
    ASSERT_EQ(duck->items.size(), 1u);
    auto a = lib->get(duck->items[0].id);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(a->generation);
    EXPECT_EQ(a->generation->seed, "235284042");
    EXPECT_EQ(a->generation->tool, "automatic1111");
}

TEST(CatalogImport, MalformedChunksAddTheFileWithWarnings) {
    const fs::path dir = test::temp_dir("malformed");
    const fs::path in = dir / "in";
    fs::create_directories(in);
    ASSERT_TRUE(test::write_png_with_chunks(in / "bad-utf8.png", 1,
                                            {{"tEXt", test::text_chunk("parameters", "caf\xe9\nSteps: 3, Seed: 9")}}));
    ASSERT_TRUE(test::write_png_with_chunks(
        in / "giant.png", 2, {{"tEXt", test::text_chunk("prompt", "{\"a\": \"" + std::string(3 << 20, 'x') + "\"}")}}));
    ASSERT_TRUE(test::write_png_with_chunks(in / "broken-json.png", 3,
                                            {{"tEXt", test::text_chunk("invokeai_metadata", "{\"seed\": 12,")}}));
    std::string xmp = test::xmp_packet("T", "D", {"k"});
    ASSERT_TRUE(test::write_png_with_chunks(
        in / "truncated-xmp.png", 4, {{"iTXt", test::itxt("XML:com.adobe.xmp", xmp.substr(0, xmp.size() / 3))}}));
    auto lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    auto r = import_paths(*lib, {in});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->added, 4u);
    for (const auto& e : r->entries) {
        EXPECT_EQ(e.status, ImportEntry::Status::added) << e.path;
        EXPECT_FALSE(e.warnings.empty()) << e.path;
        auto a = lib->get(e.id);
        ASSERT_TRUE(a.ok());
        EXPECT_FALSE(a->generation.has_value()) << e.path;
    }
}

namespace {
/// A C2PA reader for the hook's contract only: the real one comes from the
/// provenance module. This one fails for files named "*bad*" and reports a
/// manifest otherwise, to check how the importer records both.
class HookCheckReader : public ProvenanceReader {
public:
    Result<std::optional<ProvenanceSummary>> read(const fs::path& file) override {
        if (file.filename().string().find("bad") != std::string::npos)
            return fail(Errc::corrupt_data, "manifest store is truncated");
        return std::optional<ProvenanceSummary>(ProvenanceSummary{"atelier/0.1", "urn:uuid:1", "valid", "{}"});
    }
};
}  // namespace

TEST(CatalogImport, ProvenanceHookResultsAreStoredAndErrorsAreWarnings) {
    const fs::path dir = test::temp_dir("hook");
    fs::create_directories(dir / "in");
    ASSERT_TRUE(test::write_png_with_chunks(dir / "in" / "good.png", 1));
    ASSERT_TRUE(test::write_png_with_chunks(dir / "in" / "bad.png", 2));
    auto lib = open_lib(dir / "lib");
    ASSERT_TRUE(lib);
    ImportOptions o;
    o.provenance = std::make_shared<HookCheckReader>();
    auto r = import_paths(*lib, {dir / "in"}, o);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->added, 2u);
    const auto* bad = entry_for(*r, "bad.png");
    ASSERT_NE(bad, nullptr);
    ASSERT_EQ(bad->warnings.size(), 1u);
    EXPECT_NE(bad->warnings[0].find("C2PA"), std::string::npos);
    auto good = lib->get(entry_for(*r, "good.png")->id);
    ASSERT_TRUE(good.ok());
    ASSERT_TRUE(good->provenance);
    EXPECT_EQ(good->provenance->validation, "valid");
}
