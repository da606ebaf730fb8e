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

printf '\nDemo results are in %s\n' "$DEMO_DIR"
