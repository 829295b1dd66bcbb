#!/usr/bin/env bash
# The browser verifier's test (part of the README's test command, `.ci/test`): builds the
# self-contained verifier page, makes a small proven demo round with the `custodia` CLI, serves the
# page with `custodia serve`, and drives real headless Chromium (chromedriver) through
# crates/verifier-wasm/tests/browser.py: the page opened as a local file and at
# http://127.0.0.1:PORT/verify must show "verified" for a user's files, their zip and the whole
# round, and "rejected" for a tampered inclusion file and a zip with a flipped proof byte. Then
# the operator console on the same service (crates/api/tests/console_browser.py): sign-in with a
# wrong and a right token, every panel, the demo round listed, nothing from another origin, sign
# out. Screenshots go to custodia-out/browser/.
#
# Installs what is missing: Debian chromium, chromium-driver, firefox-esr and binaryen (needs
# root, as in CI), the wasm32 target, wasm-bindgen-cli at the version Cargo.toml pins, and
# geckodriver from crates.io.
set -euo pipefail
cd "$(dirname "$0")/.."
WB_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
GECKODRIVER_VERSION=0.37.1

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v wasm-opt >/dev/null || need+=(binaryen)
command -v firefox-esr >/dev/null || need+=(firefox-esr)
command -v python3 >/dev/null || need+=(python3)
if ((${#need[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WB_VERSION" ]]; then
  # Not --locked: the registry mirror may lack the exact lockfile versions of its dependencies.
  # --debug: builds in 88 s instead of 222 s on 2 cores, and bindgen's 0.6 s instead of 0.15 s on
  # our module writes byte-identical output.
  cargo install -q --debug wasm-bindgen-cli --version "=$WB_VERSION"
fi
if [[ "$(geckodriver --version 2>/dev/null | head -n 1)" != "geckodriver $GECKODRIVER_VERSION"* ]]; then
  # Firefox's WebDriver server, from crates.io (Debian does not package it).
  cargo install -q --debug geckodriver --version "=$GECKODRIVER_VERSION"
fi
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true

OUT=custodia-out/browser
rm -rf "$OUT" && mkdir -p "$OUT"
bash crates/verifier-wasm/build.sh "$OUT/page"

# A small proven demo round and one user's inclusion file. The binaries `cargo test --workspace`
# built (with the test build's features): `--no-run` is a no-op after the tests. (`cargo build -p
# …` would resolve other features and compile the dependencies a second time.)
cargo test -q --workspace --no-run
BIN="${CARGO_TARGET_DIR:-target}/debug"
$BIN/custodia demo -q --users 300 --assets 4 --log-batch 8 --out "$OUT/demo" >/dev/null
$BIN/custodia por inclusion --round "$OUT/demo/round" --user user-000000001 --out "$OUT/user.json" >/dev/null
# The next month: the same demo data as a second round chained to the first, proven.
$BIN/custodia por build -q --snapshot "$OUT/demo/data/snapshot.csv" --assets "$OUT/demo/data/assets.toml" \
  --prices "$OUT/demo/data/prices.toml" --id demo-2 --snapshot-time "$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)" \
  --log-batch 8 --previous "$OUT/demo/round" --out "$OUT/demo2" >/dev/null
$BIN/custodia por prove -q --round "$OUT/demo2" >/dev/null
$BIN/custodia por inclusion --round "$OUT/demo2" --user user-000000001 --out "$OUT/user2.json" >/dev/null

# The service, serving the page at /verify (port 0: a free port; `custodia serve` prints
# "listening on ADDR" on stderr).
SERVE_LOG="$OUT/serve.log"
: >"$OUT/serve.out"
ADMIN_TOKEN="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d " \n")"
CUSTODIA_SERVER_LISTEN=127.0.0.1:0 \
CUSTODIA_SECRETS_BOOTSTRAP_ADMIN_TOKEN="$ADMIN_TOKEN" \
CUSTODIA_CONSOLE_ROUNDS_DIR="$OUT/demo" \
CUSTODIA_STORE_URL="sqlite://$PWD/$OUT/service.db" \
CUSTODIA_SECRETS_KEK="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n")" \
CUSTODIA_WEB_VERIFIER_PAGE="$OUT/page/index.html" \
  $BIN/custodia serve >"$SERVE_LOG" 2>"$OUT/serve.out" &
SERVE_PID=$!
trap 'kill $SERVE_PID 2>/dev/null || true' EXIT
addr=""
for _ in $(seq 100); do
  addr=$(sed -n 's/^listening on //p' "$OUT/serve.out" || true)
  [ -n "$addr" ] && break
  kill -0 $SERVE_PID 2>/dev/null || { cat "$SERVE_LOG" "$OUT/serve.out" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { echo "custodia serve did not start" >&2; cat "$SERVE_LOG" >&2; exit 1; }

python3 crates/verifier-wasm/tests/browser.py "$OUT/page/index.html" "$OUT/demo/round" "$OUT/user.json" "$OUT" \
  --round2 "$OUT/demo2" --inclusion2 "$OUT/user2.json" --url "http://$addr/verify"

# The operator console on the same service, signed in with an analyst token made by the CLI
# next to the running service (screenshots console-*.png).
ANALYST_TOKEN=$(CUSTODIA_STORE_URL="sqlite://$PWD/$OUT/service.db" \
  $BIN/custodia --json operators create console-analyst --role analyst \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
python3 crates/api/tests/console_browser.py "http://$addr" "$ANALYST_TOKEN" "$OUT"

# The monthly report in the browser: this month from the service's store and the demo round,
# and a month with nothing recorded (the twin).
$BIN/custodia por publish -q --round "$OUT/demo/round" --out "$OUT/public" --force >/dev/null
CUSTODIA_STORE_URL="sqlite://$PWD/$OUT/service.db" \
  $BIN/custodia report -q --month "$(date -u +%Y-%m)" --round "$OUT/public" --out "$OUT/report" >/dev/null
CUSTODIA_STORE_URL="sqlite://$PWD/$OUT/service.db" \
  $BIN/custodia report -q --month 2000-01 --out "$OUT/report-empty" >/dev/null
python3 crates/report/tests/report_browser.py "$OUT/report" "$OUT/report-empty" "$OUT"

# The browser extension (crates/guard-wasm): built with a signed sample snapshot and loaded
# unpacked into headless Chromium; phishing hosts intercepted, official ones not, a listed
# address flagged, tampered and foreign-key updates refused, updates from deltas; then the same in
# Firefox ESR (screenshots guard-*.png, guard-firefox-*.png).
python3 crates/guard-wasm/tests/browser.py "$BIN/examples/sign_snapshot" "$OUT" chromium
# The same extension files in Firefox ESR (a temporary add-on through geckodriver).
python3 crates/guard-wasm/tests/browser.py "$BIN/examples/sign_snapshot" "$OUT" firefox
