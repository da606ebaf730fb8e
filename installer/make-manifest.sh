#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# For maintainers adding a model: writes resources/models/<id>/manifest.json
# from an npm package, hashing the files it should install.
#   installer/make-manifest.sh ID VERSION TASK FORMAT PACKAGE PKGVERSION FILE... [-- EXTRA_JSON]
# FILE is a path inside the package (after package/). EXTRA_JSON is merged in.
set -euo pipefail
[[ $# -ge 7 ]] || { sed -n '3,7p' "$0"; exit 2; }
id=$1 ver=$2 task=$3 format=$4 pkg=$5 pkgver=$6; shift 6
files=(); extra='{}'
while [[ $# -gt 0 ]]; do
  if [[ $1 == -- ]]; then extra=$2; shift 2; continue; fi
  files+=("$1"); shift
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$pkg@$pkgver" >/dev/null && tar xzf ./*.tgz)
licence=$(jq -r '.license // "UNKNOWN"' "$work/package/package.json")
desc=$(jq -r '.description // ""' "$work/package/package.json")
entries='[]'
for f in "${files[@]}"; do
  [[ -f "$work/package/$f" ]] || { echo "no $f in $pkg@$pkgver" >&2; exit 1; }
  sha=$(sha256sum "$work/package/$f" | cut -d' ' -f1); bytes=$(stat -c %s "$work/package/$f")
  entries=$(jq --arg p "$f" --arg s "$sha" --argjson b "$bytes" '. + [{path: $p, sha256: $s, bytes: $b}]' <<<"$entries")
done
mkdir -p "$ROOT/resources/models/$id"
jq -n --arg id "$id" --arg v "$ver" --arg t "$task" --arg f "$format" --arg l "$licence" --arg d "$desc" \
  --arg pkg "$pkg" --arg pv "$pkgver" --argjson files "$entries" --argjson extra "$extra" \
  '{id: $id, version: $v, task: $t, format: $f, licence: $l, description: $d,
    source: {registry: "npm", package: $pkg, version: $pv}, files: $files} + $extra' \
  > "$ROOT/resources/models/$id/manifest.json"
echo "wrote resources/models/$id/manifest.json"
