#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test.
# Conformance tests read ../shared/data (or $SEGSTATION_DATA) and skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
swift build --build-tests 2>&1 | tee /tmp/segstation-build.log | grep -E "warning:|error:|Compiling|Build complete" | grep -vE "^\[.*Compiling" || true
swift test 2>&1 | tee /tmp/segstation-test.log | grep -E "error|failed|skipped|Executed|passed after|Test run" | tail -60
# `swift test`'s exit status is the test result; re-derive it from the log for the pipeline above.
if grep -qE "with [1-9][0-9]* failures|error: " /tmp/segstation-test.log; then exit 1; fi
grep -q "Executed .* tests, with 0 failures" /tmp/segstation-test.log
