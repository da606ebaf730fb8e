-- SPDX-License-Identifier: MIT
-- A library as Atelier wrote it at schema v1 (frozen: never edit to match
-- newer code). The migration tests load this and open it with the current
-- build, which must upgrade it step by step and keep every row.
PRAGMA application_id = 1096043602;
PRAGMA user_version = 1;
BEGIN;
CREATE TABLE assets(
  id            INTEGER PRIMARY KEY,
  hash          TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
  storage       TEXT NOT NULL CHECK (storage IN ('blob', 'reference')),
  path          TEXT NOT NULL,
  original_path TEXT NOT NULL DEFAULT '',
  title         TEXT NOT NULL DEFAULT '',
  description   TEXT NOT NULL DEFAULT '',
  width         INTEGER NOT NULL CHECK (width > 0),
  height        INTEGER NOT NULL CHECK (height > 0),
  format        TEXT NOT NULL COLLATE NOCASE,
  file_bytes    INTEGER NOT NULL CHECK (file_bytes >= 0),
  source        TEXT NOT NULL CHECK (source IN ('generated', 'imported', 'purchased', 'derived')),
  created_at    INTEGER NOT NULL,
  imported_at   INTEGER NOT NULL,
  licence       TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
  rating        INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
  seamless      INTEGER CHECK (seamless IN (0, 1)),
  color_family  TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
  style         TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
  model         TEXT NOT NULL DEFAULT '' COLLATE NOCASE
);
CREATE INDEX assets_by_created ON assets(created_at, id);

CREATE TABLE generation(
  asset_id        INTEGER PRIMARY KEY REFERENCES assets(id) ON DELETE CASCADE,
  tool            TEXT NOT NULL DEFAULT '',
  model           TEXT NOT NULL DEFAULT '',
  model_hash      TEXT NOT NULL DEFAULT '',
  prompt          TEXT NOT NULL DEFAULT '',
  negative_prompt TEXT NOT NULL DEFAULT '',
  seed            TEXT NOT NULL DEFAULT '',
  steps           INTEGER,
  sampler         TEXT NOT NULL DEFAULT '',
  cfg_scale       REAL,
  workflow        TEXT NOT NULL DEFAULT '',
  raw             TEXT NOT NULL DEFAULT ''
);

CREATE TABLE derivations(
  child_id   INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  parent_id  INTEGER NOT NULL REFERENCES assets(id) ON DELETE RESTRICT,
  ordinal    INTEGER NOT NULL,
  operation  TEXT NOT NULL,
  parameters TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (child_id, parent_id),
  CHECK (child_id <> parent_id)
) WITHOUT ROWID;
CREATE INDEX derivations_by_parent ON derivations(parent_id, child_id);

CREATE TABLE tags(
  asset_id   INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  source     TEXT NOT NULL,
  name       TEXT NOT NULL COLLATE NOCASE,
  value      TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
  confidence REAL NOT NULL DEFAULT 1.0 CHECK (confidence BETWEEN 0 AND 1),
  PRIMARY KEY (asset_id, source, name, value)
) WITHOUT ROWID;
CREATE INDEX tags_by_name ON tags(name, value, asset_id);

CREATE TABLE keywords(
  asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  keyword  TEXT NOT NULL COLLATE NOCASE,
  PRIMARY KEY (asset_id, keyword)
) WITHOUT ROWID;
CREATE INDEX keywords_by_word ON keywords(keyword, asset_id);

CREATE TABLE collections(
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
  created_at INTEGER NOT NULL
);
CREATE TABLE collection_items(
  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  asset_id      INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  added_at      INTEGER NOT NULL,
  PRIMARY KEY (collection_id, asset_id)
) WITHOUT ROWID;
CREATE INDEX collection_items_by_asset ON collection_items(asset_id);

CREATE TABLE import_sources(
  path     TEXT PRIMARY KEY,
  size     INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX import_sources_by_asset ON import_sources(asset_id);

CREATE VIRTUAL TABLE assets_fts USING fts5(
  title, description, prompt, keywords, tags,
  tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO assets(id, hash, storage, path, original_path, title, description, width, height, format, file_bytes,
                   source, created_at, imported_at, licence, rating, seamless, color_family, style, model)
VALUES
 (1, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'reference', '/nowhere/navy-florals.png',
  '/nowhere/navy-florals.png', 'Navy florals', 'A seamless floral repeat', 4096, 4096, 'png', 1000, 'generated',
  1767225600, 1767225600, 'commercial', 5, 1, 'navy', 'botanical', 'esrgan-thick'),
 (2, 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'reference', '/nowhere/upscaled.png',
  '/nowhere/upscaled.png', 'Navy florals 4x', '', 16384, 16384, 'png', 4000, 'derived',
  1767312000, 1767312000, 'commercial', 0, 1, 'navy', 'botanical', 'esrgan-thick');
INSERT INTO generation(asset_id, tool, model, prompt, seed, steps, sampler)
VALUES (1, 'atelier', 'sd-tiny', 'navy florals, seamless', '18446744073709551615', 30, 'euler');
INSERT INTO derivations(child_id, parent_id, ordinal, operation, parameters)
VALUES (2, 1, 0, 'upscale', '{"model": "esrgan-thick", "scale": 4}');
INSERT INTO tags(asset_id, source, name, value, confidence) VALUES
 (1, 'tagger-1', 'floral', '', 0.93), (1, 'tagger-1', 'color', 'navy', 0.88);
INSERT INTO keywords(asset_id, keyword) VALUES (1, 'spring'), (1, 'wallpaper');
INSERT INTO collections(id, name, created_at) VALUES (1, 'Spring drop', 1767225600);
INSERT INTO collection_items(collection_id, asset_id, added_at) VALUES (1, 1, 1767225600), (1, 2, 1767312000);
INSERT INTO assets_fts(rowid, title, description, prompt, keywords, tags)
VALUES (1, 'Navy florals', 'A seamless floral repeat', 'navy florals, seamless', 'spring wallpaper', 'floral  color navy'),
       (2, 'Navy florals 4x', '', '', '', '');
COMMIT;
