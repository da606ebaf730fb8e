// SPDX-License-Identifier: MIT
#pragma once

// Every SQL statement of the catalog, in one place: the migrations (one per
// schema step) and the statements the library prepares. Values are always
// bound (?1, ?2, ...); the search builder in search.cpp only concatenates the
// constant fragments declared at the bottom of this file.

#include <string_view>

namespace atelier::catalog::sql {

/// 'ATLR': marks the file as an Atelier library (PRAGMA application_id).
inline constexpr int kApplicationId = 0x41544C52;

/// Connection setup, run on every open.
inline constexpr std::string_view kPragmas = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = ON;
PRAGMA busy_timeout = 5000;
PRAGMA temp_store = MEMORY;
PRAGMA cache_size = -65536;
)sql";

/// One migration: the SQL that takes the schema from version `to - 1` to `to`.
struct Migration {
    int to;
    std::string_view sql;
};

// v1: assets, generation metadata, derivation graph, tags, keywords,
// collections, known source files (for resumable imports), full-text index.
inline constexpr std::string_view kMigrationV1 = R"sql(
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
)sql";

// v2: facets (resolution bucket, facet indexes, running totals kept by
// triggers), similarity (perceptual hashes, embeddings), C2PA summaries.
inline constexpr std::string_view kMigrationV2 = R"sql(
ALTER TABLE assets ADD COLUMN res_bucket TEXT GENERATED ALWAYS AS (
  CASE WHEN max(width, height) >= 8192 THEN '8k+'
       WHEN max(width, height) >= 4096 THEN '4k'
       WHEN max(width, height) >= 2048 THEN '2k'
       WHEN max(width, height) >= 1024 THEN '1k'
       ELSE 'under-1k' END) VIRTUAL;

CREATE INDEX assets_by_source   ON assets(source, created_at, id);
CREATE INDEX assets_by_licence  ON assets(licence, created_at, id);
CREATE INDEX assets_by_model    ON assets(model, created_at, id);
CREATE INDEX assets_by_color    ON assets(color_family, created_at, id);
CREATE INDEX assets_by_style    ON assets(style, created_at, id);
CREATE INDEX assets_by_seamless ON assets(seamless, created_at, id);
CREATE INDEX assets_by_rating   ON assets(rating, created_at, id);
CREATE INDEX assets_by_width    ON assets(width, id);
CREATE INDEX assets_by_title    ON assets(title, id);

CREATE TABLE facet_totals(
  facet TEXT NOT NULL,
  value TEXT NOT NULL,
  n     INTEGER NOT NULL,
  PRIMARY KEY (facet, value)
) WITHOUT ROWID;

INSERT INTO facet_totals(facet, value, n)
  SELECT 'source', source, count(*) FROM assets GROUP BY source
  UNION ALL SELECT 'licence', licence, count(*) FROM assets GROUP BY licence
  UNION ALL SELECT 'model', model, count(*) FROM assets GROUP BY model
  UNION ALL SELECT 'color', color_family, count(*) FROM assets GROUP BY color_family
  UNION ALL SELECT 'style', style, count(*) FROM assets GROUP BY style
  UNION ALL SELECT 'seamless', CASE seamless WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE '' END, count(*)
              FROM assets GROUP BY 2
  UNION ALL SELECT 'resolution', res_bucket, count(*) FROM assets GROUP BY res_bucket;

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

CREATE TABLE phashes(
  asset_id INTEGER PRIMARY KEY REFERENCES assets(id) ON DELETE CASCADE,
  phash    INTEGER NOT NULL
);
CREATE TABLE embeddings(
  asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
  model    TEXT NOT NULL,
  dim      INTEGER NOT NULL CHECK (dim > 0),
  vector   BLOB NOT NULL CHECK (length(vector) = 4 * dim),
  PRIMARY KEY (asset_id, model)
) WITHOUT ROWID;
CREATE INDEX embeddings_by_model ON embeddings(model);
CREATE TABLE provenance(
  asset_id        INTEGER PRIMARY KEY REFERENCES assets(id) ON DELETE CASCADE,
  claim_generator TEXT NOT NULL DEFAULT '',
  manifest_label  TEXT NOT NULL DEFAULT '',
  validation      TEXT NOT NULL DEFAULT '',
  manifest_json   TEXT NOT NULL DEFAULT ''
);
)sql";

