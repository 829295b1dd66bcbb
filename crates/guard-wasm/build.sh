#!/usr/bin/env bash
# Assembles the unpacked browser extension: the guard compiled to wasm (wasm-bindgen, web
# target, loaded by the module service worker), the extension's pages and scripts, the signed
# snapshot it starts with, and config.json with the trusted public keys and the update URLs.
#
# usage: crates/guard-wasm/build.sh OUT_DIR SNAPSHOT_DIR TRUSTED_KEYS SNAPSHOT_URL [SIGNATURE_URL [DELTA_URL]]
#   SNAPSHOT_DIR   holds the compact snapshot as snapshot.bin and its signature as snapshot.sig
#                  (shipped as the starting list; `custodia guard snapshot --out DIR` writes them
#                  as compact.bin and compact.sig)
#   TRUSTED_KEYS   Ed25519 public keys (hex), comma-separated: the only keys whose signatures
#                  the extension accepts (several during a key rotation)
#   SNAPSHOT_URL   where updates come from: the service's public compact snapshot,
#                  https://exchange.example/v1/guard/extension/snapshot
#   SIGNATURE_URL  its detached signature (default: SNAPSHOT_URL + "/signature")
#   DELTA_URL      compact deltas, asked for with ?from=VERSION (default: SNAPSHOT_URL + "/delta";
#                  "none" downloads the whole file on every update)
# Needs: rustup target wasm32-unknown-unknown, wasm-bindgen-cli = the wasm-bindgen pin, python3;
# wasm-opt (binaryen) if present.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="$1"; SNAP="$2"; KEYS="$3"; SNAPSHOT_URL="$4"; SIGNATURE_URL="${5:-$4/signature}"
DELTA_URL="${6:-$4/delta}"
WB_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WB_VERSION" ]]; then
  echo "wasm-bindgen-cli $WB_VERSION is needed: cargo install wasm-bindgen-cli --version =$WB_VERSION" >&2
  exit 2
fi
CARGO="${CARGO:-cargo}"
"$CARGO" build --release --target wasm32-unknown-unknown -p custodia-guard-wasm --lib
TARGET="${CARGO_TARGET_DIR:-target}"
WASM="$TARGET/wasm32-unknown-unknown/release/custodia_guard_wasm.wasm"
# As for the verifier page: wasm-opt before wasm-bindgen (Debian's binaryen 108 breaks the
# externref table when run after it).
if command -v wasm-opt >/dev/null; then
  mkdir -p "$TARGET/wasm-opt"
  wasm-opt -O3 --strip-debug --enable-reference-types --enable-bulk-memory \
    --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    "$WASM" -o "$TARGET/wasm-opt/custodia_guard_wasm.wasm"
  WASM="$TARGET/wasm-opt/custodia_guard_wasm.wasm"
fi
rm -rf "$OUT" && mkdir -p "$OUT"
wasm-bindgen --target web --no-typescript --out-dir "$OUT" "$WASM"
cp crates/guard-wasm/extension/* "$OUT/"
cp "$SNAP/snapshot.bin" "$SNAP/snapshot.sig" "$OUT/"
python3 - "$OUT" "$KEYS" "$SNAPSHOT_URL" "$SIGNATURE_URL" "$DELTA_URL" <<'PY'
import json, sys, urllib.parse
out, keys, snap_url, sig_url, delta_url = sys.argv[1:6]
delta_url = None if delta_url == "none" else delta_url
keys = [k.strip() for k in keys.split(",") if k.strip()]
if not keys or any(len(k) != 64 for k in keys):
    sys.exit("TRUSTED_KEYS: one or more 64-hex-digit Ed25519 public keys, comma-separated")
origins = set()
for u in (snap_url, sig_url) + ((delta_url,) if delta_url else ()):
    p = urllib.parse.urlsplit(u)
    if p.scheme not in ("https", "http") or not p.hostname:
        sys.exit(f"{u}: the update URLs must be http(s) URLs")
    origins.add(f"{p.scheme}://{p.hostname}/")
json.dump({"trustedKeys": keys, "snapshotUrl": snap_url, "signatureUrl": sig_url, "deltaUrl": delta_url,
           "updateMinutes": 360},
          open(f"{out}/config.json", "w"), indent=2)
m = json.load(open(f"{out}/manifest.json"))
# Host permission only for the update origin(s): the extension fetches nothing else.
m["host_permissions"] = sorted(o + "*" for o in origins)
json.dump(m, open(f"{out}/manifest.json", "w"), indent=2)
PY
echo "extension: $OUT ($(du -sh "$OUT" | cut -f1); wasm $(stat -c %s "$OUT/custodia_guard_wasm_bg.wasm") bytes)"
