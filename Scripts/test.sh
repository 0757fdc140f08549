#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test (XCTest).
# Conformance tests read ../shared/data (or $SEGSTATION_DATA) and skip with a message when it is absent.
set -uo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh || exit 1
swift build --build-tests 2>&1 | grep -vE "^\[[0-9]+/[0-9]+\]"
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "build failed"; exit 1; }
# issue 14: Orthanc (loopback ports 11142/11143, temporary folder) is the PACS of the service tests.
orthanc_dir=$(mktemp -d) && eval "$(bash Scripts/ci/orthanc.sh start "$orthanc_dir")" \
  && trap 'bash Scripts/ci/orthanc.sh stop "$orthanc_dir"; rm -rf "$orthanc_dir"' EXIT
log=$(mktemp)
swift test --disable-swift-testing 2>&1 | tee "$log" | grep -vE "^Test Case '.*' (started|passed)"
status=${PIPESTATUS[0]}
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
