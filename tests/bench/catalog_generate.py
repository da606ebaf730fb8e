#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes a synthetic asset library for the catalog benchmark.

    tests/bench/catalog_generate.py --atelier BUILD/app/cli/atelier --library DIR [--assets 1000000]

The schema is created by the real `atelier` binary (so it is exactly what the
app writes, triggers included); rows are then inserted with plain SQL in one
transaction: assets, generation metadata for generated/derived assets, tags
(colour, style, 1-2 subjects, seamless), keywords and the full-text rows.
Deterministic for a given --seed. Never run by the test suite.
"""
import argparse
import os
import random
import sqlite3
import subprocess
import sys
import time

COLORS = ["navy", "red", "green", "teal", "mustard", "blush", "black", "white", "ochre", "lilac", "coral", "sage"]
STYLES = ["botanical", "geometric", "art-deco", "boho", "retro", "minimal", "watercolour", "damask", "tropical",
          "folk"]
SUBJECTS = ["floral", "leaves", "stripes", "dots", "paisley", "birds", "waves", "stars", "fruit", "abstract",
            "animals", "toile", "checks", "mosaic", "marble", "clouds", "shells", "feathers", "hearts", "lemons"]
MODELS = ["sd-1.5", "sdxl-base", "juggernautXL", "esrgan-thick", "esrgan-medium", "esrgan-slim", "flux-dev",
          "realisticVision", "dreamshaper", "anything-v3", "deliberate", "playground-v2", "kandinsky", "pixart",
          "sd-turbo", "sdxl-turbo", "cascade", "hunyuan", "kolors", "auraflow"]
LICENCES = ["commercial"] * 4 + ["personal"] * 4 + ["cc-by-4.0", ""]
SOURCES = ["generated"] * 12 + ["imported"] * 5 + ["purchased"] + ["derived"] * 2
SIZES = [512, 768, 1024, 1024, 2048, 2048, 3000, 4096, 4096, 8192]
WORDS = ("pattern seamless repeat motif tile vintage elegant soft bold delicate hand drawn painted ink pastel "
         "vibrant muted summer winter spring autumn garden ocean forest desert city night morning golden silver "
         "linen paper fabric wallpaper gift wrap textile print cushion scarf dress bedding tablecloth poster "
         "card sticker mural tapestry quilt rug curtain notebook").split()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--atelier", required=True, help="path of the built atelier CLI")
    ap.add_argument("--library", required=True, help="folder of the library to create (must not exist)")
    ap.add_argument("--assets", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    if os.path.exists(os.path.join(a.library, "library.db")):
        sys.exit(f"{a.library} already holds a library; choose an empty folder")
    # The real binary creates the schema (and runs every migration).
    subprocess.run([a.atelier, "--quiet", "search", "--library", a.library, "--limit", "1"], check=True,
                   stdout=subprocess.DEVNULL)
    rnd = random.Random(a.seed)
    db = sqlite3.connect(os.path.join(a.library, "library.db"), isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -262144")
    t0 = time.time()
    db.execute("BEGIN")
    now = 1_790_000_000
    batch_assets, batch_gen, batch_tags, batch_kw, batch_fts = [], [], [], [], []

    def flush():
        db.executemany(
            "INSERT INTO assets(id, hash, storage, path, original_path, title, description, width, height, format, "
            "file_bytes, source, created_at, imported_at, licence, rating, seamless, color_family, style, model) "
            "VALUES (?,?,'reference',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch_assets)
        db.executemany("INSERT INTO generation(asset_id, tool, model, prompt, negative_prompt, seed, steps, sampler) "
                       "VALUES (?,?,?,?,?,?,?,?)", batch_gen)
        db.executemany("INSERT INTO tags(asset_id, source, name, value, confidence) VALUES (?,?,?,?,?)", batch_tags)
        db.executemany("INSERT INTO keywords(asset_id, keyword) VALUES (?,?)", batch_kw)
        db.executemany("INSERT INTO assets_fts(rowid, title, description, prompt, keywords, tags) VALUES (?,?,?,?,?,?)",
                       batch_fts)
        for b in (batch_assets, batch_gen, batch_tags, batch_kw, batch_fts):
            b.clear()

    for i in range(1, a.assets + 1):
        color = rnd.choice(COLORS)
        style = rnd.choice(STYLES)
        subjects = rnd.sample(SUBJECTS, rnd.choice((1, 1, 2)))
        source = rnd.choice(SOURCES)
        model = rnd.choice(MODELS) if source in ("generated", "derived") else ""
        w = rnd.choice(SIZES)
        h = rnd.choice(SIZES) if rnd.random() < 0.3 else w
        seamless = rnd.choice((1, 1, 1, 0, 0, 0, 0, 0, None, None))
        rating = rnd.choice((0,) * 14 + (1, 2, 3, 4, 5, 5))
        created = now - rnd.randrange(0, 2 * 365 * 86400)
        title = f"{style} {color} {subjects[0]} {i}"
        desc = " ".join(rnd.choice(WORDS) for _ in range(6))
        prompt = ""
        h64 = f"{rnd.getrandbits(256):064x}"
        path = f"/srv/assets/{h64[:2]}/{h64}.png"
        batch_assets.append((i, h64, path, path, title, desc, w, h, "png", w * h // 3, source, created, created,
                             rnd.choice(LICENCES), rating, seamless, color, style, model))
        if model:
            prompt = f"{color} {style} {' '.join(subjects)} " + " ".join(rnd.choice(WORDS) for _ in range(10))
            batch_gen.append((i, "atelier", model, prompt, "blurry, low quality", str(rnd.getrandbits(64)),
                              rnd.choice((20, 25, 30, 40)), rnd.choice(("euler", "dpmpp_2m", "uni_pc"))))
        tags = [("color", color, 0.9), ("style", style, 0.8)] + [(s, "", 0.7) for s in subjects]
        if seamless is not None:
            tags.append(("seamless", "yes" if seamless else "no", 0.95))
        for name, value, conf in tags:
            batch_tags.append((i, "tagger/1", name, value, conf))
        kws = rnd.sample(WORDS, 2)
        for k in kws:
            batch_kw.append((i, k))
        batch_fts.append((i, title, desc, prompt + " " + model, " ".join(kws),
                          " ".join(f"{n} {v}" for n, v, _ in tags)))
        if i % 20000 == 0:
            flush()
            print(f"{i} assets, {time.time() - t0:.0f} s", file=sys.stderr)
    flush()
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print(f'{{"generated_assets": {a.assets}, "seconds": {time.time() - t0:.1f}}}')


if __name__ == "__main__":
    main()
