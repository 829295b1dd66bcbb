#!/usr/bin/env bash
# Builds the browser verifier (crates/verifier-wasm) and tests it in real headless Chromium:
# a valid demo user's files must show "verified", a tampered inclusion file "rejected";
# screenshots go to custodia-out/browser/. Needs root for apt-get (CI image) or the tools present.
set -euo pipefail
cd "$(dirname "$0")/.."
WB_VERSION=0.2.130 # = the wasm-bindgen pin in Cargo.toml

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v wasm-opt >/dev/null || need+=(binaryen)
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WB_VERSION" ]]; then
  # Not --locked: the registry mirror may lack the exact lockfile versions of its dependencies.
  cargo install wasm-bindgen-cli --version "=$WB_VERSION"
fi
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true

cargo build --release --target wasm32-unknown-unknown -p custodia-verifier-wasm
WASM=target/wasm32-unknown-unknown/release/custodia_verifier_wasm.wasm
PKG=crates/verifier-wasm/web/pkg
rm -rf "$PKG"
# wasm-opt runs before wasm-bindgen: Debian's binaryen 108 breaks wasm-bindgen's externref table
# when run after it.
if command -v wasm-opt >/dev/null; then
  mkdir -p target/wasm-opt
  wasm-opt -Oz --strip-debug --enable-reference-types --enable-bulk-memory \
    --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    "$WASM" -o target/wasm-opt/custodia_verifier_wasm.wasm
  WASM=target/wasm-opt/custodia_verifier_wasm.wasm
fi
wasm-bindgen --target no-modules --no-typescript --out-dir "$PKG" "$WASM"
bytes=$(($(stat -c %s "$PKG/custodia_verifier_wasm_bg.wasm") + $(stat -c %s "$PKG/custodia_verifier_wasm.js") + $(stat -c %s crates/verifier-wasm/web/worker.js) + $(stat -c %s crates/verifier-wasm/web/index.html)))
echo "browser bundle: $bytes bytes ($(gzip -9c "$PKG/custodia_verifier_wasm_bg.wasm" | wc -c) bytes of wasm gzipped)"
if ((bytes > 3 * 1024 * 1024)); then echo "bundle over 3 MiB" >&2; exit 1; fi

# A small proven demo round and one user's inclusion file.
cargo build --release -p custodia-cli
OUT=custodia-out/browser
rm -rf "$OUT" && mkdir -p "$OUT"
target/release/custodia demo -q --users 300 --assets 4 --log-batch 8 --out "$OUT/demo" >/dev/null
target/release/custodia por inclusion --round "$OUT/demo/round" --user user-000000001 --out "$OUT/user.json" >/dev/null
python3 crates/verifier-wasm/tests/browser.py crates/verifier-wasm/web "$OUT/demo/round" "$OUT/user.json" "$OUT"
