#!/usr/bin/env bash
# Replaces the vendored RustSec advisory snapshot in .ci/advisory-db/ with the HEAD of a local copy
# of the RustSec advisory database (github.com/rustsec/advisory-db), and records which commit it is.
#
# CI cannot reach GitHub, so `cargo deny check advisories` (.ci/deny.sh) reads this snapshot
# offline. Refresh it whenever .ci/deny.sh warns that it is old, and at least before a release:
#
#   git clone https://github.com/rustsec/advisory-db /tmp/advisory-db   # or any clone / bare mirror
#   bash .ci/advisory-db-refresh.sh /tmp/advisory-db
#   bash .ci/deny.sh                      # fix or justify (deny.toml) whatever it now reports
#   git add -A .ci/advisory-db && git commit -m "advisory-db: refresh to <date>"
#
# Only what cargo-deny reads is kept: `crates/` (one Markdown file per advisory; `rust/`, the
# toolchain's own advisories, is not read by cargo-deny), plus the database's licence files. The
# data is CC0-1.0, except advisories imported from GitHub's database, which are CC-BY-4.0 and carry
# their `license` field and source `url` (the attribution) inside the file, kept as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

SRC="${1:?usage: bash .ci/advisory-db-refresh.sh PATH-TO-ADVISORY-DB-CLONE}"
DEST=.ci/advisory-db

git -C "$SRC" rev-parse --verify -q HEAD >/dev/null || { echo "$SRC: not a git repository" >&2; exit 1; }
COMMIT=$(git -C "$SRC" rev-parse HEAD)
DATE=$(git -C "$SRC" show -s --format=%cI HEAD)
git -C "$SRC" cat-file -e HEAD:crates || { echo "$SRC: no crates/ directory at HEAD" >&2; exit 1; }

# From the commit, not the work tree: local edits never get vendored, and a bare mirror works too.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
git -C "$SRC" archive --format=tar HEAD crates LICENSE.txt LICENSES | tar -x -C "$TMP"

rm -rf "$DEST"
mkdir -p "$DEST"
mv "$TMP/crates" "$TMP/LICENSE.txt" "$TMP/LICENSES" "$DEST/"
cat >"$DEST/SNAPSHOT" <<EOF
# The vendored RustSec advisory database: written by .ci/advisory-db-refresh.sh, read by .ci/deny.sh.
commit = "$COMMIT"
date = "$DATE"
advisories = $(find "$DEST/crates" -name '*.md' | wc -l)
EOF
echo "vendored advisory-db $COMMIT ($DATE): $(find "$DEST/crates" -name '*.md' | wc -l) advisories" >&2
