#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The headless demo: a designer's flow through the `atelier` CLI. Each
# capability adds its step here. Results land in $DEMO_DIR.
set -euo pipefail
: "${ATELIER:?path to the atelier binary}" "${DEMO_DIR:?output folder}"
mkdir -p "$DEMO_DIR"
step() { printf '\n\033[1m--- %s\033[0m\n' "$*"; }

step "1. The machine and the installed models"
"$ATELIER" info

step "2. Make sample assets (seamless repeats, a gradient, a texture)"
"$ATELIER" sample "$DEMO_DIR/samples" --size 512

step "3. Their print specs"
"$ATELIER" inspect "$DEMO_DIR"/samples/*

step "4. Convert for delivery: a 2048 px seamless PNG and a web JPEG"
mkdir -p "$DEMO_DIR/converted"
"$ATELIER" convert "$DEMO_DIR/samples/waves-seamless.png" "$DEMO_DIR/converted/waves-2048.png" --resize 2048x --seamless
"$ATELIER" convert "$DEMO_DIR/samples/dots-halfdrop.png" "$DEMO_DIR/converted/dots-web.jpg" --resize 1024x --quality 85
"$ATELIER" inspect "$DEMO_DIR/converted/waves-2048.png"

step "Auto-tag the samples: specs, seamless/repeat type, palette, style, hashes, moderation"
"$ATELIER" tag "$DEMO_DIR/samples"
"$ATELIER" tag "$DEMO_DIR/samples" --json > "$DEMO_DIR/tags.json"

step "Find a re-upload: a shrunk, recompressed copy among the samples"
"$ATELIER" convert "$DEMO_DIR/samples/waves-seamless.png" "$DEMO_DIR/reupload.jpg" --resize 300x --quality 60
"$ATELIER" similar "$DEMO_DIR/reupload.jpg" --in "$DEMO_DIR/samples"
"$ATELIER" similar "$DEMO_DIR/reupload.jpg" --in "$DEMO_DIR/samples" --by embedding --top 3

step "5. Import the samples into an asset library and search it"
LIB="$DEMO_DIR/library"
"$ATELIER" import "$DEMO_DIR/samples" "$DEMO_DIR/converted" --library "$LIB" --thumbnails
"$ATELIER" search --library "$LIB" --facets
"$ATELIER" search --library "$LIB" "width>=1024 sort:width" --json --limit 5
"$ATELIER" show 1 --library "$LIB"
mkdir -p "$DEMO_DIR/exported"
"$ATELIER" export 1 2 "$DEMO_DIR/exported" --library "$LIB"

step "Desktop app: first frame of the Library, and screenshots (atelier-studio under Xvfb)"
studio=${ATELIER_STUDIO:-$(dirname "$ATELIER")/../studio/atelier-studio}
if [[ -x $studio ]] && command -v xvfb-run >/dev/null; then
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
  xvfb-run -a -s "-screen 0 1440x900x24" "$studio" --first-frame
  xvfb-run -a -s "-screen 0 1440x900x24" "$studio" --screenshots "$DEMO_DIR/screenshots"
else
  echo "skipped: atelier-studio (set ATELIER_STUDIO) or xvfb-run not found"
fi

step "5. Content Credentials: sign the delivery files (C2PA), carry the parent's credentials, verify"
mkdir -p "$DEMO_DIR/signed"
"$ATELIER" sign "$DEMO_DIR/samples/waves-seamless.png" "$DEMO_DIR/signed/waves-seamless.png" --source algorithmic \
  --licensor "Demo Studio" --license-terms standard --license-scope "print and web"
"$ATELIER" sign "$DEMO_DIR/converted/waves-2048.png" "$DEMO_DIR/signed/waves-2048.png" \
  --ingredient "$DEMO_DIR/signed/waves-seamless.png" --action resized
"$ATELIER" sign "$DEMO_DIR/converted/dots-web.jpg" "$DEMO_DIR/signed/dots-web.jpg" --source algorithmic --action resized
CA_PEM="${XDG_DATA_HOME:-$HOME/.local/share}/atelier/keys/ca.pem"
"$ATELIER" verify "$DEMO_DIR/signed/waves-2048.png" --trust "$CA_PEM"
"$ATELIER" verify "$DEMO_DIR/signed/dots-web.jpg" --trust "$CA_PEM"
"$ATELIER" convert "$DEMO_DIR/signed/waves-2048.png" "$DEMO_DIR/signed/waves-web.jpg" --resize 800x --quality 85 --sign
"$ATELIER" verify "$DEMO_DIR/signed/waves-web.jpg" --trust "$CA_PEM"
"$ATELIER" log verify

printf '\nDemo results are in %s\n' "$DEMO_DIR"
