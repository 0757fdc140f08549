#!/usr/bin/env bash
# End-to-end `segstation segment` vs the Python peer (nibabel + onnxruntime + MONAI
# sliding_window_inference, Gaussian), same ONNX model (brats-wt-3d), patch, step and sigma, on the same
# synthetic volume, in the same run, one after the other; wall time and peak RSS by /usr/bin/time -v.
#
# Usage: Benchmarks/pipeline/run.sh [I J K]      (default 512 512 600: the issue's full run)
#   THREADS=2 (both sides), KEEP=1 keeps the work folder, OUT=path of the markdown table
#   (default Benchmarks/pipeline/results-IxJxK.md). Needs python3 with nibabel, onnxruntime, monai,
#   torch (pip, dev-only) and about 3 GB (600 slices) of free disk under ${TMPDIR:-/tmp}.
#
# What each side does (and the table says):
#   segstation: load NIfTI (2 channels) -> normalise, crop -> sliding window + Gaussian blend -> argmax
#     -> restore grid -> lesion measurements (components, shape, intensity, RECIST) -> mask.nii.gz ->
#     report (HTML, PDF, JSON) -> study database. No DICOM-SEG/SR: the input is NIfTI.
#   peer: load NIfTI -> normalise, crop -> sliding_window_inference -> argmax -> un-crop -> mask.nii.gz.
#     No measurements, report or database: its time covers less work than ours.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE=(${@:-512 512 600})
[ "${#SIZE[@]}" -eq 3 ] || { echo "usage: $0 [I J K]"; exit 2; }
TAG="${SIZE[0]}x${SIZE[1]}x${SIZE[2]}"
THREADS="${THREADS:-2}"
OUT="${OUT:-Benchmarks/pipeline/results-$TAG.md}"
WORK="$(mktemp -d)"
[ "${KEEP:-0}" = 1 ] && echo "work folder: $WORK" || trap 'rm -rf "$WORK"' EXIT

echo "== input: synthetic 2-channel $TAG volume, 1 mm"
python3 Benchmarks/pipeline/make_large.py "$WORK/in" --size "${SIZE[@]}"
echo "== building segstation (release)"
swift build -c release --product segstation 2>&1 | grep -E "error|warning:|complete" || true
BIN="$(swift build -c release --show-bin-path)/segstation"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "== segstation segment (brats-wt-3d, $THREADS threads)"
/usr/bin/time -v "$BIN" segment "$WORK/in/flair.nii" "$WORK/in/t1c.nii" --model brats-wt-3d --threads "$THREADS" \
  --db "$WORK/db.sqlite" -o "$WORK/out" --json > "$WORK/seg.json" 2> "$WORK/seg.time"
grep -E "Elapsed|Maximum resident" "$WORK/seg.time"

echo "== python: nibabel + onnxruntime + MONAI sliding_window_inference ($THREADS threads)"
/usr/bin/time -v python3 Benchmarks/pipeline/python_pipeline.py Models/brats-wt-3d "$WORK/py.nii.gz" \
  "$WORK/in/flair.nii" "$WORK/in/t1c.nii" --threads "$THREADS" > "$WORK/py.json" 2> "$WORK/py.time"
grep -E "Elapsed|Maximum resident" "$WORK/py.time"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 Benchmarks/pipeline/table.py --tag "$TAG" --threads "$THREADS" --load "$LOAD_BEFORE -> $LOAD_AFTER" \
  --ours "$WORK/seg.json" "$WORK/seg.time" "$WORK/out/mask.nii.gz" \
  --peer "$WORK/py.json" "$WORK/py.time" "$WORK/py.nii.gz" | tee "$OUT"
echo "(table written to $OUT)"
