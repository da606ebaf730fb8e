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
