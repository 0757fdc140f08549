#!/usr/bin/env bash
# Load-time benchmark: SegStation (VolumeIO over nifticlib) vs nibabel on the same .nii.gz, same run.
#   1. in-process: each reader loads the file N times (min/median; gzip decompression included);
#   2. whole process with hyperfine: `volumeio-bench once FILE` (and `segstation inspect FILE`, which reads
#      the whole volume, with WITH_CLI=1) vs `python3 load_nibabel.py FILE --once` (Python's interpreter +
#      numpy/nibabel import time shown separately as a baseline).
# Needs: swift, python3 with nibabel (pip install nibabel), hyperfine (apt-get install hyperfine; optional).
# Usage: Benchmarks/volumeio/load_nifti.sh [FILE] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/../.."
FILE="${1:-${SEGSTATION_DATA:-../shared/data}/brats2013/brats_2013_pat0003_1/Flair_subtrMeanDivStd.nii.gz}"
REPEATS="${2:-10}"
[ -f "$FILE" ] || { echo "load_nifti.sh: no such file $FILE" >&2; exit 1; }

swift build -c release --product volumeio-bench >/dev/null
BIN="$(swift build -c release --show-bin-path)"
BENCH="$BIN/volumeio-bench"
CLI_ARGS=()
if [ "${WITH_CLI:-0}" = 1 ]; then
  swift build -c release --product segstation >/dev/null
  CLI_ARGS=(--command-name "SegStation CLI (segstation inspect)" "$BIN/segstation inspect $FILE")
fi

echo "== in-process, $REPEATS loads each: $FILE"
"$BENCH" load "$FILE" --repeat "$REPEATS"
python3 Benchmarks/volumeio/load_nibabel.py "$FILE" --repeat "$REPEATS"

if command -v hyperfine >/dev/null; then
  echo "== whole process (hyperfine)"
  hyperfine --warmup 2 --runs "$REPEATS" -N \
    --command-name "SegStation volumeio-bench once" "$BENCH once $FILE" \
    "${CLI_ARGS[@]}" \
    --command-name "nibabel (python3 load_nibabel.py --once)" "python3 Benchmarks/volumeio/load_nibabel.py $FILE --once" \
    --command-name "python3 import nibabel+numpy only (baseline)" "python3 -c 'import nibabel, numpy'"
else
  echo "hyperfine not installed: skipping the whole-process comparison (apt-get install hyperfine)"
fi
