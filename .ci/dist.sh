#!/usr/bin/env bash
# The release build of what customers download: `custodia-verify`, portable and small.
#
#   bash .ci/dist.sh [OUT]          build into OUT (default target/dist-out), write SHA256SUMS
#   bash .ci/dist.sh --check [OUT]  … then run the built verifier on a real proven round under an
#                                   emulated pre-AVX CPU (qemu-user, Nehalem), as CI does
#
# Portable: `.cargo/config.toml` tunes every build on this machine with `target-cpu=native`
# (the prover's Goldilocks and Poseidon2 code is much faster with AVX2/AVX-512). That must never
# reach a customer: a native build made on an AVX-512 server dies with SIGILL on most laptops.
# CARGO_ENCODED_RUSTFLAGS outranks every other rustflags source, the config file's included, so
# here the verifier is built for x86-64-v2 (SSE4.2, POPCNT: every x86-64 CPU since 2009) and
# nothing else. `custodia-verify --version` prints the CPU features a binary requires.
#
# Profile `dist` (root Cargo.toml): release + fat LTO, one codegen unit, symbols stripped.
# Its own target folder: other flags would otherwise rebuild the shared folder's dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
OUT="${1:-target/dist-out}"
CPU="${CUSTODIA_DIST_CPU:-x86-64-v2}"
TRIPLE=x86_64-unknown-linux-gnu
export CARGO_TARGET_DIR="${CUSTODIA_DIST_TARGET_DIR:-target/dist-build}"
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

# --target: the flags apply to the shipped binary only, not to build scripts and proc macros.
CARGO_ENCODED_RUSTFLAGS="-Ctarget-cpu=$CPU" \
  "${CARGO:-cargo}" build -q --profile dist --target "$TRIPLE" -p custodia-verify --bin custodia-verify
BIN="$CARGO_TARGET_DIR/$TRIPLE/dist/custodia-verify"

NAME="custodia-verify-$VERSION-$TRIPLE"
mkdir -p "$OUT"
cp "$BIN" "$OUT/$NAME"
(cd "$OUT" && sha256sum "$NAME" >SHA256SUMS)
note=$("$OUT/$NAME" --version)
echo "$note"
case "$note" in
  *avx*) echo "dist.sh: $NAME requires AVX: the portable flags did not apply" >&2; exit 1 ;;
esac
echo "built $OUT/$NAME ($(stat -c %s "$OUT/$NAME") bytes); checksums in $OUT/SHA256SUMS:"
cat "$OUT/SHA256SUMS"

if [ "$check" = 1 ]; then
  # An emulated CPU without AVX (qemu-user's Nehalem model): an AVX instruction is SIGILL here.
  if ! command -v qemu-x86_64 >/dev/null; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends qemu-user >/dev/null
  fi
  EMU=(qemu-x86_64 -cpu Nehalem)
  ROUND=crates/verifier/tests/fixtures/round-v2
  ROOT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"])' "$ROUND/round.json")
  set +e
  "${EMU[@]}" "$OUT/$NAME" --root "$ROOT" "$ROUND" >"$OUT/emulated.txt" 2>&1
  code=$?
  set -e
  if [ "$code" != 0 ] || ! grep -q "Result: VERIFIED" "$OUT/emulated.txt"; then
    echo "dist.sh: custodia-verify under an emulated Nehalem CPU: exit $code" >&2
    cat "$OUT/emulated.txt" >&2
    exit 1
  fi
  # Negative twin: the same run with another published root is a rejection (exit 1), so the
  # emulated run really checked something.
  set +e
  "${EMU[@]}" "$OUT/$NAME" --root "$(printf '0%.0s' $(seq 64))" "$ROUND" >/dev/null 2>&1
  code=$?
  set -e
  if [ "$code" != 1 ]; then
    echo "dist.sh: a wrong root under emulation gave exit $code, not 1" >&2
    exit 1
  fi
  echo "emulated Nehalem (no AVX): the whole fixture round verified; a wrong root was rejected"
fi
