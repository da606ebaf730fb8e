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
# Each module adds its benchmark below.
if [[ -x "$B/bench_market" ]]; then run market "$B/bench_market" --seconds 8 --connections 64; fi
