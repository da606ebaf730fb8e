// SPDX-License-Identifier: MIT
// Catalog benchmark: search and facet latency on a large library (made by
// tests/bench/catalog_generate.py), open + first page, metadata import
// throughput, thumbnails of 12 MP JPEGs (shrink-on-load vs full decode +
// resize, same run), database bytes per asset. Prints JSON lines.
//
//   bench_catalog --library DIR [--reps N] [--work DIR] [--skip-import] [--skip-thumbnails] [--skip-sql-only]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "atelier/catalog/library.h"
#include "atelier/image/procedural.h"
#include "atelier/image/resize.h"
#include "atelier/imageio/imageio.h"

using namespace atelier;
using namespace atelier::catalog;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

void emit(const nlohmann::json& j) {
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
}

const std::vector<std::string> kQueries = {
    "",
    "tag:floral",
    "color:navy",
    "tag:floral color:navy seamless:yes",
    "source:generated model:esrgan-thick",
    "licence:commercial rating>=4",
    "width>=4096",
    "tag:floral color:navy seamless:yes width>=4096 source:generated licence:commercial",
    "after:2026-06-01",
    "style:art-deco sort:rating",
    "garden",
    "navy botanical",
    "wallpaper tag:stripes",
    "sort:title",
    "sort:width color:teal",
};

}  // namespace

