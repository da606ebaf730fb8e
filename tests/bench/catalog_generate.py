#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes a synthetic asset library for the catalog benchmark.

    tests/bench/catalog_generate.py --atelier BUILD/app/cli/atelier --library DIR [--assets 1000000]
                                    [--tag-set compact|realistic]

The schema is created by the real `atelier` binary (so it is exactly what the
app writes, triggers included); rows are then inserted with plain SQL in one
transaction: assets, generation metadata for generated/derived assets, tags
(colour, style, 1-2 subjects, seamless; with --tag-set realistic also the ~63
tags per asset the taggers write), keywords and the full-text rows (built by
the rule of kInsertFts: tags valued by numbers, #hex colours or hashes are
left out).
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


HEX = set("0123456789abcdefABCDEF")


def fts_value(v):
    """Whether a tag enters the full-text row (the rule of kInsertFts in core/catalog/src/sql_p.h)."""
    if v == "":
        return True
    if not any(c.isascii() and c.isalpha() for c in v) or all(c in "0123456789.eE+-" for c in v):
        return False
    if v[0] == "#":
        return False
    return not (len(v) >= 8 and all(c in HEX for c in v))


def num(x):
    return f"{x:.4g}"


def realistic_tags(rnd, w, h, color, style):
    """~63 tags (67 with the 4.5 above) as the taggers write them: (source, name, value, confidence)."""
    t = []
    sp = "specs@1"
    dpi = rnd.choice((72, 96, 150, 300))
    t += [(sp, "width", str(w), 1.0), (sp, "height", str(h), 1.0), (sp, "megapixels", num(w * h / 1e6), 1.0),
          (sp, "dpi.x", str(dpi), 1.0), (sp, "dpi.y", str(dpi), 1.0),
          (sp, "print.native.width_in", num(w / dpi), 1.0), (sp, "print.native.height_in", num(h / dpi), 1.0)]
    t += [(sp, "bit_depth", "8", 1.0), (sp, "channels", rnd.choice(("3", "4")), 1.0),
          (sp, "alpha", "false", 1.0), (sp, "color_space", "srgb", 1.0),
          (sp, "format", "png", 1.0), (sp, "file_bytes", str(rnd.randrange(100_000, 40_000_000)), 1.0),
          (sp, "pixel_aspect", num(w / h), 1.0)]
    ss = "seamless@1"
    t += [(ss, "seamless.horizontal", num(rnd.random()), 1.0), (ss, "seamless.vertical", num(rnd.random()), 1.0),
          (ss, "repeat.type", rnd.choice(("full-drop", "half-drop", "brick", "none")), rnd.random())]
    pl = "palette@1"
    names = [color] + rnd.sample([c for c in COLORS if c != color], 5)
    t.append((pl, "palette.count", "6", 1.0))
    for k, name in enumerate(names, 1):
        t += [(pl, f"palette.{k}.hex", f"#{rnd.getrandbits(24):06x}", 1.0), (pl, f"palette.{k}.name", name, 0.9),
              (pl, f"palette.{k}.share", num(rnd.random() / k), 1.0)]
    t += [(pl, "palette.background", names[rnd.randrange(6)], 0.8),
          (pl, "palette.harmony", rnd.choice(("analogous", "complementary", "triadic", "monochrome")), rnd.random())]
    for name in names[:3]:
        t.append((pl, f"colour.{name}", "true", rnd.random()))
    st = "style@2"
    for s in STYLES:
        t.append((st, f"style.{s}", num(rnd.random()), rnd.random()))
    t.append((st, "complexity", num(rnd.random()), 1.0))
    hs = "hash@1"
    t += [(hs, "hash.phash", f"{rnd.getrandbits(64):016x}", 1.0),
          (hs, "hash.phash_mirrored", f"{rnd.getrandbits(64):016x}", 1.0),
          (hs, "hash.dhash", f"{rnd.getrandbits(64):016x}", 1.0)]
    md = "nsfwjs-mobilenetv2@1"
    for c in ("drawing", "hentai", "neutral", "porn", "sexy"):
        t.append((md, f"moderation.{c}", num(rnd.random()), rnd.random()))
    t += [(md, "moderation.rating", "safe", 0.9), (md, "style.drawn", num(rnd.random()), rnd.random()),
          (md, "embedding.dims", "1280", 1.0)]
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--atelier", required=True, help="path of the built atelier CLI")
    ap.add_argument("--library", required=True, help="folder of the library to create (must not exist)")
    ap.add_argument("--assets", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--tag-set", choices=("compact", "realistic"), default="compact",
                    help="compact: ~4.5 tags per asset; realistic: ~67 per asset, the names and kinds of values "
                         "the statistical and model taggers write (specs, seamless, palette, style, hash, "
                         "moderation)")
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
        tag_rows = [("tagger/1", n, v, c) for n, v, c in tags]
        if a.tag_set == "realistic":
            tag_rows += realistic_tags(rnd, w, h, color, style)
        for src, name, value, conf in tag_rows:
            batch_tags.append((i, src, name, value, conf))
        kws = rnd.sample(WORDS, 2)
        for k in kws:
            batch_kw.append((i, k))
        batch_fts.append((i, title, desc, prompt + " " + model, " ".join(kws),
                          " ".join(f"{n} {v}" for _, n, v, _ in tag_rows if fts_value(v))))
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
