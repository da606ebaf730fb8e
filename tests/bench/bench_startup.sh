#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Start-up of `atelier` and `atelier-market` with LibTorch loaded on first use
# (as built) against the same programs with LibTorch mapped at start (LD_PRELOAD
# of the libraries libatelier_ml_torch.so links — what linking them did before
# the runtime became a module). Prints one JSON line per command: medians of
# REPS alternating runs, wall milliseconds (including /usr/bin/time) and peak RSS.   bench_startup.sh BUILD_DIR [REPS]
set -euo pipefail
B=${1:?build dir}
REPS=${2:-7}
A=$B/app/cli/atelier
M=$B/app/market/atelier-market
PRE=$(ldd "$B/lib/atelier/libatelier_ml_torch.so" | awk '$1 ~ /^(libtorch|libc10)/ {print $3}' | paste -sd:)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
"$A" import "$(dirname "$0")/../data" --library "$W/lib" >/dev/null 2>&1 || true
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run1() {  # out file, command...: appends "milliseconds rss_kb"
  local out=$1; shift
  local t0=$EPOCHREALTIME
  /usr/bin/time -o "$W/t" -f "%M" "$@" >/dev/null 2>&1 || true
  local t1=$EPOCHREALTIME
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) * 1000}') $(tail -1 "$W/t")" >>"$out"
}
measure() {  # label, command...
  local label=$1; shift
  : >"$W/lazy"; : >"$W/eager"
  for _ in $(seq "$REPS"); do
    run1 "$W/lazy" "$@"
    run1 "$W/eager" env LD_PRELOAD="$PRE" "$@"
  done
  printf '{"bench":"startup","command":"%s","reps":%d,"lazy_ms":%s,"lazy_rss_kb":%s,"eager_ms":%s,"eager_rss_kb":%s,"load":"%s"}\n' \
    "$label" "$REPS" "$(cut -d' ' -f1 "$W/lazy" | med)" "$(cut -d' ' -f2 "$W/lazy" | med)" \
    "$(cut -d' ' -f1 "$W/eager" | med)" "$(cut -d' ' -f2 "$W/eager" | med)" "$(cut -d' ' -f1 /proc/loadavg)"
}
measure "atelier --help" "$A" --help
measure "atelier search (16 assets)" "$A" search floral --library "$W/lib"
measure "atelier show 1" "$A" show 1 --library "$W/lib"
if [[ -x $M ]]; then measure "atelier-market --help" "$M" --help; fi
