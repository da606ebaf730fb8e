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

step "7. Auto-tag the samples: specs, seamless/repeat type, palette, style, hashes, moderation"
# The example tagger plugin (layout: orientation, aspect ratio, cutout) from the build tree.
PLUGINS="$(dirname "$ATELIER")/../../plugins/tagger"
PLUGIN_ARGS=()
[ -d "$PLUGINS" ] && PLUGIN_ARGS=(--plugins "$PLUGINS")
"$ATELIER" tag "$DEMO_DIR/samples" "${PLUGIN_ARGS[@]}"
"$ATELIER" tag "$DEMO_DIR/samples" "${PLUGIN_ARGS[@]}" --json > "$DEMO_DIR/tags.json"

step "8. Find a re-upload: a shrunk, recompressed copy among the samples"
"$ATELIER" convert "$DEMO_DIR/samples/waves-seamless.png" "$DEMO_DIR/reupload.jpg" --resize 300x --quality 60
"$ATELIER" similar "$DEMO_DIR/reupload.jpg" --in "$DEMO_DIR/samples"
"$ATELIER" similar "$DEMO_DIR/reupload.jpg" --in "$DEMO_DIR/samples" --by embedding --top 3

step "9. Import the samples into an asset library and search it"
LIB="$DEMO_DIR/library"
"$ATELIER" import "$DEMO_DIR/samples" "$DEMO_DIR/converted" --library "$LIB" --thumbnails
"$ATELIER" search --library "$LIB" --facets
"$ATELIER" search --library "$LIB" "width>=1024 sort:width" --json --limit 5
# The import ran the auto-taggers after its metadata pass: tags, facets and hashes are stored.
"$ATELIER" search --library "$LIB" "seamless:yes" --limit 5
"$ATELIER" similar "$DEMO_DIR/reupload.jpg" --in "$LIB"
"$ATELIER" retag --check --library "$LIB"
"$ATELIER" show 1 --library "$LIB"
mkdir -p "$DEMO_DIR/exported"
"$ATELIER" export 1 2 "$DEMO_DIR/exported" --library "$LIB"

step "10. Content Credentials: sign the delivery files (C2PA), carry the parent's credentials, verify"
mkdir -p "$DEMO_DIR/signed"
"$ATELIER" sign "$DEMO_DIR/samples/waves-seamless.png" "$DEMO_DIR/signed/waves-seamless.png" --source algorithmic \
  --licensor "Demo Studio" --license-terms standard --license-scope "print and web"
"$ATELIER" sign "$DEMO_DIR/converted/waves-2048.png" "$DEMO_DIR/signed/waves-2048.png" \
  --ingredient "$DEMO_DIR/signed/waves-seamless.png" --action resized
"$ATELIER" sign "$DEMO_DIR/converted/dots-web.jpg" "$DEMO_DIR/signed/dots-web.jpg" --source algorithmic --action resized
CA_PEM="${XDG_DATA_HOME:-$HOME/.local/share}/atelier/keys/ca.pem"
"$ATELIER" verify "$DEMO_DIR/signed/waves-2048.png" --trust "$CA_PEM"
"$ATELIER" verify "$DEMO_DIR/signed/dots-web.jpg" --trust "$CA_PEM"
# convert, upscale and export sign what they write (--no-sign opts out); TIFF and WebP carry credentials too.
"$ATELIER" convert "$DEMO_DIR/signed/waves-2048.png" "$DEMO_DIR/signed/waves-web.jpg" --resize 800x --quality 85
"$ATELIER" verify "$DEMO_DIR/signed/waves-web.jpg" --trust "$CA_PEM"
"$ATELIER" convert "$DEMO_DIR/signed/waves-web.jpg" "$DEMO_DIR/signed/waves-web.webp" --quality 85
"$ATELIER" convert "$DEMO_DIR/signed/waves-2048.png" "$DEMO_DIR/signed/waves-print.tif"
"$ATELIER" verify "$DEMO_DIR/signed/waves-web.webp" --trust "$CA_PEM"
"$ATELIER" verify "$DEMO_DIR/signed/waves-print.tif" --trust "$CA_PEM"
for f in "$DEMO_DIR/exported/"*; do "$ATELIER" verify "$f" --trust "$CA_PEM" || [[ $? -eq 2 ]]; done
"$ATELIER" log verify

