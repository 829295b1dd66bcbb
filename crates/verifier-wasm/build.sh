#!/usr/bin/env bash
# Builds the browser verifier into ONE self-contained page: the wasm verifier (base64) and the
# worker script are inlined into web/index.html, so the page works served by `custodia serve`,
# by any static server, or opened as a saved local file, offline.
#
# usage: crates/verifier-wasm/build.sh [OUT_DIR]   (default target/verifier-page)
# Needs: rustup target wasm32-unknown-unknown, wasm-bindgen-cli = the wasm-bindgen pin,
# python3; wasm-opt (binaryen) if present. `.ci/browser.sh` installs them.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-target/verifier-page}"
WB_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WB_VERSION" ]]; then
  echo "wasm-bindgen-cli $WB_VERSION is needed: cargo install wasm-bindgen-cli --version =$WB_VERSION" >&2
  exit 2
fi

cargo build --release --target wasm32-unknown-unknown -p custodia-verifier-wasm
TARGET="${CARGO_TARGET_DIR:-target}"
WASM="$TARGET/wasm32-unknown-unknown/release/custodia_verifier_wasm.wasm"
# wasm-opt runs before wasm-bindgen: Debian's binaryen 108 breaks wasm-bindgen's externref table
# when run after it.
if command -v wasm-opt >/dev/null; then
  mkdir -p "$TARGET/wasm-opt"
  wasm-opt -Oz --strip-debug --enable-reference-types --enable-bulk-memory \
    --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    "$WASM" -o "$TARGET/wasm-opt/custodia_verifier_wasm.wasm"
  WASM="$TARGET/wasm-opt/custodia_verifier_wasm.wasm"
fi
PKG="$TARGET/verifier-pkg"
rm -rf "$PKG"
wasm-bindgen --target no-modules --no-typescript --out-dir "$PKG" "$WASM"

mkdir -p "$OUT"
python3 - "$PKG" crates/verifier-wasm/web "$OUT/index.html" <<'PY'
import base64, sys
pkg, web, out = sys.argv[1:4]
glue = open(f"{pkg}/custodia_verifier_wasm.js").read()
worker = glue + "\n" + open(f"{web}/worker.js").read()
wasm = base64.b64encode(open(f"{pkg}/custodia_verifier_wasm_bg.wasm", "rb").read()).decode()
page = open(f"{web}/index.html").read()
# The worker travels inside a <script type="text/plain">: it must not close that element.
if "</script" in worker.lower():
    sys.exit("the worker script contains </script: cannot inline it")
for marker, body in (("/*CUSTODIA-WORKER*/", worker), ("/*CUSTODIA-WASM*/", wasm)):
    if page.count(marker) != 1:
        sys.exit(f"{web}/index.html must hold {marker} exactly once")
    page = page.replace(marker, body)
open(out, "w").write(page)
PY
wasm_bytes=$(stat -c %s "$PKG/custodia_verifier_wasm_bg.wasm")
page_bytes=$(stat -c %s "$OUT/index.html")
echo "verifier page: $OUT/index.html, $page_bytes bytes (wasm $wasm_bytes bytes, $(gzip -9c "$OUT/index.html" | wc -c) bytes gzipped)"
if ((page_bytes > 3 * 1024 * 1024)); then echo "page over 3 MiB" >&2; exit 1; fi
