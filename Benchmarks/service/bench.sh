#!/usr/bin/env bash
# Service benchmarks (issue 14), side by side in one run; results go into BENCHMARKS.md.
#   bash Benchmarks/service/bench.sh [BIN]     (BIN: a release segstation; default .build/release/segstation)
#   BEFORE=/path/to/other/segstation bash Benchmarks/service/bench.sh   (part 4: BEFORE then BIN, same run, ROUNDS times)
# 1. receive throughput: the same phantom study sent by storescu to `serve` and to Orthanc (alternating, 3 rounds);
# 2. latency from the last instance to the SEG in Orthanc, split into stable wait, load, inference, export, send;
# 3. a warm job (model loaded) vs a cold `segment` of the same study (brats-wt-3d);
# 4. GET /lesions p50/p99 under wrk, 100 connections, 100,000 lesions (store-bench's database): one patient
#    (repeated: response-cache hits), a random patient per request (misses), /runs/1, BIG's pages.
# Loopback only: service DICOM $DICOM_PORT / HTTP $HTTP_PORT, Orthanc DICOM $PACS_DICOM / HTTP $PACS_HTTP
# (defaults 11300-11303, the benchmark range, so the benchmark never meets the tests' fixed ports).
set -euo pipefail
cd "$(dirname "$0")/../.."
PARTS=${PARTS:-1234}   # which parts to run (e.g. PARTS=14); NODELAY_MODES="0 1" (part 1: storescu as shipped, then TCP_NODELAY=1)
BIN=${1:-.build/release/segstation}
MODEL=${MODEL:-brats-wt-3d}     # the model of parts 2 and 3
STORE_BENCH=${STORE_BENCH:-.build/release/store-bench}
DICOM_PORT=${DICOM_PORT:-11300}; HTTP_PORT=${HTTP_PORT:-11301}; PACS_DICOM=${PACS_DICOM:-11302}; PACS_HTTP=${PACS_HTTP:-11303}
work=$(mktemp -d /tmp/segstation-service-bench.XXXX)
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null || true
  bash Scripts/ci/orthanc.sh stop "$work/orthanc" || true
  rm -rf "$work"
}
trap cleanup EXIT
echo "machine: $(lscpu | grep 'Model name' | sed 's/ *Model name: *//'); load: $(uptime | sed 's/.*load average: //')"
now() { date +%s.%N; }
mkdir -p "$work/orthanc"
eval "$(bash Scripts/ci/orthanc.sh start "$work/orthanc" "$PACS_HTTP" "$PACS_DICOM")"
"$BIN" sample -o "$work/study" >/dev/null
files=$(find "$work/study" -name '*.dcm' | wc -l)
bytes=$(find "$work/study" -name '*.dcm' -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "study: $files instances, $bytes bytes"

config() {  # $1 database, $2 route model or "", $3 stableSeconds
  local routes="[]"
  [ -n "$2" ] && routes='[{"name":"brain","match":{"modality":"MR","seriesDescription":"^FLAIR"},"channels":[{"seriesDescription":"^T1c"}],"model":"'"$2"'","options":{"minLesionML":0.1},"destinations":["pacs"]}]'
  cat > "$work/serve.json" <<JSON
{"dicom":{"aeTitle":"SEGSTATION","port":$DICOM_PORT,"allowedCallers":["STORESCU"]},"http":{"port":$HTTP_PORT},
 "auth":{"tokensFile":"tokens"},"storage":{"folder":"storage-$RANDOM"},"database":"$1","workers":1,"threadsPerWorker":2,
 "stableSeconds":$3,"routes":$routes,"destinations":[{"name":"pacs","aeTitle":"ORTHANC","host":"127.0.0.1","port":$PACS_DICOM}]}
JSON
  [ -f "$work/token" ] || "$BIN" serve --config "$work/serve.json" --new-token > "$work/token"
}
start_serve() {
  "$BIN" serve --config "$work/serve.json" > "$work/serve.log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 1 100); do curl -fs http://127.0.0.1:$HTTP_PORT/health >/dev/null && return; sleep 0.1; done
  echo "serve did not start"; cat "$work/serve.log"; exit 1
}
stop_serve() { kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=""; }
segcount() { curl -s -X POST "$SEGSTATION_TEST_ORTHANC/tools/find" -d '{"Level":"Instance","Query":{"Modality":"SEG"}}' | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
api() { curl -fs -H "Authorization: Bearer $(cat "$work/token")" "http://127.0.0.1:$HTTP_PORT$1"; }

if [[ $PARTS == *1* ]]; then
echo "== 1. receive throughput (storescu, same study, 3 rounds each, as shipped and with TCP_NODELAY=1) =="
# DCMTK reads TCP_NODELAY from the environment: with it the sender's Nagle delay (which caps both peers near
# 10 instances/s on loopback) is gone and the receivers themselves are measured.
config "$work/recv.sqlite" "" 3600
for nodelay in ${NODELAY_MODES:-0 1}; do
for round in 1 2 3; do
  rm -rf "$work"/storage-*; start_serve
  t0=$(now); TCP_NODELAY=$nodelay storescu -aet STORESCU -aec SEGSTATION +sd 127.0.0.1 $DICOM_PORT "$work/study/FLAIR" "$work/study/T1c"; t1=$(now)
  stop_serve; rm -f "$work/recv.sqlite"*
  t2=$(now); TCP_NODELAY=$nodelay storescu -aet STORESCU -aec ORTHANC +sd 127.0.0.1 $PACS_DICOM "$work/study/FLAIR" "$work/study/T1c"; t3=$(now)
  for p in $(curl -s "$SEGSTATION_TEST_ORTHANC/patients" | tr -d '[]" \n' | tr , ' '); do curl -s -X DELETE "$SEGSTATION_TEST_ORTHANC/patients/$p" >/dev/null; done
  awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v n="$files" -v by="$bytes" -v r="$round" -v nd="$nodelay" 'BEGIN {
    s=b-a; o=d-c; printf "TCP_NODELAY=%d round %d: serve %.3f s (%.0f inst/s, %.1f MB/s)  orthanc %.3f s (%.0f inst/s, %.1f MB/s)  ratio %.2fx\n",
    nd, r, s, n/s, by/s/1e6, o, n/o, by/o/1e6, o/s }'
done
done

fi
if [[ $PARTS == *2* ]]; then
echo "== 2./3. latency to SEG in PACS, warm job vs cold segment ($MODEL) =="
config "$work/jobs.sqlite" "$MODEL" 2
start_serve
for study in 1 2 3; do   # job 1 loads the model (cold worker); jobs 2 and 3 find it warm
  "$BIN" sample -o "$work/s$study" >/dev/null
  storescu -aet STORESCU -aec SEGSTATION +sd 127.0.0.1 $DICOM_PORT "$work/s$study/FLAIR" "$work/s$study/T1c"; last=$(now)
  echo "job $study: $(python3 Benchmarks/service/follow_job.py "$last" "http://127.0.0.1:$HTTP_PORT" "$(cat "$work/token")" "$SEGSTATION_TEST_ORTHANC" "$study" "$serve_pid")"
done
stop_serve
for study in 2 3; do
  t0=$(now); /usr/bin/time -f "%U %S" -o "$work/cold$study.cpu" "$BIN" segment "$work/s$study/FLAIR" "$work/s$study/T1c" --model "$MODEL" --threads 2 --min-lesion-ml 0.1 --db "$work/cold.sqlite" -o "$work/cold$study" >/dev/null; t1=$(now)
  awk -v a="$t0" -v b="$t1" -v s="$study" -v c="$(awk '{ print $1 + $2 }' "$work/cold$study.cpu")" 'BEGIN { printf "cold segment of study %d (new process, model load): %.2f s, CPU %.2f s\n", s, b-a, c }'
  # The same split as the jobs' (segmentation.json); "rest" is the wall time outside the timed phases:
  # process start, model load, recording the run, exit.
  python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["timingsSeconds"]; w=float(sys.argv[2])
inf=t.get("preprocessSeconds",0)+t.get("inferenceSeconds",0)+t.get("restoreSeconds",0); mea=t.get("cleanupSeconds",0)+t.get("measureSeconds",0)
exp=t.get("maskWriteSeconds",0)+t.get("dicomExportSeconds",0)+t.get("reportSeconds",0); load=t.get("loadSeconds",0)
print(json.dumps({"load":round(load,3),"inference":round(inf,3),"measure":round(mea,3),"export":round(exp,3),"rest":round(w-load-inf-mea-exp,3),"wall":round(w,3)}))' \
    "$work/cold$study/segmentation.json" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b-a }')"
