#!/usr/bin/env bash
# Regenerates tests/fixtures/ownership-vectors.json: ownership signatures made by each chain's
# own libraries (bitcoinjs-message, ripple-keypairs, @solana/offchain-messages + tweetnacl,
# @polkadot/keyring, @stellar/stellar-base, @mysten/sui, @aptos-labs/ts-sdk, EMURGO's Cardano
# message-signing, @ton/ton + @ton/crypto, @glif/filecoin-address + tiny-secp256k1,
# @wharfkit/antelope for EOS, aelf-sdk), not by Custodia's signer. The packages are installed
# from npm into a temporary folder at the exact versions of package.json; nothing is installed
# into the repository.
#
# Usage: crates/reserves/tests/vectors/regenerate.sh   (needs node >= 20 and npm)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/gen.mjs" "$work/"
(cd "$work" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
node "$work/gen.mjs" > "$work/vectors.json"
mv "$work/vectors.json" "$here/../fixtures/ownership-vectors.json"
echo "wrote $here/../fixtures/ownership-vectors.json"