// v3: auto-tagging (model hash of each tag, which taggers tagged each asset),
// perceptual hashes from the hash tagger next to the thumbnail's dHash, and a
// change log that lets in-memory indexes catch up with writes of any
// connection (rows changed since seq N) instead of reloading. Tag writes are
// logged through the assets row: every tag change ends with
// kRefreshTagFacets, an UPDATE of that row.
inline constexpr std::string_view kMigrationV3 = R"sql(
ALTER TABLE tags ADD COLUMN model_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE phashes ADD COLUMN phash_mirrored INTEGER;
ALTER TABLE phashes ADD COLUMN dhash INTEGER;
ALTER TABLE phashes ADD COLUMN source TEXT NOT NULL DEFAULT 'thumbnail';
CREATE INDEX phashes_by_source ON phashes(source);

CREATE TABLE tag_state(
  asset_id  INTEGER PRIMARY KEY REFERENCES assets(id) ON DELETE CASCADE,
  stamps    TEXT NOT NULL,
  tagged_at INTEGER NOT NULL,
  problems  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tag_state_by_stamps ON tag_state(stamps);

CREATE TABLE asset_changes(
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  asset_id INTEGER NOT NULL
);
CREATE TRIGGER assets_log_update AFTER UPDATE ON assets BEGIN
  INSERT INTO asset_changes(asset_id) VALUES (NEW.id);
END;
CREATE TRIGGER assets_log_delete AFTER DELETE ON assets BEGIN
  INSERT INTO asset_changes(asset_id) VALUES (OLD.id);
END;
)sql";

/// Every step, in order; the last one's `to` is kSchemaVersion.
inline constexpr Migration kMigrations[] = {{1, kMigrationV1}, {2, kMigrationV2}, {3, kMigrationV3}};

// ---- statements ------------------------------------------------------------
inline constexpr std::string_view kUserVersion = "PRAGMA user_version";
inline constexpr std::string_view kApplicationIdGet = "PRAGMA application_id";
inline constexpr std::string_view kIntegrityCheck = "PRAGMA integrity_check";
inline constexpr std::string_view kForeignKeyCheck = "PRAGMA foreign_key_check";
inline constexpr std::string_view kCountTables = "SELECT count(*) FROM sqlite_schema WHERE type = 'table'";

inline constexpr std::string_view kInsertAsset = R"sql(
INSERT INTO assets(hash, storage, path, original_path, title, description, width, height, format,
                   file_bytes, source, created_at, imported_at, licence, seamless, color_family, style, model)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18))sql";
inline constexpr std::string_view kFindByHash = "SELECT id FROM assets WHERE hash = ?1";
inline constexpr std::string_view kAssetExists = "SELECT 1 FROM assets WHERE id = ?1";
inline constexpr std::string_view kSelectAsset = R"sql(
SELECT id, hash, storage, path, original_path, title, description, width, height, format, file_bytes,
       source, created_at, imported_at, licence, rating, seamless, color_family, style, model
FROM assets WHERE id = ?1)sql";
inline constexpr std::string_view kCountAssets = "SELECT count(*) FROM assets";

inline constexpr std::string_view kInsertGeneration = R"sql(
INSERT OR REPLACE INTO generation(asset_id, tool, model, model_hash, prompt, negative_prompt, seed, steps,
                                  sampler, cfg_scale, workflow, raw)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12))sql";
inline constexpr std::string_view kSelectGeneration = R"sql(
SELECT tool, model, model_hash, prompt, negative_prompt, seed, steps, sampler, cfg_scale, workflow, raw
FROM generation WHERE asset_id = ?1)sql";

inline constexpr std::string_view kInsertTag =
    "INSERT OR REPLACE INTO tags(asset_id, source, name, value, confidence, model_hash) VALUES (?1, ?2, ?3, ?4, ?5, "
    "?6)";
inline constexpr std::string_view kDeleteTagsFromSource = "DELETE FROM tags WHERE asset_id = ?1 AND source = ?2";
inline constexpr std::string_view kSelectTags =
    "SELECT name, value, confidence, source, model_hash FROM tags WHERE asset_id = ?1 ORDER BY confidence DESC, name";
