-- SPDX-License-Identifier: MIT
-- A library as Atelier wrote it at schema v2 (frozen: never edit to match
-- newer code): three referenced A1111 files, tags from taggers and a user,
-- thumbnail dHashes. The migration tests load this and open it with the
-- current build, which must upgrade it and keep every row.
PRAGMA application_id = 1096043602;
PRAGMA user_version = 2;
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
, res_bucket TEXT GENERATED ALWAYS AS (
  CASE WHEN max(width, height) >= 8192 THEN '8k+'
       WHEN max(width, height) >= 4096 THEN '4k'
       WHEN max(width, height) >= 2048 THEN '2k'
       WHEN max(width, height) >= 1024 THEN '1k'
       ELSE 'under-1k' END) VIRTUAL);
INSERT INTO assets VALUES(1,'bbedd8b48b7a8899c0b3018432f2d55ea2157411d022f17dec6eeedc9b4da1fa','reference','/old/place/automatic1111_cropped.png','/tmp/v2fix/in/automatic1111_cropped.jpg','automatic1111_cropped','',1,1,'jpeg',705,'generated',1795773409,1795773411,'commercial',0,NULL,'navy','','realistic_realisticVisionV20_v20');
INSERT INTO assets VALUES(2,'7c76e634f1290150909c3d7f96951361cbbc88e1a3df1349fcf8d4c522000306','reference','/old/place/automatic1111_cropped.png','/tmp/v2fix/in/automatic1111_cropped.png','automatic1111_cropped','',1,1,'png',272,'generated',1795773409,1795773411,'commercial',0,1,'','','realistic_realisticVisionV20_v20');
INSERT INTO assets VALUES(3,'89740fb4e1ed71c6bccb5a73ec9df37cfac1ef65550f6950735e5c9cedaf4ea5','reference','/old/place/automatic1111_stealth.png','/tmp/v2fix/in/automatic1111_stealth.png','automatic1111_stealth','',64,64,'png',5865,'imported',1795773409,1795773411,'commercial',0,NULL,'','','');
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
INSERT INTO generation VALUES(1,'automatic1111','realistic_realisticVisionV20_v20','c0d1994c73','photo of a duck','monochrome','235284042',15,'UniPC',5.0,'',replace('photo of a duck\nNegative prompt: monochrome\nSteps: 15, Sampler: UniPC, CFG scale: 5, Seed: 235284042, Size: 512x400, Model hash: c0d1994c73, Model: realistic_realisticVisionV20_v20','\n',char(10)));
INSERT INTO generation VALUES(2,'automatic1111','realistic_realisticVisionV20_v20','c0d1994c73','photo of a duck','monochrome','235284042',15,'UniPC',5.0,'',replace('photo of a duck\nNegative prompt: monochrome\nSteps: 15, Sampler: UniPC, CFG scale: 5, Seed: 235284042, Size: 512x400, Model hash: c0d1994c73, Model: realistic_realisticVisionV20_v20','\n',char(10)));
CREATE TABLE derivations(
  child_id   INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  parent_id  INTEGER NOT NULL REFERENCES assets(id) ON DELETE RESTRICT,
  ordinal    INTEGER NOT NULL,
  operation  TEXT NOT NULL,
  parameters TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (child_id, parent_id),
  CHECK (child_id <> parent_id)
) WITHOUT ROWID;
CREATE TABLE tags(
  asset_id   INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  source     TEXT NOT NULL,
  name       TEXT NOT NULL COLLATE NOCASE,
  value      TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
  confidence REAL NOT NULL DEFAULT 1.0 CHECK (confidence BETWEEN 0 AND 1),
  PRIMARY KEY (asset_id, source, name, value)
) WITHOUT ROWID;
INSERT INTO tags VALUES(1,'palette@1','palette.1.name','navy',0.9000000000000000222);
INSERT INTO tags VALUES(1,'user','favourite','',1.0);
INSERT INTO tags VALUES(2,'seamless@1','seamless','true',0.8000000000000000444);
CREATE TABLE keywords(
  asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  keyword  TEXT NOT NULL COLLATE NOCASE,
  PRIMARY KEY (asset_id, keyword)
) WITHOUT ROWID;
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
CREATE TABLE import_sources(
  path     TEXT PRIMARY KEY,
  size     INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO import_sources VALUES('/tmp/v2fix/in/automatic1111_cropped.jpg',705,1795773409212710072,1);
INSERT INTO import_sources VALUES('/tmp/v2fix/in/automatic1111_cropped.png',272,1795773409212747474,2);
INSERT INTO import_sources VALUES('/tmp/v2fix/in/automatic1111_stealth.png',5865,1795773409212773443,3);
CREATE TABLE facet_totals(
  facet TEXT NOT NULL,
  value TEXT NOT NULL,
  n     INTEGER NOT NULL,
  PRIMARY KEY (facet, value)
) WITHOUT ROWID;
INSERT INTO facet_totals VALUES('color','',2);
INSERT INTO facet_totals VALUES('color','navy',1);
INSERT INTO facet_totals VALUES('licence','commercial',3);
INSERT INTO facet_totals VALUES('model','',1);
INSERT INTO facet_totals VALUES('model','realistic_realisticVisionV20_v20',2);
INSERT INTO facet_totals VALUES('resolution','under-1k',3);
INSERT INTO facet_totals VALUES('seamless','',2);
INSERT INTO facet_totals VALUES('seamless','yes',1);
INSERT INTO facet_totals VALUES('source','generated',2);
INSERT INTO facet_totals VALUES('source','imported',1);
INSERT INTO facet_totals VALUES('style','',3);
CREATE TABLE phashes(
  asset_id INTEGER PRIMARY KEY REFERENCES assets(id) ON DELETE CASCADE,
  phash    INTEGER NOT NULL
);
INSERT INTO phashes VALUES(1,1234567);
INSERT INTO phashes VALUES(2,-5);
CREATE TABLE embeddings(
  asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  model    TEXT NOT NULL,
  dim      INTEGER NOT NULL CHECK (dim > 0),
  vector   BLOB NOT NULL CHECK (length(vector) = 4 * dim),
  PRIMARY KEY (asset_id, model)
) WITHOUT ROWID;
CREATE TABLE provenance(
  asset_id        INTEGER PRIMARY KEY REFERENCES assets(id) ON DELETE CASCADE,
  claim_generator TEXT NOT NULL DEFAULT '',
  manifest_label  TEXT NOT NULL DEFAULT '',
  validation      TEXT NOT NULL DEFAULT '',
  manifest_json   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX assets_by_created ON assets(created_at, id);
CREATE INDEX derivations_by_parent ON derivations(parent_id, child_id);
CREATE INDEX tags_by_name ON tags(name, value, asset_id);
CREATE INDEX keywords_by_word ON keywords(keyword, asset_id);
CREATE INDEX collection_items_by_asset ON collection_items(asset_id);
CREATE INDEX import_sources_by_asset ON import_sources(asset_id);
CREATE INDEX assets_by_source   ON assets(source, created_at, id);
CREATE INDEX assets_by_licence  ON assets(licence, created_at, id);
CREATE INDEX assets_by_model    ON assets(model, created_at, id);
CREATE INDEX assets_by_color    ON assets(color_family, created_at, id);
CREATE INDEX assets_by_style    ON assets(style, created_at, id);
CREATE INDEX assets_by_seamless ON assets(seamless, created_at, id);
CREATE INDEX assets_by_rating   ON assets(rating, created_at, id);
CREATE INDEX assets_by_width    ON assets(width, id);
CREATE INDEX assets_by_title    ON assets(title, id);
CREATE TRIGGER assets_facets_insert AFTER INSERT ON assets BEGIN
  INSERT INTO facet_totals(facet, value, n) VALUES
    ('source', NEW.source, 1), ('licence', NEW.licence, 1), ('model', NEW.model, 1),
    ('color', NEW.color_family, 1), ('style', NEW.style, 1),
    ('seamless', CASE NEW.seamless WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE '' END, 1),
    ('resolution', NEW.res_bucket, 1)
  ON CONFLICT(facet, value) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER assets_facets_delete AFTER DELETE ON assets BEGIN
  UPDATE facet_totals SET n = n - 1 WHERE
       (facet = 'source' AND value = OLD.source) OR (facet = 'licence' AND value = OLD.licence)
    OR (facet = 'model' AND value = OLD.model) OR (facet = 'color' AND value = OLD.color_family)
    OR (facet = 'style' AND value = OLD.style)
    OR (facet = 'seamless' AND value = CASE OLD.seamless WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE '' END)
    OR (facet = 'resolution' AND value = OLD.res_bucket);
  DELETE FROM assets_fts WHERE rowid = OLD.id;
END;
CREATE TRIGGER assets_facets_update
AFTER UPDATE OF source, licence, model, color_family, style, seamless, width, height ON assets BEGIN
  UPDATE facet_totals SET n = n - 1 WHERE
       (facet = 'source' AND value = OLD.source) OR (facet = 'licence' AND value = OLD.licence)
    OR (facet = 'model' AND value = OLD.model) OR (facet = 'color' AND value = OLD.color_family)
    OR (facet = 'style' AND value = OLD.style)
    OR (facet = 'seamless' AND value = CASE OLD.seamless WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE '' END)
    OR (facet = 'resolution' AND value = OLD.res_bucket);
  INSERT INTO facet_totals(facet, value, n) VALUES
    ('source', NEW.source, 1), ('licence', NEW.licence, 1), ('model', NEW.model, 1),
    ('color', NEW.color_family, 1), ('style', NEW.style, 1),
    ('seamless', CASE NEW.seamless WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE '' END, 1),
    ('resolution', NEW.res_bucket, 1)
  ON CONFLICT(facet, value) DO UPDATE SET n = n + 1;
END;
CREATE INDEX embeddings_by_model ON embeddings(model);
CREATE VIRTUAL TABLE assets_fts USING fts5(
  title, description, prompt, keywords, tags,
  tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO assets_fts(rowid, title, description, prompt, keywords, tags)
SELECT a.id, a.title, a.description, coalesce(g.prompt, '') || ' ' || coalesce(g.model, ''),
       coalesce((SELECT group_concat(keyword, ' ') FROM keywords WHERE asset_id = a.id), ''),
       coalesce((SELECT group_concat(name || ' ' || value, ' ') FROM tags WHERE asset_id = a.id), '')
FROM assets a LEFT JOIN generation g ON g.asset_id = a.id;
COMMIT;

