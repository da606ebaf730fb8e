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
# Two "generated" patterns carrying AUTOMATIC1111-style parameters in a PNG
# tEXt chunk, as that tool writes them (the Asset screen shows them).
mkdir -p "$work/in/generated"
"$cli" --quiet sample "$work/gen" --size 512 --seed 11 >/dev/null
python3 - "$work/gen" "$work/in/generated" <<'PY'
import struct, sys, zlib
src, dst = sys.argv[1], sys.argv[2]
def with_text(png, key, value):
    data = open(png, "rb").read()
    body = key.encode() + b"\0" + value.encode("latin-1")
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF)
    return data[:33] + chunk + data[33:]  # after the signature and IHDR
params = {
    "art-deco-fans.png": ("waves-seamless.png", "seamless art deco fan pattern, navy and gold, flat vector, tileable\n"
        "Negative prompt: text, watermark, blurry\n"
        "Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1873365412, Size: 512x512, "
        "Model hash: 31e35c80fc, Model: sd_xl_base_1.0"),
    "polka-halfdrop.png": ("dots-halfdrop.png", "half-drop polka dot repeat, risograph texture, two colours\n"
        "Steps: 24, Sampler: Euler a, CFG scale: 6.5, Seed: 42, Size: 512x512, Model: dreamshaper_8"),
}
for name, (base, text) in params.items():
    open(f"{dst}/{name}", "wb").write(with_text(f"{src}/{base}", "parameters", text))
PY
"$cli" --quiet import "$work/in" --thumbnails >/dev/null
"$cli" --quiet sample "$work/extra" --size 256 --seed 42 >/dev/null

out=docs/screenshots
mkdir -p "$out"
xvfb-run -a -s "-screen 0 1440x900x24 -dpi 96" "$studio" --screenshots "$out" --screenshot-import "$work/extra"
ls -1 "$out"/*.png