/// The strongest tag of a facet name ('color', 'style', 'seamless') for the
/// facet columns; the palette tagger's dominant colour name stands in for a
/// 'color' tag.
inline constexpr std::string_view kRefreshTagFacets = R"sql(
UPDATE assets SET
  color_family = coalesce((SELECT value FROM tags WHERE asset_id = ?1 AND name IN ('color', 'palette.1.name')
                           ORDER BY name = 'color' DESC, confidence DESC LIMIT 1), color_family),
  style = coalesce((SELECT value FROM tags WHERE asset_id = ?1 AND name = 'style'
                    ORDER BY confidence DESC LIMIT 1), style),
  seamless = coalesce((SELECT CASE WHEN value IN ('yes', 'true', '1', '') THEN 1 ELSE 0 END FROM tags
                       WHERE asset_id = ?1 AND name = 'seamless' ORDER BY confidence DESC LIMIT 1), seamless)
WHERE id = ?1)sql";

inline constexpr std::string_view kInsertKeyword = "INSERT OR IGNORE INTO keywords(asset_id, keyword) VALUES (?1, ?2)";
inline constexpr std::string_view kDeleteKeywords = "DELETE FROM keywords WHERE asset_id = ?1";
inline constexpr std::string_view kSelectKeywords = "SELECT keyword FROM keywords WHERE asset_id = ?1 ORDER BY keyword";

inline constexpr std::string_view kInsertDerivation = R"sql(
INSERT OR REPLACE INTO derivations(child_id, parent_id, ordinal, operation, parameters)
VALUES (?1, ?2, ?3, ?4, ?5))sql";
inline constexpr std::string_view kSelectParents =
    "SELECT parent_id, operation, parameters FROM derivations WHERE child_id = ?1 ORDER BY ordinal";
inline constexpr std::string_view kSelectChildren =
    "SELECT child_id FROM derivations WHERE parent_id = ?1 ORDER BY child_id";

inline constexpr std::string_view kInsertCollection =
    "INSERT INTO collections(name, created_at) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING";
inline constexpr std::string_view kFindCollection = "SELECT id FROM collections WHERE name = ?1";
inline constexpr std::string_view kAddToCollection =
    "INSERT OR IGNORE INTO collection_items(collection_id, asset_id, added_at) VALUES (?1, ?2, ?3)";
inline constexpr std::string_view kRemoveFromCollection =
    "DELETE FROM collection_items WHERE collection_id = ?1 AND asset_id = ?2";
inline constexpr std::string_view kListCollections = R"sql(
SELECT c.name, (SELECT count(*) FROM collection_items i WHERE i.collection_id = c.id)
FROM collections c ORDER BY c.name)sql";
inline constexpr std::string_view kAssetCollections = R"sql(
SELECT c.name FROM collection_items i JOIN collections c ON c.id = i.collection_id
WHERE i.asset_id = ?1 ORDER BY c.name)sql";

inline constexpr std::string_view kSetRating = "UPDATE assets SET rating = ?2 WHERE id = ?1";
inline constexpr std::string_view kSetTitle = "UPDATE assets SET title = ?2, description = ?3 WHERE id = ?1";
inline constexpr std::string_view kSetLicence = "UPDATE assets SET licence = ?2 WHERE id = ?1";
inline constexpr std::string_view kSetModel = "UPDATE assets SET model = ?2 WHERE id = ?1 AND model = ''";

/// Thumbnail hashes carry the thumbnail version in their source (?3, see
/// thumbnail_hash_source()): hashes of another version are stale.
inline constexpr std::string_view kUpsertPhash =
    "INSERT OR REPLACE INTO phashes(asset_id, phash, source) VALUES (?1, ?2, ?3)";
/// The thumbnail's dHash never replaces a tagger's hashes, only a thumbnail
/// hash (of this or an earlier thumbnail version).
inline constexpr std::string_view kInsertThumbnailHash = R"sql(
INSERT INTO phashes(asset_id, phash, source) VALUES (?1, ?2, ?3)
ON CONFLICT(asset_id) DO UPDATE SET phash = excluded.phash, phash_mirrored = NULL, dhash = NULL,
                                    source = excluded.source
