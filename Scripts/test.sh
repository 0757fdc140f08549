#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test (XCTest).
# Conformance tests read ../shared/data (or $SEGSTATION_DATA) and skip with a message when it is absent.
set -uo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh || exit 1
swift build --build-tests 2>&1 | grep -vE "^\[[0-9]+/[0-9]+\]"
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
swift test --disable-swift-testing 2>&1 | tee "$log" | grep -vE "^Test Case '.*' (started|passed)"
status=${PIPESTATUS[0]}
# The store suite a second time, on PostgreSQL (StudyStoreTests' TestStore reads SEGSTATION_TEST_STORE).
if [ -n "${SEGSTATION_TEST_POSTGRES:-}" ]; then
  SEGSTATION_TEST_STORE=postgres swift test --skip-build --disable-swift-testing \
    --filter 'StudyStoreTests\.(RunLifecycleTests|LesionQueryTests|HistoryTests|QueryFilterTests|GuardTests|TrackingStoreTests)' 2>&1 \
    | tee -a "$log" | grep -vE "^Test Case '.*' (started|passed)"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi
# One plain summary line: counts from XCTest's own report.
passed=$(grep -cE "^Test Case '.*' passed" "$log")
failed=$(grep -cE "^Test Case '.*' failed" "$log")
skipped=$(grep -cE "^Test Case '.*' skipped" "$log")
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
# The fuzz and abuse suite (issue 11): fixed seed, at most 5 minutes; see docs/REFUSALS.md.
timeout 330 "$(swift build --show-bin-path)/segstation-abuse" --seed 20261206 --time-limit 280
abuse=$?
[ "$status" -eq 0 ] && status=$abuse
exit "$status"
