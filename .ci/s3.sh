#!/usr/bin/env bash
# Installs moto's S3-compatible server (PyPI, in its own virtual environment), starts it on
# 127.0.0.1 only, creates the test bucket and prints the endpoint URL on stdout (everything
# else goes to stderr). Idempotent. Usage from .ci/test:
#   export CUSTODIA_TEST_S3_ENDPOINT="$(bash .ci/s3.sh)"
# Tests then use s3://custodia-test/<prefix> with AWS_ENDPOINT_URL set to that endpoint.
set -euo pipefail

PORT="${CUSTODIA_S3_PORT:-9311}"
BUCKET=custodia-test
VENV="${CUSTODIA_CI_CACHE:-$HOME/.cache/custodia-ci}/moto-venv"
MOTO_VERSION=5.2.5
ENDPOINT="http://127.0.0.1:$PORT"

log() { echo "s3.sh: $*" >&2; }

if [ ! -x "$VENV/bin/moto_server" ]; then
  log "installing moto[server]==$MOTO_VERSION into $VENV"
  if ! python3 -m venv "$VENV" >&2; then
    # Debian ships venv (ensurepip) in its own package.
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" >&2
  fi
  "$VENV/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
fi

if ! curl -fsS -o /dev/null "$ENDPOINT/moto-api/" 2>/dev/null; then
  log "starting moto on 127.0.0.1:$PORT"
  LOG_DIR="$(dirname "$VENV")"
  nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$LOG_DIR/moto.log" 2>&1 &
  for _ in $(seq 1 60); do
    if curl -fsS -o /dev/null "$ENDPOINT/moto-api/" 2>/dev/null; then break; fi
    sleep 0.5
  done
fi
curl -fsS -o /dev/null "$ENDPOINT/moto-api/" >&2

# The bucket (moto does not check signatures; creating an existing bucket is answered 200 or 409).
curl -sS -o /dev/null -X PUT "$ENDPOINT/$BUCKET" >&2 || true

echo "$ENDPOINT"
