#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Screenshots of every atelier-studio screen, dark and light, under Xvfb, into
# docs/screenshots/*.png. Uses a throw-away home with a small sample library
# (procedural patterns from `atelier sample` plus the generator-metadata test
# files), the installed models, and one import and one upscale run inside the
# app so the jobs panel, the import report and the comparison have content.
#   tools/screenshots.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cli=$build/app/cli/atelier
studio=$build/app/studio/atelier-studio
[[ -x $cli && -x $studio ]] || { echo "build atelier and atelier-studio first (ninja -C $build atelier atelier-studio)" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "xvfb-run is missing: apt-get install xvfb" >&2; exit 1; }

models=${ATELIER_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/atelier/models}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache
export XDG_RUNTIME_DIR=$work/runtime ATELIER_MODELS_DIR=$models ATELIER_CLI=$PWD/$cli
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

for seed in 1 2 3 4 5 6 7 8; do "$cli" --quiet sample "$work/in/set$seed" --size 384 --seed "$seed" >/dev/null; done
testdata=/work/shared/testdata/generator-metadata
[[ -d $testdata ]] && cp -r "$testdata" "$work/in/generated"
"$cli" --quiet import "$work/in" --thumbnails >/dev/null
"$cli" --quiet sample "$work/extra" --size 256 --seed 42 >/dev/null

out=docs/screenshots
mkdir -p "$out"
xvfb-run -a -s "-screen 0 1440x900x24 -dpi 96" "$studio" --screenshots "$out" --screenshot-import "$work/extra"
ls -1 "$out"/*.png
