#!/usr/bin/env bash
# Writes the synthetic study's reports with the Swift tests, then validates every JSON report with
# python jsonschema (draft 2020-12) and records the outcome under Tests/ReportsTests/Expected/.
# Usage: Scripts/reference/report_schema_check.sh   (from the repository root; needs: pip install jsonschema)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
SEGSTATION_REPORT_KEEP="$out" swift test --disable-swift-testing \
    --filter 'ReportsTests.ReportOutputTests/(testWritesPrivateFilesUnderHashedFolder|testWritesEmptyAndMinimalStudies)' >/dev/null
python3 Scripts/reference/report_validate_schema.py "$out"/*.json
