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

step "5. AI upscaling: a seamless repeat to print size, still seamless (UpscalerJS ESRGAN slim, x4)"
mkdir -p "$DEMO_DIR/upscaled"
"$ATELIER" convert "$DEMO_DIR/samples/waves-seamless.png" "$DEMO_DIR/upscaled/waves-256.png" --resize 256x --seamless
"$ATELIER" upscale "$DEMO_DIR/upscaled/waves-256.png" "$DEMO_DIR/upscaled/waves-1024.png" --model esrgan-slim --scale 4 --seamless
step "6. Which model? slim vs medium on a 128 px texture, scored against the 512 px original"
"$ATELIER" convert "$DEMO_DIR/samples/texture.tif" "$DEMO_DIR/upscaled/texture-128.png" --resize 128x
"$ATELIER" upscale --compare esrgan-slim,esrgan-medium "$DEMO_DIR/upscaled/texture-128.png" "$DEMO_DIR/upscaled/compare" \
  --scale 4 --reference "$DEMO_DIR/samples/texture.tif"

printf '\nDemo results are in %s\n' "$DEMO_DIR"
