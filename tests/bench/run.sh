#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every benchmark program; each prints JSON lines. Results are collected
# in $BUILD_DIR/bench-results/<name>.jsonl.   tests/bench/run.sh [BUILD_DIR] [name...]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${1:-$ROOT/build}; shift || true
OUT=$BUILD_DIR/bench-results; mkdir -p "$OUT"
want=("$@")
run() {  # name, command...
  local name=$1; shift
  if ((${#want[@]})) && [[ ! " ${want[*]} " =~ " $name " ]]; then return; fi
  echo "== $name" >&2
  "$@" | tee "$OUT/$name.jsonl"
}
B=$BUILD_DIR/tests/bench
run imageio "$B/bench_imageio" --atelier "$BUILD_DIR/app/cli/atelier" --reps 5
run startup "$ROOT/tests/bench/bench_startup.sh" "$BUILD_DIR" 7
# Each module adds its benchmark below.
if [[ -x "$B/bench_market" ]]; then run market "$B/bench_market" --seconds 8 --connections 64; fi
# Catalog: a synthetic library of CATALOG_ASSETS (default 1,000,000) assets is
# generated once into $BUILD_DIR/bench-catalog-library (a few minutes).
# CATALOG_TAG_SET=realistic: ~67 tags per asset as the taggers write them
# (for the database size per asset; its own folder).
CATALOG_LIB=$BUILD_DIR/bench-catalog-library-${CATALOG_ASSETS:-1000000}
[[ ${CATALOG_TAG_SET:-compact} == compact ]] || CATALOG_LIB=$BUILD_DIR/bench-catalog-$CATALOG_TAG_SET-${CATALOG_ASSETS:-1000000}
if [[ ! -f $CATALOG_LIB/library.db ]] && { ((${#want[@]} == 0)) || [[ " ${want[*]} " =~ " catalog " ]]; }; then
  python3 "$ROOT/tests/bench/catalog_generate.py" --atelier "$BUILD_DIR/app/cli/atelier" \
    --library "$CATALOG_LIB" --assets "${CATALOG_ASSETS:-1000000}" --tag-set "${CATALOG_TAG_SET:-compact}" >&2
fi
run catalog "$B/bench_catalog" --library "$CATALOG_LIB" --work "$BUILD_DIR/bench-catalog-work"
# Desktop app (needs a display: runs under xvfb-run). ASSETS=100000 by default.
run studio env XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}" xvfb-run -a -s "-screen 0 1440x900x24" \
  "$B/bench_studio" --studio "$BUILD_DIR/app/studio/atelier-studio" --cli "$BUILD_DIR/app/cli/atelier" \
  --assets "${ASSETS:-100000}" --reps 5 --cache "$BUILD_DIR/bench-cache/studio"
# The same scroll on 5,000 assets with realistic 256-px thumbnails (16-px above).
run studio_thumbs256 env XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}" xvfb-run -a -s "-screen 0 1440x900x24" \
  "$B/bench_studio" --assets 5000 --source-px 256 --reps 0 --cache "$BUILD_DIR/bench-cache/studio-256"
run upscale "$B/bench_upscale" --reps 3
run upscale_peak "$B/bench_upscale" --peak
run tagging "$B/bench_tagging" --images 20 --hashes 1000000 --queries 5000 --ml-threads 1
# MobileNetV2 alone: fp32/bf16, 1 and 2 threads, batch 1/8/32, and bf16's quality cost.
run mobilenet "$B/bench_tagging" --ml-only 1 --ml-threads 2 --ml-reps 5

run provenance "$B/bench_provenance" --reps 15
