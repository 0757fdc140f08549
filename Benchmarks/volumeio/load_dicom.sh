#!/usr/bin/env bash
# DICOM series load benchmark: SegStation `convert` vs dcm2niix (Debian) on the same 320-slice CT
# series, same run, both writing an uncompressed NIfTI (the same work: read, decode, sort, write).
# The series is built by replicating the slices of dcmqi's real GE CT (512x512) with new positions
# and UIDs (Benchmarks/volumeio/make_ct_series.py; dev-only: pip install pydicom numpy).
# Usage: Benchmarks/volumeio/load_dicom.sh [SLICES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
SLICES="${1:-320}"; RUNS="${2:-5}"
DATA="${SEGSTATION_DATA:-../shared/data}"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
python3 Benchmarks/volumeio/make_ct_series.py "$DATA/dcmqi/segmentations/ct-3slice" "$WORK/series" --slices "$SLICES"
swift build -c release --product segstation >/dev/null
BIN="$(swift build -c release --show-bin-path)/segstation"
hyperfine --warmup 1 --runs "$RUNS" -N --export-markdown "$WORK/table.md" \
  --command-name "SegStation convert (DCMTK)" "$BIN convert $WORK/series -o $WORK/seg.nii" \
  --command-name "dcm2niix -z n" "dcm2niix -z n -o $WORK -f d2n $WORK/series"
cat "$WORK/table.md"
/usr/bin/time -v "$BIN" convert "$WORK/series" -o "$WORK/seg2.nii" 2>&1 | grep -E "Maximum resident" | sed 's/^/SegStation /'
/usr/bin/time -v dcm2niix -z n -o "$WORK" -f d2n2 "$WORK/series" 2>&1 | grep -E "Maximum resident" | sed 's/^/dcm2niix /'
