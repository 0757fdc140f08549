#!/usr/bin/env bash
# End-to-end `segment` vs the Python peer (nibabel + onnxruntime + MONAI sliding_window_inference),
# same ONNX model, patch, step and Gaussian, same volume, same run; peak RSS by /usr/bin/time -v.
# Usage: Benchmarks/pipeline/run.sh [I J K] (default 512 512 600). Needs ~12 GiB free disk in /tmp.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE=("${@:-512 512 600}")
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
python3 Benchmarks/pipeline/make_large.py "$WORK/in" --size ${SIZE[*]}
swift build -c release --product segstation >/dev/null
BIN="$(swift build -c release --show-bin-path)/segstation"
echo "== segstation segment (brats-wt-3d, 2 threads)"
/usr/bin/time -v "$BIN" segment "$WORK/in/flair.nii" "$WORK/in/t1c.nii" --model brats-wt-3d --threads 2 --db "$WORK/db.sqlite" \
  -o "$WORK/out" --json 2> "$WORK/seg.time" | python3 -c "import json,sys; s=json.load(sys.stdin); print(s['timingsSeconds'], s['labels'][0]['voxelCount'])"
grep -E "Elapsed|Maximum resident" "$WORK/seg.time"
echo "== python: nibabel + onnxruntime + MONAI sliding_window_inference (2 threads)"
/usr/bin/time -v python3 Benchmarks/pipeline/python_pipeline.py Models/brats-wt-3d "$WORK/py.nii.gz" "$WORK/in/flair.nii" "$WORK/in/t1c.nii" --threads 2 2> "$WORK/py.time"
grep -E "Elapsed|Maximum resident" "$WORK/py.time"