done
echo "(warm job: jobWall of jobs 2 and 3, which also includes sending to the PACS)"

fi
if [[ $PARTS == *4* ]]; then
echo "== 4. GET /lesions under wrk, 100 connections, 100,000 lesions =="
# LESIONS_DB: a copy of a database store-bench filled before (filling takes a minute), else filled now.
if [ -n "${LESIONS_DB:-}" ]; then cp "$LESIONS_DB" "$work/lesions.sqlite"; else "$STORE_BENCH" --db "$work/lesions.sqlite" --iterations 1 >/dev/null; fi
config "$work/lesions.sqlite" "" 3600
after=$BIN
for round in $(seq 1 "${ROUNDS:-1}"); do
for BIN in ${BEFORE:+"$BEFORE"} "$after"; do
  echo "-- round $round: $BIN; load: $(uptime | sed 's/.*load average: //')"
  start_serve
  # BIG last: a server that answers it in seconds is still working through wrk's queued requests when wrk
  # stops, which would slow the next query. BIG: the first page (limit 1000 by default since session 12),
  # then the whole answer (5,059 rows; a binary without paging ignores limit and always answers whole).
  # RANDOM: Benchmarks/service/random-lesions.lua, a random patient and minVolumeML per request (cache misses).
  for q in "/lesions?patient=PAT-17&minVolumeML=1" RANDOM "/runs/1" "/lesions?patient=BIG&minVolumeML=1" "/lesions?patient=BIG&minVolumeML=1&limit=10000"; do
    if [ "$q" = RANDOM ]; then
      echo "GET /lesions?patient=PAT-<random>&minVolumeML=<random> (Benchmarks/service/random-lesions.lua)"
      script=(-s Benchmarks/service/random-lesions.lua); q=/lesions
    else
      echo "GET $q ($(api "$q" | wc -c) bytes)"
      script=()
    fi
    wrk -t2 -c100 -d10s --latency "${script[@]}" -H "Authorization: Bearer $(cat "$work/token")" "http://127.0.0.1:$HTTP_PORT$q" | grep -E "50%|90%|99%|Requests/sec|Socket errors|Non-2xx"
  done
  api /metrics | grep -E "^segstation_http_cache_(hits|misses)_total" || true
  stop_serve
done
done
BIN=$after
fi
