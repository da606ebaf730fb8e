#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Atelier set-up, shared by the README's two commands. Every step is
# idempotent: a second run skips what is done.
#
#   installer/setup.sh run    deps, models, build, then the app (or the headless demo)
#   installer/setup.sh test   deps, models, build, then every test (non-zero on any failure)
#   installer/setup.sh deps|models|build|bench   one step
#
# Environment: BUILD_DIR (default ./build), ATELIER_MODELS_DIR (default
# $XDG_DATA_HOME/atelier/models), ATELIER_DEMO_DIR (default ./demo-output),
# CTEST_ARGS (extra ctest arguments, e.g. "-L unit").
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
DATA_HOME=${XDG_DATA_HOME:-$HOME/.local/share}
CACHE_HOME=${XDG_CACHE_HOME:-$HOME/.cache}
MODELS_DIR=${ATELIER_MODELS_DIR:-$DATA_HOME/atelier/models}
NPM_CACHE=$CACHE_HOME/atelier/npm

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# Debian packages the build, the tests and the app need.
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates jq xz-utils
  qt6-base-dev qt6-declarative-dev qml6-module-qtquick qml6-module-qtquick-controls
  qml6-module-qtquick-layouts qml6-module-qtquick-window qml6-module-qtquick-dialogs
  qml6-module-qttest qml6-module-qtqml-workerscript qml6-module-qtquick-templates
  libtorch-dev libopenimageio-dev openimageio-tools libopencv-core-dev
  libcurl4-openssl-dev libsqlite3-dev sqlite3 libgtest-dev libgmock-dev libbenchmark-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libssl-dev libsodium-dev
  libexiv2-dev xvfb xauth clang-format
)
# Extra packages a module may need are listed one per line in installer/packages.d/*.txt.
if compgen -G "$ROOT/installer/packages.d/*.txt" >/dev/null; then
  while read -r p; do [[ -n "$p" && "$p" != \#* ]] && PACKAGES+=("$p"); done < <(cat "$ROOT"/installer/packages.d/*.txt)
fi

step_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # Node.js and npm fetch the model weights and run the reference peers.
  command -v npm >/dev/null || missing+=(nodejs npm)
  if ((${#missing[@]} == 0)); then
    say "deps: all ${#PACKAGES[@]} Debian packages present"
    return
  fi
  say "deps: installing ${missing[*]}"
  local SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "packages missing (${missing[*]}); run as root or install sudo"
    SUDO=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q >/dev/null
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install failed for: ${missing[*]}"
}

# Fetches each model listed in resources/models/*/manifest.json from its npm
# package (npm pack, no install scripts), checks every file's SHA-256 and
# installs it under $MODELS_DIR/<id>/<version>/. A mismatch stops the set-up.
step_models() {
  command -v jq >/dev/null || die "jq is missing; run: installer/setup.sh deps"
  mkdir -p "$MODELS_DIR" "$NPM_CACHE"
  local manifest
  for manifest in "$ROOT"/resources/models/*/manifest.json; do
    [[ -f "$manifest" ]] || continue
    local id ver pkg pkgver dest stamp want
    id=$(jq -r .id "$manifest"); ver=$(jq -r .version "$manifest")
    pkg=$(jq -r .source.package "$manifest"); pkgver=$(jq -r .source.version "$manifest")
    dest="$MODELS_DIR/$id/$ver"; stamp="$dest/.installed"
    want=$(sha256sum "$manifest" | cut -d' ' -f1)
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
      say "models: $id@$ver already installed"
      continue
    fi
    local tgz="$NPM_CACHE/$(echo "$pkg" | sed 's#^@##; s#/#-#')-$pkgver.tgz"
    if [[ ! -s "$tgz" ]]; then
      say "models: fetching $pkg@$pkgver from npm"
      local tmpd; tmpd=$(mktemp -d)
      if ! (cd "$tmpd" && npm pack "$pkg@$pkgver" >/dev/null 2>"$tmpd/npm.log"); then
        grep -m3 'npm ERR!' "$tmpd/npm.log" >&2 || true
        die "npm pack $pkg@$pkgver failed (above); check that registry.npmjs.org is reachable and trusted (npm config get registry)"
      fi
      mv "$tmpd"/*.tgz "$tgz"; rm -rf "$tmpd"
    fi
    local work; work=$(mktemp -d)
    tar -xzf "$tgz" -C "$work" || die "cannot unpack $tgz (delete it and retry)"
    local stage="$dest.partial"; rm -rf "$stage"; mkdir -p "$stage"
    local n; n=$(jq '.files | length' "$manifest")
    for ((i = 0; i < n; i++)); do
      local rel sha src got
      rel=$(jq -r ".files[$i].path" "$manifest"); sha=$(jq -r ".files[$i].sha256" "$manifest")
      src=$(jq -r ".files[$i].from // .files[$i].path" "$manifest")
      [[ -f "$work/package/$src" ]] || die "$pkg@$pkgver has no file '$src' (listed in $manifest)"
      got=$(sha256sum "$work/package/$src" | cut -d' ' -f1)
      if [[ "$got" != "$sha" ]]; then
        rm -rf "$stage" "$work"
        die "model $id@$ver: '$src' from $pkg@$pkgver has SHA-256 $got but the manifest expects $sha. The package was altered or the manifest is wrong; nothing was installed. Delete $tgz to fetch again."
      fi
      mkdir -p "$stage/$(dirname "$rel")"
      cp "$work/package/$src" "$stage/$rel"
    done
    cp "$manifest" "$stage/manifest.json"
    rm -rf "$work" "$dest"
    mv "$stage" "$dest"
    echo "$want" > "$stamp"
    say "models: installed $id@$ver ($n files verified) in $dest"
  done
}

step_build() {
  local args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
  if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
    say "build: configuring in $BUILD_DIR"
    cmake -S "$ROOT" -B "$BUILD_DIR" "${args[@]}" ${CMAKE_ARGS:-} >/dev/null
  fi
  say "build: compiling (ccache: $(command -v ccache >/dev/null && echo on || echo off))"
  cmake --build "$BUILD_DIR" --parallel "$(nproc)"
}

step_test() {
  say "test: running every test"
  export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
  # shellcheck disable=SC2086
  ctest --test-dir "$BUILD_DIR" --output-on-failure --parallel "$(nproc)" --timeout 900 ${CTEST_ARGS:-}
}

step_run() {
  local studio="$BUILD_DIR/app/studio/atelier-studio"
  if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" && -x "$studio" ]]; then
    say "run: starting atelier-studio"
    exec "$studio"
  fi
  say "run: no display; running the headless demo"
  ATELIER="$BUILD_DIR/app/cli/atelier" DEMO_DIR="${ATELIER_DEMO_DIR:-$ROOT/demo-output}" \
    bash "$ROOT/installer/demo.sh"
}

step_bench() {
  say "bench: running the benchmarks (results in $BUILD_DIR/bench-results)"
  bash "$ROOT/tests/bench/run.sh" "$BUILD_DIR"
}

[[ $# -ge 1 ]] || { sed -n '3,13p' "$0"; exit 2; }
for s in "$@"; do
  case "$s" in
    deps) step_deps ;;
    models) step_models ;;
    build) step_build ;;
    run) step_deps; step_models; step_build; step_run ;;
    test) step_deps; step_models; step_build; step_test ;;
    bench) step_build; step_bench ;;
    *) die "unknown step '$s'; use run, test, deps, models, build or bench" ;;
  esac
done
