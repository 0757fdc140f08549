#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test (XCTest).
# Conformance tests read ../shared/data (or $SEGSTATION_DATA) and skip with a message when it is absent.
set -uo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh || exit 1
# No debug information (-gnone): XCTest reports failures by file and line without it, and generating it is
# a tenth of the build's CPU (measured, BENCHMARKS.md "CI time"). Both swift build calls take the same flags.
build_flags=(--build-tests -Xswiftc -gnone)
swift build "${build_flags[@]}" 2>&1 | grep -vE "^\[[0-9]+/[0-9]+\]"
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "build failed"; exit 1; }
# issue 14: Orthanc (loopback ports 11142/11143, temporary folder) is the PACS of the service tests.
# Issue 15: a throwaway PostgreSQL cluster and a one-node Slurm cluster on loopback ports (their tests
# skip with the reason when a service cannot start). One EXIT trap stops every service started here.
orthanc_dir=$(mktemp -d)
services_stop() {
  bash Scripts/ci/orthanc.sh stop "$orthanc_dir"; rm -rf "$orthanc_dir"
  [ -z "${SEGSTATION_SLURM_DIR:-}" ] || bash Scripts/ci/slurm.sh stop "$SEGSTATION_SLURM_DIR"
  [ -z "${SEGSTATION_PG_DIR:-}" ] || bash Scripts/ci/postgres.sh stop "$SEGSTATION_PG_DIR"
}
trap services_stop EXIT
if env_lines=$(bash Scripts/ci/orthanc.sh start "$orthanc_dir"); then eval "$env_lines"; else echo "test.sh: Orthanc did not start: the service tests that need it will skip"; fi
log=$(mktemp)
if env_lines=$(bash Scripts/ci/postgres.sh start); then eval "$env_lines"; else echo "test.sh: PostgreSQL did not start: its tests will skip"; fi
if env_lines=$(bash Scripts/ci/slurm.sh start); then eval "$env_lines"; else echo "test.sh: Slurm did not start: its test will skip"; fi
# The tests run in three lanes side by side: the machines have 2 cores, and most tests use one or wait
# for the real programs they start (segstation, Orthanc, elastix, Slurm). Each lane runs whole test targets
# in one XCTest process, split so that the lanes take about as long (measured side by side: 2-2 1/2 min
# each); the first lane then runs the store suite again on PostgreSQL, and the fuzz and abuse suite runs
# beside them. Output lines interleave; the summary counts from XCTest's own reports in the lanes' logs.
bin="$(swift build "${build_flags[@]}" --show-bin-path)"
xctest="$bin/SegStationPackageTests.xctest"
tests=$("$xctest" --list-tests | grep /) || { echo "test.sh: cannot list the tests"; exit 1; }
shard() { printf '%s\n' "$tests" | awk -F'[./]' -v m="^($1)\$" '$1 ~ m { print $1 "." $2 }' | sort -u | paste -sd, -; }
shards=("$(shard 'PipelineTests|ReportsTests|VolumeIOTests|InferenceTests|CoreTests|ImagingTests')"
        "$(shard 'EndToEndTests|EngineTests|LesionsTests|StudyStoreTests')"
        "$(shard 'ServiceTests|DICOMTests')")
[ "$(printf '%s\n' "$tests" | cut -d/ -f1 | sort -u | wc -l)" -eq "$(printf '%s,' "${shards[@]}" | tr ',' '\n' | grep -c .)" ] \
  || { echo "test.sh: a test target is in no lane (add it to one above)"; exit 1; }
# oneDNN's OpenMP threads sleep when idle instead of spinning: three lanes and the abuse suite share two cores.
export OMP_WAIT_POLICY=passive
quiet() { grep --line-buffered -vE "^Test Case '.*' (started|passed)"; }
for i in 1 2; do
  ( "$xctest" "${shards[$i]}" 2>&1; echo $? > "$log.status$i" ) | tee "$log.$i" | quiet &
done
(
  "$xctest" "${shards[0]}" 2>&1; echo $? > "$log.status0"
  # The store suite a second time, on PostgreSQL (StudyStoreTests' TestStore reads SEGSTATION_TEST_STORE).
  if [ -n "${SEGSTATION_TEST_POSTGRES:-}" ]; then
    SEGSTATION_TEST_STORE=postgres "$xctest" "$(shard 'StudyStoreTests' | tr ',' '\n' \
      | grep -E '\.(RunLifecycleTests|LesionQueryTests|HistoryTests|QueryFilterTests|GuardTests|TrackingStoreTests)$' | paste -sd, -)" 2>&1
    echo $? > "$log.status3"
  else echo 0 > "$log.status3"; fi
) | tee "$log.0" | quiet &
# The fuzz and abuse suite (issue 11) beside the lanes (fixed seed, at most 5 minutes; see docs/REFUSALS.md):
# it runs one short segstation after another, about a core, and after the lanes it left the other core idle.
( timeout 330 "$bin/segstation-abuse" --seed 20261206 --time-limit 280 2>&1; echo $? > "$log.abuse" ) | tee "$log.3" | quiet &
wait
status=0
for i in 0 1 2 3; do [ "$(cat "$log.status$i" 2>/dev/null)" = 0 ] || status=1; done
[ "$(cat "$log.abuse" 2>/dev/null)" = 0 ] || status=1
# One plain summary line: counts from XCTest's own reports.
cat "$log.0" "$log.1" "$log.2" > "$log"
passed=$(grep -cE "^Test Case '.*' passed" "$log")
failed=$(grep -cE "^Test Case '.*' failed" "$log")
skipped=$(grep -cE "^Test Case '.*' skipped" "$log")
abuse=$(grep -E "^abuse: [0-9]+ passed" "$log.3" || echo "abuse: no result (exit $(cat "$log.abuse" 2>/dev/null))")
# SEGSTATION_KEEP_LANE_LOGS=<folder> keeps the lanes' full XCTest logs (per-test times) for BENCHMARKS.md "CI time".
[ -z "${SEGSTATION_KEEP_LANE_LOGS:-}" ] || cp "$log".[0-3] "$SEGSTATION_KEEP_LANE_LOGS"/ 2>/dev/null
rm -f "$log" "$log".*
echo "tests: $passed passed, $failed failed, $skipped skipped"
echo "$abuse"
exit "$status"