WHERE phashes.source = 'thumbnail' OR phashes.source GLOB 'thumbnail@*')sql";
/// Assets after ?1 (by id, at most ?2) with their hash and the source of their perceptual hash.
inline constexpr std::string_view kThumbnailStates = R"sql(
SELECT a.id, a.hash, p.source FROM assets a LEFT JOIN phashes p ON p.asset_id = a.id
WHERE a.id > ?1 ORDER BY a.id LIMIT ?2)sql";
inline constexpr std::string_view kUpsertTaggerHashes =
    "INSERT OR REPLACE INTO phashes(asset_id, phash, phash_mirrored, dhash, source) VALUES (?1, ?2, ?3, ?4, ?5)";
inline constexpr std::string_view kSelectPhash = "SELECT phash, source FROM phashes WHERE asset_id = ?1";
inline constexpr std::string_view kPhashSource = "SELECT source FROM phashes WHERE asset_id = ?1";
inline constexpr std::string_view kAllPhashes =
    "SELECT asset_id, phash FROM phashes WHERE asset_id <> ?1 AND source = ?2";
inline constexpr std::string_view kHashesOfSource =
    "SELECT asset_id, phash, coalesce(phash_mirrored, 0), coalesce(dhash, 0) FROM phashes WHERE source = ?1 "
    "ORDER BY asset_id";
inline constexpr std::string_view kUpsertEmbedding =
    "INSERT OR REPLACE INTO embeddings(asset_id, model, dim, vector) VALUES (?1, ?2, ?3, ?4)";
inline constexpr std::string_view kSelectEmbedding =
    "SELECT model, vector FROM embeddings WHERE asset_id = ?1 ORDER BY model LIMIT 1";
inline constexpr std::string_view kEmbeddingsOfModel =
    "SELECT asset_id, vector FROM embeddings WHERE model = ?1 AND asset_id <> ?2";

// ---- auto-tagging -----------------------------------------------------------------
inline constexpr std::string_view kCountTagCurrent = "SELECT count(*) FROM tag_state WHERE stamps = ?1";
/// The next assets (by id, after ?1) that are not tagged with stamps ?2.
inline constexpr std::string_view kStaleAssets = R"sql(
SELECT a.id FROM assets a LEFT JOIN tag_state s ON s.asset_id = a.id
WHERE a.id > ?1 AND (s.stamps IS NULL OR s.stamps <> ?2) ORDER BY a.id LIMIT ?3)sql";
inline constexpr std::string_view kAssetsAfter = "SELECT id FROM assets WHERE id > ?1 ORDER BY id LIMIT ?2";
inline constexpr std::string_view kTagStateOf = "SELECT stamps FROM tag_state WHERE asset_id = ?1";
inline constexpr std::string_view kUpsertTagState =
    "INSERT OR REPLACE INTO tag_state(asset_id, stamps, tagged_at, problems) VALUES (?1, ?2, ?3, ?4)";
inline constexpr std::string_view kAssetFileAndHash = "SELECT storage, path, hash FROM assets WHERE id = ?1";

inline constexpr std::string_view kUpsertProvenance = R"sql(
INSERT OR REPLACE INTO provenance(asset_id, claim_generator, manifest_label, validation, manifest_json)
VALUES (?1, ?2, ?3, ?4, ?5))sql";
inline constexpr std::string_view kSelectProvenance =
    "SELECT claim_generator, manifest_label, validation, manifest_json FROM provenance WHERE asset_id = ?1";

inline constexpr std::string_view kFindSource = "SELECT size, mtime_ns, asset_id FROM import_sources WHERE path = ?1";
inline constexpr std::string_view kUpsertSource =
    "INSERT OR REPLACE INTO import_sources(path, size, mtime_ns, asset_id) VALUES (?1, ?2, ?3, ?4)";

/// Change log housekeeping: entries older than the newest 200,000 are dropped
/// on open (an index further behind than that reloads in full).
inline constexpr std::string_view kPruneChanges =
    "DELETE FROM asset_changes WHERE seq <= (SELECT max(seq) FROM asset_changes) - 200000";