# The marketplace backend on loopback (issue 7): publish a sample in chunks, browse, buy, download,
# check the licence and the transparency log. (The `atelier` CLI has no market client yet, so curl talks to it.)
MARKET_BIN=${MARKET_BIN:-$(dirname "$ATELIER")/../market/atelier-market}
if [[ -x "$MARKET_BIN" ]] && command -v curl >/dev/null && command -v jq >/dev/null; then
  step "11. Marketplace: publish, browse, buy and verify on a local atelier-market"
  MD="$DEMO_DIR/market"; rm -rf "$MD"; mkdir -p "$MD"
  "$MARKET_BIN" --data "$MD/data" --listen 127.0.0.1:0 --set market.access_log=false >"$MD/stdout" 2>"$MD/server.log" &
  MPID=$!
  for _ in $(seq 100); do grep -q "listening on port" "$MD/stdout" 2>/dev/null && break; sleep 0.1; done
  U="http://127.0.0.1:$(sed -n 's/listening on port //p' "$MD/stdout")"
  j() { curl -sf -H 'Content-Type: application/json' "$@"; }
  for who in creator buyer; do
    j -d "{\"email\":\"$who@demo.test\",\"password\":\"demo password 1\",\"role\":\"$who\"}" "$U/v1/accounts/register" >/dev/null
  done
  CT=$(j -d '{"email":"creator@demo.test","password":"demo password 1"}' "$U/v1/accounts/login" | jq -r .token)
  BT=$(j -d '{"email":"buyer@demo.test","password":"demo password 1"}' "$U/v1/accounts/login" | jq -r .token)
  F="$DEMO_DIR/samples/waves-seamless.png"; SIZE=$(stat -c %s "$F"); SHA=$(sha256sum "$F" | cut -d' ' -f1)
  ID=$(j -H "Authorization: Bearer $CT" "$U/v1/uploads" -d "{\"size\":$SIZE,\"sha256\":\"$SHA\",\"listing\":{\"title\":\"Seamless waves\",\"tags\":[\"pattern\",\"waves\"],\"price\":900,\"currency\":\"EUR\",\"provenance\":{\"model_author\":\"procedural\",\"prompt_author\":\"demo\"}}}" | jq -r .id)
  split -b $((SIZE / 3 + 1)) -d "$F" "$MD/chunk."
  OFF=0
  for c in "$MD"/chunk.*; do
    curl -sf -X PUT -H "Authorization: Bearer $CT" -H "X-Chunk-SHA256: $(sha256sum "$c" | cut -d' ' -f1)" \
      --data-binary @"$c" "$U/v1/uploads/$ID/chunks?offset=$OFF" | jq -c '{received, size}'
    OFF=$((OFF + $(stat -c %s "$c")))
  done
  LID=$(j -X POST -H "Authorization: Bearer $CT" "$U/v1/uploads/$ID/complete" | jq -r .listing.id)
  j "$U/v1/listings?q=waves" | jq -c '{found: [.items[].title], facets: .facets.tags}'
  LIC=$(j -H "Authorization: Bearer $BT" -H "Idempotency-Key: demo-1" "$U/v1/purchases" -d "{\"listing_id\":\"$LID\",\"licence_type\":\"commercial\"}")
  echo "$LIC" | jq -c '{licence: .licence.payload.licence_type, paid: .payment.amount, postings: .postings}'
  curl -sf -H "Authorization: Bearer $BT" -o "$MD/licensed.png" "$U/v1/listings/$LID/download"
  cmp -s "$F" "$MD/licensed.png" && echo "full resolution downloaded: identical to the upload"
  j "$U/v1/licences/verify" -d "{\"token\":$(echo "$LIC" | jq .licence.token)}" | jq -c '{valid, on_record}'
  j "$U/v1/log/sth" | jq -c '{tree_size, root_hash}'
  kill "$MPID"; wait "$MPID" || true
fi

step "12. Desktop app: first frame of the Library, and screenshots (atelier-studio under Xvfb)"
studio=${ATELIER_STUDIO:-$(dirname "$ATELIER")/../studio/atelier-studio}
if [[ -x $studio ]] && command -v xvfb-run >/dev/null; then
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
  xvfb-run -a -s "-screen 0 1440x900x24" "$studio" --first-frame
  xvfb-run -a -s "-screen 0 1440x900x24" "$studio" --screenshots "$DEMO_DIR/screenshots"
else
  echo "skipped: atelier-studio (set ATELIER_STUDIO) or xvfb-run not found"
fi

step "13. Remove an asset from the library; the progress stream the desktop app reads (--progress json)"
first_id=$("$ATELIER" search --library "$LIB" --json --limit 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["results"][0]["id"])')
"$ATELIER" remove "$first_id" --library "$LIB"
"$ATELIER" --json --progress json upscale "$DEMO_DIR/upscaled/waves-256.png" "$DEMO_DIR/upscaled/waves-512.png" \
  --model esrgan-slim --scale 2 2>&1 >/dev/null | tail -n 3

printf '\nDemo results are in %s\n' "$DEMO_DIR"
