#!/usr/bin/env bash
# The service's CPU time per HTTP request (issue 14): for each BIN, `serve` over a copy of LESIONS_DB
# (store-bench's 100,000 lesions), then per query a `wrk -t2 -c100 -d10s` run (as Benchmarks/service/bench.sh
# part 4), reading the server's utime + stime from /proc/PID/stat before and after:
#   LESIONS_DB=/path/lesions.sqlite bash Benchmarks/service/cpu_per_request.sh BIN [BIN...]
# Queries: one patient (repeated: response-cache hits), a random patient per request (random-lesions.lua:
# misses), /runs/1. Loopback HTTP port $HTTP_PORT (default 11301, the benchmark range), DICOM $DICOM_PORT.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${LESIONS_DB:?set LESIONS_DB to a database store-bench filled}"
HTTP_PORT=${HTTP_PORT:-11301}; DICOM_PORT=${DICOM_PORT:-11300}
work=$(mktemp -d /tmp/segstation-cpu-bench.XXXX)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cat > "$work/serve.json" <<JSON
{"dicom":{"aeTitle":"SEGSTATION","port":$DICOM_PORT,"allowedCallers":["STORESCU"]},"http":{"port":$HTTP_PORT},
 "auth":{"tokensFile":"tokens"},"storage":{"folder":"storage"},"database":"lesions.sqlite","workers":1,"threadsPerWorker":1,
 "stableSeconds":3600,"routes":[],"destinations":[]}
JSON
tck=$(getconf CLK_TCK)
echo "machine: $(lscpu | grep 'Model name' | sed 's/ *Model name: *//')"
for bin in "$@"; do
  cp "$LESIONS_DB" "$work/lesions.sqlite"; rm -f "$work/lesions.sqlite-wal" "$work/lesions.sqlite-shm"
  [ -f "$work/token" ] || "$bin" serve --config "$work/serve.json" --new-token > "$work/token"
  "$bin" serve --config "$work/serve.json" > "$work/serve.log" 2>&1 & pid=$!
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$HTTP_PORT/health" >/dev/null && break; sleep 0.1; done
  echo "-- $bin; load $(uptime | sed 's/.*load average: //')"
  for q in "/lesions?patient=PAT-17&minVolumeML=1" RANDOM "/runs/1"; do
    if [ "$q" = RANDOM ]; then script=(-s Benchmarks/service/random-lesions.lua); url=/lesions; else script=(); url=$q; fi
    c0=$(awk '{print $14+$15}' "/proc/$pid/stat")
    out=$(wrk -t2 -c100 -d10s --latency "${script[@]}" -H "Authorization: Bearer $(cat "$work/token")" "http://127.0.0.1:$HTTP_PORT$url")
    c1=$(awk '{print $14+$15}' "/proc/$pid/stat")
    n=$(echo "$out" | awk '/requests in/ {print $1}')
    echo "$q: $(echo "$out" | awk '/ 50%/ {a=$2} / 99%/ {b=$2} /Requests\/sec/ {c=$2} END {printf "p50 %s p99 %s req/s %s", a, b, c}');" \
         "server CPU $(awk -v d=$((c1 - c0)) -v t="$tck" -v n="$n" 'BEGIN {printf "%.1f s for %d requests = %.0f us/request", d/t, n, d/t/n*1e6}')"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