inline constexpr std::string_view kMaxChangeSeq = "SELECT coalesce(max(seq), 0) FROM asset_changes";
inline constexpr std::string_view kMinChangeSeq = "SELECT coalesce(min(seq), 0) FROM asset_changes";
inline constexpr std::string_view kChangedSince =
    "SELECT DISTINCT asset_id FROM asset_changes WHERE seq > ?1 ORDER BY asset_id";
inline constexpr std::string_view kMemIndexRow =
    "SELECT id, source, licence, model, color_family, style, format, seamless, width, height, rating, created_at "
    "FROM assets WHERE id = ?1";
inline constexpr std::string_view kMemIndexRowsAfter =
    "SELECT id, source, licence, model, color_family, style, format, seamless, width, height, rating, created_at "
    "FROM assets WHERE id > ?1 ORDER BY id";
inline constexpr std::string_view kMemIndexTagsOf = "SELECT name, value FROM tags WHERE asset_id = ?1";
inline constexpr std::string_view kMemIndexTagsAfter =
    "SELECT asset_id, name, value FROM tags WHERE asset_id > ?1 ORDER BY asset_id";

/// Rebuilds one asset's full-text row from its current data. Tags enter
/// the text with their names when their value is empty or a word: numbers
/// (sizes, scores, shares), `#rrggbb` colours and hex hashes are left out —
/// nearly unique per asset, they made most of the full-text index's size and
/// vocabulary while nobody types them (`tag:` and the compare filters find
/// them). tests/bench/catalog_generate.py applies the same rule.
inline constexpr std::string_view kDeleteFts = "DELETE FROM assets_fts WHERE rowid = ?1";
inline constexpr std::string_view kInsertFts = R"sql(
INSERT INTO assets_fts(rowid, title, description, prompt, keywords, tags)
SELECT a.id, a.title, a.description, coalesce(g.prompt, '') || ' ' || coalesce(g.model, ''),
       coalesce((SELECT group_concat(keyword, ' ') FROM keywords WHERE asset_id = a.id), ''),
       coalesce((SELECT group_concat(name || ' ' || value, ' ') FROM tags WHERE asset_id = a.id
                 AND (value = '' OR (value GLOB '*[a-zA-Z]*' AND value GLOB '*[^0-9.eE+-]*'
                      AND substr(value, 1, 1) <> '#'
                      AND NOT (length(value) >= 8 AND value NOT GLOB '*[^0-9a-fA-F]*')))), '')
FROM assets a LEFT JOIN generation g ON g.asset_id = a.id WHERE a.id = ?1)sql";

// ---- the in-memory index (mem_index.cpp) ---------------------------------------
inline constexpr std::string_view kDataVersion = "PRAGMA data_version";
inline constexpr std::string_view kMemIndexLoad =
    "SELECT id, source, licence, model, color_family, style, format, seamless, width, height, rating, created_at "
    "FROM assets ORDER BY id";
/// Both streams of a tag filter (named, or valued); the caller merges them.
inline constexpr std::string_view kMemIndexTags = "SELECT asset_id, name, value FROM tags ORDER BY asset_id";
inline constexpr std::string_view kIdsTagName = "SELECT asset_id FROM tags WHERE name = ?1";
inline constexpr std::string_view kIdsTagValue = "SELECT asset_id FROM tags WHERE value = ?1";
inline constexpr std::string_view kIdsKeyword = "SELECT asset_id FROM keywords WHERE keyword = ?1";
inline constexpr std::string_view kIdsCollection =
    "SELECT i.asset_id FROM collection_items i JOIN collections c ON c.id = i.collection_id WHERE c.name = ?1";
inline constexpr std::string_view kFtsColumnsOf =
    "SELECT title, description, prompt, keywords, tags FROM assets_fts WHERE rowid = ?1";
/// A change the memory index must see that writes no `assets` row (keywords, text).
inline constexpr std::string_view kLogChange = "INSERT INTO asset_changes(asset_id) VALUES (?1)";
inline constexpr std::string_view kIdsFts = "SELECT rowid FROM assets_fts WHERE assets_fts MATCH ?1";
inline constexpr std::string_view kSummariesByIds =
    "SELECT a.id, a.hash, a.title, a.path, a.width, a.height, a.format, a.rating, a.created_at, a.storage "
    "FROM assets a WHERE a.id IN (SELECT value FROM json_each(?1))";

