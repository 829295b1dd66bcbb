#!/usr/bin/env bash
# Distributed proving on this machine: one round proved by `por prove --jobs 1` (baseline), then
# through the job queue (PostgreSQL) and an object store by 1 and by 2 worker processes.
# Prints wall time, CPU seconds and peak RSS of each, and the queue's overhead per batch.
# Usage: bash scripts/bench-fleet.sh [BIN] [USERS] [LOG_BATCH] [ASSETS]
#   BIN defaults to target/release/custodia; needs `bash .ci/postgres.sh` (and `.ci/s3.sh` with
#   STORE=s3) first.
set -euo pipefail
BIN="${1:-target/release/custodia}"
USERS="${2:-8000}"
LOG_BATCH="${3:-10}"
ASSETS="${4:-5}"
PG="$(bash "$(dirname "$0")/../.ci/postgres.sh" 2>/dev/null)"
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
export CUSTODIA_SECRETS_KEK=0101010101010101010101010101010101010101010101010101010101010101

"$BIN" -q demo generate --users "$USERS" --assets "$ASSETS" --seed 7 --out "$W/data" >/dev/null
"$BIN" -q por build --snapshot "$W/data/snapshot.csv" --assets "$W/data/assets.toml" \
  --prices "$W/data/prices.toml" --id bench --snapshot-time 2026-11-30T23:59:59Z \
  --log-batch "$LOG_BATCH" --out "$W/round" >/dev/null
BATCHES=$(ls "$W/round/private/" | grep -c '\.wit$')
echo "round: $USERS users, $ASSETS assets, 2^$LOG_BATCH leaves per batch, $BATCHES batches"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

measure() { # label, then the command
  local label="$1"; shift
  /usr/bin/time -f "%e %U %S %M" -o "$W/time" "$@" >"$W/out" 2>"$W/err" || { cat "$W/err"; exit 1; }
  read -r wall user sys rss <"$W/time"
  printf '%-34s wall %7.2f s  cpu %7.2f s  peak RSS %6d MiB\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024))
}

cp -r "$W/round" "$W/single"
measure "por prove --jobs 1 (one process)" "$BIN" -q por prove --round "$W/single" --jobs 1

for N in 1 2; do
  SCHEMA="bench_fleet_$$_$N"
  PGOPTIONS="-c client_min_messages=warning" runuser -u postgres -- psql -d custodia_test -qc "CREATE SCHEMA $SCHEMA AUTHORIZATION custodia" >/dev/null
  export CUSTODIA_POR_QUEUE="$PG?options=-c%20search_path%3D$SCHEMA"
  export CUSTODIA_POR_STORE="$W/store-$N"
  cp -r "$W/round" "$W/dist-$N"
  measure "enqueue ($BATCHES batches, sealed)" "$BIN" -q por enqueue --round "$W/dist-$N"
  start=$(date +%s.%N)
  for i in $(seq 1 "$N"); do
    /usr/bin/time -f "%e %U %S %M" -o "$W/time-$N-$i" "$BIN" --json por worker --exit-when-idle \
      --poll-secs 0.2 --worker-id "w$i" >"$W/worker-$N-$i.json" 2>/dev/null &
  done
  wait
  end=$(date +%s.%N)
  cpu=0; rss=0
  for i in $(seq 1 "$N"); do
    read -r _ u s m <"$W/time-$N-$i"
    cpu=$(echo "$cpu + $u + $s" | bc); [ "$m" -gt "$rss" ] && rss=$m
  done
  printf '%-34s wall %7.2f s  cpu %7.2f s  peak RSS %6d MiB (per worker)\n' "$N worker process(es)" \
    "$(echo "$end - $start" | bc)" "$cpu" $((rss / 1024))
  # Queue overhead: the workers' wall time not spent inside the prover, per batch.
  "$BIN" --json por status > "$W/status-$N.json"
  python3 - "$W/status-$N.json" "$N" "$(echo "$end - $start" | bc)" "$BATCHES" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); n = int(sys.argv[2]); wall = float(sys.argv[3]); b = int(sys.argv[4])
prove = s["mean_prove_secs"] * b
print(f"  mean prove {s['mean_prove_secs']:.3f} s/batch; outside the prover "
      f"(claim, open, verify own proof, upload, read back, complete): "
      f"{(wall * n - prove) / b:.3f} s/batch")
PY
  measure "aggregate (check + publish)" "$BIN" -q por aggregate --round "$W/dist-$N"
  cmp "$W/dist-$N/round.json" "$W/single/round.json"
  PGOPTIONS="-c client_min_messages=warning" runuser -u postgres -- psql -d custodia_test -qc "DROP SCHEMA $SCHEMA CASCADE" >/dev/null
done
echo "sizes: sealed batch $(stat -c %s "$W/store-1/private/batch-00000.sealed") B, proof $(stat -c %s "$W/store-1/proofs/batch-00000.proof") B, public inputs $(stat -c %s "$W/store-1/proofs/batch-00000.json") B"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
