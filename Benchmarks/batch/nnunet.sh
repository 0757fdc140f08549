#!/usr/bin/env bash
# Issue 15 benchmark: nnU-Net's own predictor vs `segstation batch` on the same cases with the SAME
# network (BENCHMARKS.md, "Batch"). The demo model's ONNX weights are copied into nnU-Net's
# PlainConvUNet (Scripts/reference/nnunet_model_folder.py checks both give the same logits), run by
# `nnUNetv2_predict_from_modelfolder` on the CPU with the manifest's patch (48^3) and step (0.5),
# Gaussian weighting, no mirroring (TTA off on both sides), one preprocessing and one export process.
#
#   pip install nnunetv2          # 2.8.1 with torch CPU; the product and the tests never need it
#   bash Benchmarks/batch/nnunet.sh [N=8] [SIZE=160,176,120] [MODEL=brats-wt-3d]
#
# Uses the release binary (.build/release/segstation, or $SEGSTATION_BIN).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${SEGSTATION_BIN:-$PWD/.build/release/segstation}
n=${1:-8}
size=${2:-160,176,120}
model=${3:-brats-wt-3d}
threads=$(nproc)
work=$(mktemp -d /tmp/segstation-nnunet-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 Scripts/reference/nnunet_model_folder.py "Models/$model" "$work/nnunet-model" >/dev/null
"$bin" sample -o "$work/sample" --size "$size" >/dev/null
mkdir -p "$work/cohort"
"$bin" convert "$work/sample/FLAIR" -o "$work/flair.nii.gz" >/dev/null
"$bin" convert "$work/sample/T1c" -o "$work/t1c.nii.gz" >/dev/null
for i in $(seq -w 1 "$n"); do
    cp "$work/flair.nii.gz" "$work/cohort/case$i""_0000.nii.gz"
    cp "$work/t1c.nii.gz" "$work/cohort/case$i""_0001.nii.gz"
done
echo "cpu: $(lscpu | grep 'Model name' | sed 's/.*: *//'); $n cases of $size; $threads threads each side"
load() { cut -d' ' -f1 /proc/loadavg; }
stamp() { date +%s.%N; }

echo "load before: $(load)"
t0=$(stamp)
nnUNetv2_predict_from_modelfolder -i "$work/cohort" -o "$work/nnunet-out" -m "$work/nnunet-model" -f 0 \
    -device cpu --disable_tta -npp 1 -nps 1 >"$work/nnunet.log" 2>&1
t1=$(stamp)
"$bin" batch "$work/cohort" -o "$work/batch" --model "$model" --db "$work/batch.sqlite" --jobs 1 \
    --threads-per-job "$threads" --no-dicom >/dev/null 2>"$work/batch.log"
t2=$(stamp)
nn=$(echo "$t1 - $t0" | bc -l); ours=$(echo "$t2 - $t1" | bc -l)
printf "nnUNetv2_predict: %.1f s   segstation batch --jobs 1: %.1f s   nnU-Net / batch = %.2f   load after: %s\n" \
    "$nn" "$ours" "$(echo "$nn / $ours" | bc -l)" "$(load)"