int main(int argc, char** argv) {
    fs::path library, work = fs::temp_directory_path() / "atelier-bench-catalog";
    int reps = 20;
    bool skip_import = false, skip_thumbs = false, skip_sql = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--library" && i + 1 < argc)
            library = argv[++i];
        else if (a == "--work" && i + 1 < argc)
            work = argv[++i];
        else if (a == "--reps" && i + 1 < argc)
            reps = std::stoi(argv[++i]);
        else if (a == "--skip-import")
            skip_import = true;
        else if (a == "--skip-sql-only")  // the SQL-only baseline takes minutes at a million assets
            skip_sql = true;
        else if (a == "--skip-thumbnails")
            skip_thumbs = true;
        else {
            std::fprintf(
                stderr,
                "usage: bench_catalog --library DIR [--reps N] [--work DIR] [--skip-import] [--skip-thumbnails] "
                "[--skip-sql-only]\n");
            return 2;
        }
    }

    if (!library.empty()) {
        // Open + first page, in a fresh Library each time (warm OS cache).
        std::vector<double> first;
        for (int r = 0; r < std::max(3, reps / 4); ++r) {
            const auto t0 = Clock::now();
            auto lib = Library::open({.dir = library, .create = false});
            if (!lib) {
                std::fprintf(stderr, "%s\n", lib.error().message.c_str());
                return 1;
            }
            auto page = (*lib)->search({.query = "", .limit = 100});
            auto facets = (*lib)->facets("");
            if (!page || !facets) return 1;
            first.push_back(ms_since(t0));
        }
        auto lib = Library::open({.dir = library, .create = false});
        if (!lib) return 1;
        {
            const auto t0 = Clock::now();
            if (!(*lib)->preload_index().ok()) return 1;
            emit({{"bench", "catalog.preload_index"}, {"ms", ms_since(t0)}});
        }
        auto n = (*lib)->count();
        std::error_code ec;
        const auto bytes = fs::file_size((*lib)->db_path(), ec);
        emit({{"bench", "catalog.open_first_page"},
              {"assets", *n},
              {"median_ms", percentile(first, 0.5)},
              {"p95_ms", percentile(first, 0.95)},
              {"includes", "open + 100 results + sidebar facets"}});
        emit({{"bench", "catalog.db_bytes_per_asset"},
              {"assets", *n},
              {"db_bytes", bytes},
              {"bytes_per_asset", *n ? double(bytes) / double(*n) : 0.0}});

        // Same queries through a second Library without the memory index:
        // the SQL-only path, measured side by side in the same run.
        auto sql_only = Library::open({.dir = library, .create = false});
        if (!sql_only) return 1;
        struct Path {
            const char* name;
            Library* lib;
        };
        std::vector<Path> paths = {Path{"memory index", lib->get()}};
        if (!skip_sql) paths.push_back(Path{"sql only", sql_only->get()});
        for (const Path& path : paths) {
            std::vector<double> all_search, all_facets;
            for (const auto& q : kQueries) {
                std::vector<double> s, f, next;
                std::int64_t hits = 0;
                for (int r = 0; r < reps; ++r) {
                    auto t0 = Clock::now();
                    auto page = path.lib->search({.query = q, .limit = 100});
                    s.push_back(ms_since(t0));
                    if (!page) {
                        std::fprintf(stderr, "%s: %s\n", q.c_str(), page.error().message.c_str());
                        return 1;
                    }
                    hits = static_cast<std::int64_t>(page->items.size());
                    if (!page->next_cursor.empty()) {
                        t0 = Clock::now();
                        auto p2 = path.lib->search({.query = q, .cursor = page->next_cursor, .limit = 100});
                        next.push_back(ms_since(t0));
                        if (!p2) return 1;
                    }
                    t0 = Clock::now();
                    auto fc = path.lib->facets(q);
                    f.push_back(ms_since(t0));
                    if (!fc) return 1;
                }
                all_search.insert(all_search.end(), s.begin(), s.end());
                all_facets.insert(all_facets.end(), f.begin(), f.end());
                emit({{"bench", "catalog.query"},
                      {"path", path.name},
                      {"query", q},
                      {"page_items", hits},
                      {"search_median_ms", percentile(s, 0.5)},
                      {"search_p95_ms", percentile(s, 0.95)},
                      {"next_page_median_ms", percentile(next, 0.5)},
                      {"facets_median_ms", percentile(f, 0.5)},
                      {"facets_p95_ms", percentile(f, 0.95)}});
            }
            emit({{"bench", "catalog.search_top100"},
                  {"path", path.name},
                  {"queries", kQueries.size()},
                  {"reps", reps},
                  {"median_ms", percentile(all_search, 0.5)},
                  {"p95_ms", percentile(all_search, 0.95)},
                  {"goal_p95_ms", 20}});
            emit({{"bench", "catalog.facets"},
                  {"path", path.name},
                  {"queries", kQueries.size()},
                  {"reps", reps},
                  {"median_ms", percentile(all_facets, 0.5)},
                  {"p95_ms", percentile(all_facets, 0.95)},
                  {"goal_p95_ms", 100}});
        }
        // A write (by another connection: the importer, the tagger) followed
        // by a search and facet counts through the memory index, which first
        // catches up with the change log (no reload). The write re-saves an
        // asset's own rating, so the library is left as it was.
        auto writer = Library::open({.dir = library, .create = false});
        if (!writer) return 1;
        for (const std::string q : {"tag:floral color:navy", "garden wallpaper"}) {
            std::vector<double> s, f;
            for (int r = 0; r < reps; ++r) {
                const AssetId id = 1 + (static_cast<AssetId>(r) * 7919) % std::max<std::int64_t>(1, *n);
                auto a = (*writer)->get(id);
                if (!a || !(*writer)->set_rating(id, a->rating).ok()) return 1;
                auto t0 = Clock::now();
                auto page = (*lib)->search({.query = q, .limit = 100});
                s.push_back(ms_since(t0));
                t0 = Clock::now();
                auto fc = (*lib)->facets(q);
                f.push_back(ms_since(t0));
                if (!page || !fc || !(*lib)->index_ready()) return 1;
            }
            emit({{"bench", "catalog.search_after_write"},
                  {"query", q},
                  {"reps", reps},
                  {"search_median_ms", percentile(s, 0.5)},
                  {"search_p95_ms", percentile(s, 0.95)},
                  {"facets_median_ms", percentile(f, 0.5)},
                  {"facets_p95_ms", percentile(f, 0.95)},
                  {"includes", "catching up with one changed row written by another connection"}});
        }
    }

    if (!library.empty()) {
        // Too many changes for the index to patch (limit 0 here: any change):
        // it is loaded again on a background thread; searches meanwhile
        // answer from SQL without waiting for it.
        OpenOptions o{.dir = library, .create = false};
        o.index_patch_limit = 0;
        auto lib = Library::open(o);
        auto writer = Library::open({.dir = library, .create = false});
        if (!lib || !writer || !(*lib)->preload_index().ok()) return 1;
        auto a = (*writer)->get(1);
        if (!a || !(*writer)->set_rating(1, a->rating).ok()) return 1;
        const auto t0 = Clock::now();
        (void)(*lib)->index_ready();  // sees the change: starts the reload
        std::vector<double> during;
        std::int64_t searches = 0;
        const std::vector<std::string> qs = {"color:navy", "tag:floral color:navy", "garden"};
        while (!(*lib)->index_ready() && ms_since(t0) < 120000) {
            const auto t1 = Clock::now();
            if (!(*lib)->search({.query = qs[static_cast<std::size_t>(searches++) % qs.size()], .limit = 100}))
                return 1;
            during.push_back(ms_since(t1));
        }
        emit({{"bench", "catalog.reload_in_background"},
              {"reload_ms", ms_since(t0)},
              {"searches_during_reload", searches},
              {"search_median_ms", percentile(during, 0.5)},
              {"search_max_ms", during.empty() ? 0.0 : *std::max_element(during.begin(), during.end())},
              {"queries", qs}});
    }

    if (!skip_import) {
        // 2,000 small PNGs with an A1111 `parameters` chunk: the import reads
        // headers and metadata, hashes, and writes rows (no pixel decoding).
        fs::remove_all(work / "import");
        fs::create_directories(work / "import" / "files");
        const int kFiles = 2000;
        auto base = procedural::noise_texture(64, 64, 1);
        if (!base) return 1;
        for (int i = 0; i < kFiles; ++i) {
            Image img = *base;
            img.data()[0] = static_cast<std::uint8_t>(i);
            img.data()[1] = static_cast<std::uint8_t>(i >> 8);
            img.metadata().attributes["parameters"] =
                "seamless navy floral pattern " + std::to_string(i) +
                "\nNegative prompt: blurry\nSteps: 30, Sampler: Euler a, CFG scale: 7, Seed: " +
                std::to_string(1000 + i) + ", Size: 64x64, Model hash: abc123, Model: sdxl-base";
            char name[32];
            std::snprintf(name, sizeof name, "f%05d.png", i);
            if (!imageio::save(img, work / "import" / "files" / name).ok()) return 1;
        }
        for (Storage mode : {Storage::reference, Storage::blob}) {
            fs::remove_all(work / "import" / "lib");
            auto lib = Library::open({.dir = work / "import" / "lib"});
            if (!lib) return 1;
            ImportOptions o;
            o.storage = mode;
            std::vector<fs::path> in = {work / "import" / "files"};
            const auto t0 = Clock::now();
            auto r = (*lib)->import(in, o);
            const double ms = ms_since(t0);
            if (!r || r->added != static_cast<std::size_t>(kFiles)) return 1;
            emit({{"bench", "catalog.import_metadata"},
                  {"mode", mode == Storage::blob ? "copy into blob store" : "reference in place"},
                  {"files", kFiles},
                  {"ms", ms},
                  {"files_per_s", kFiles / (ms / 1000.0)},
                  {"goal_files_per_s", 2000}});
            // Re-import of the same folder (resume path: unchanged files are not re-hashed).
            const auto t1 = Clock::now();
            auto again = (*lib)->import(in, o);
            const double ms2 = ms_since(t1);
            if (!again) return 1;
            emit({{"bench", "catalog.reimport_unchanged"},
                  {"mode", mode == Storage::blob ? "copy into blob store" : "reference in place"},
                  {"files", kFiles},
                  {"files_per_s", kFiles / (ms2 / 1000.0)}});
        }
    }

    if (!skip_thumbs) {
        // 12 MP (4000×3000) JPEGs: our path (libjpeg DCT shrink-on-load, then
        // Lanczos to 256 px) against the peer path (full OIIO decode + resize).
        fs::remove_all(work / "thumbs");
        fs::create_directories(work / "thumbs");
        const int kImages = 4;
        auto lib = Library::open({.dir = work / "thumbs" / "lib"});
        if (!lib) return 1;
        std::vector<AssetId> ids;
        std::vector<fs::path> files;
        for (int i = 0; i < kImages; ++i) {
            auto img = procedural::noise_texture(4000, 3000, 10 + i);
            if (!img) return 1;
            const fs::path p = work / "thumbs" / ("photo" + std::to_string(i) + ".jpg");
            if (!imageio::save(*img, p, {.quality = 90}).ok()) return 1;
            auto id = (*lib)->add({.file = p, .storage = Storage::reference});
            if (!id) return 1;
            ids.push_back(*id);
            files.push_back(p);
        }
        std::vector<double> ours, peer;
        for (int rep = 0; rep < 3; ++rep) {
            fs::remove_all(work / "thumbs" / "lib" / "thumbnails");
            for (AssetId id : ids) {
                const auto t0 = Clock::now();
                auto t = (*lib)->ensure_thumbnail(id);
                ours.push_back(ms_since(t0));
                if (!t) {
                    std::fprintf(stderr, "%s\n", t.error().message.c_str());
                    return 1;
                }
            }
            for (const auto& f : files) {
                const auto t0 = Clock::now();
                auto img = imageio::load(f);
                if (!img) return 1;
                auto small = resize(*img, 256, 192, {ResizeFilter::lanczos3, false});
                if (!small) return 1;
                if (!imageio::save(*small, work / "thumbs" / "peer.png").ok()) return 1;
                peer.push_back(ms_since(t0));
            }
        }
        const double o = percentile(ours, 0.5), p = percentile(peer, 0.5);
        emit({{"bench", "catalog.thumbnails_12mp_jpeg"},
              {"images", kImages},
              {"median_ms", o},
              {"images_per_s", 1000.0 / o},
              {"peer", "OIIO full decode + Lanczos resize + PNG write"},
              {"peer_median_ms", p},
              {"peer_images_per_s", 1000.0 / p},
              {"speedup", p / o}});
    }
    return 0;
}