inline constexpr std::string_view kFacetTotals = "SELECT facet, value, n FROM facet_totals WHERE n > 0";

// ---- search fragments (search.cpp joins these; values are bound) -------------
inline constexpr std::string_view kSearchSelect =
    "SELECT a.id, a.hash, a.title, a.path, a.width, a.height, a.format, a.rating, a.created_at, a.storage FROM assets "
    "a";
inline constexpr std::string_view kSearchCount = "SELECT count(*) FROM assets a";
inline constexpr std::string_view kFacetScan =
    "SELECT a.source, a.licence, a.model, a.color_family, a.style, a.seamless, a.res_bucket FROM assets a";
/// Tags and keywords of a page of results: the ids come as a JSON array in
/// ?1. Tags with values that are numbers, `#rrggbb` colours or hex hashes
/// (the same rule as kInsertFts) are left out: a result lists what it shows
/// as chips; `Library::get` has every tag.
inline constexpr std::string_view kPageTags = R"sql(
SELECT asset_id, CASE WHEN value = '' THEN name ELSE name || ':' || value END FROM tags
WHERE asset_id IN (SELECT value FROM json_each(?1))
  AND (value = '' OR (value GLOB '*[a-zA-Z]*' AND value GLOB '*[^0-9.eE+-]*' AND substr(value, 1, 1) <> '#'
       AND NOT (length(value) >= 8 AND value NOT GLOB '*[^0-9a-fA-F]*')))
UNION ALL SELECT asset_id, keyword FROM keywords WHERE asset_id IN (SELECT value FROM json_each(?1)))sql";
inline constexpr std::string_view kWhereFts = "a.id IN (SELECT rowid FROM assets_fts WHERE assets_fts MATCH ?)";
/// Two forms of the same tag filter: probing each row's tags (best when the
/// tag is common and rows come in index order) or the set of tagged ids from
/// the tag index (best when the tag is rare, and for facet counts).
inline constexpr std::string_view kWhereTag =
    "EXISTS (SELECT 1 FROM tags t WHERE t.asset_id = a.id AND (+t.name = ? OR +t.value = ?))";
inline constexpr std::string_view kWhereTagSet =
    "a.id IN (SELECT asset_id FROM tags WHERE name = ? UNION SELECT asset_id FROM tags WHERE value = ?)";
/// How many assets carry a tag, counted up to ?3 (cheap: index only).
inline constexpr std::string_view kTagCountCapped =
    "SELECT count(*) FROM (SELECT 1 FROM tags WHERE name = ?1 OR value = ?2 LIMIT ?3)";
inline constexpr std::string_view kWhereKeyword =
    "EXISTS (SELECT 1 FROM keywords k WHERE k.asset_id = a.id AND k.keyword = ?)";
inline constexpr std::string_view kWhereCollection =
    "a.id IN (SELECT i.asset_id FROM collection_items i JOIN collections c ON c.id = i.collection_id "
    "WHERE c.name = ?)";
inline constexpr std::string_view kWhereColor = "a.color_family = ?";
inline constexpr std::string_view kWhereStyle = "a.style = ?";
inline constexpr std::string_view kWhereSeamless = "a.seamless = ?";
inline constexpr std::string_view kWhereSource = "a.source = ?";
inline constexpr std::string_view kWhereModel = "a.model = ?";
inline constexpr std::string_view kWhereLicence = "a.licence = ?";
inline constexpr std::string_view kWhereFormat = "a.format = ?";
inline constexpr std::string_view kWhereAfter = "a.created_at >= ?";
inline constexpr std::string_view kWhereBefore = "a.created_at < ?";
/// Compared columns (width/height/rating) with their operators.
inline constexpr std::string_view kColWidth = "a.width";
inline constexpr std::string_view kColHeight = "a.height";
inline constexpr std::string_view kColRating = "a.rating";

}  // namespace atelier::catalog::sql
