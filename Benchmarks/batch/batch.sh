#!/usr/bin/env bash
# Issue 15 benchmarks (BENCHMARKS.md, "Batch"): in one run, side by side,
#   1. N cases with `batch --jobs 1` vs N sequential `segment` calls (same model, same outputs);
#   2. `batch --jobs 2 --threads-per-job 1` vs `batch --jobs 1 --threads-per-job 2`.
# The cases are copies of the phantom (`segstation sample`) as nnU-Net NIfTI files.
#
#   bash Benchmarks/batch/batch.sh [N=8] [SIZE=160,176,120] [MODEL=brats-wt-3d]
#
# Uses the release binary (.build/release/segstation; `swift build -c release --product segstation`).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${SEGSTATION_BIN:-$PWD/.build/release/segstation}
n=${1:-8}
size=${2:-160,176,120}
model=${3:-brats-wt-3d}
work=$(mktemp -d /tmp/segstation-batch-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$bin" sample -o "$work/sample" --size "$size" >/dev/null
mkdir -p "$work/cohort"
"$bin" convert "$work/sample/FLAIR" -o "$work/flair.nii.gz" >/dev/null
"$bin" convert "$work/sample/T1c" -o "$work/t1c.nii.gz" >/dev/null
for i in $(seq -w 1 "$n"); do
    cp "$work/flair.nii.gz" "$work/cohort/case$i""_0000.nii.gz"
    cp "$work/t1c.nii.gz" "$work/cohort/case$i""_0001.nii.gz"
done

echo "cpu: $(lscpu | grep 'Model name' | sed 's/.*: *//')"
stamp() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }

echo "== $n x segment vs batch --jobs 1 ($size, $model), load before: $(load)"
t0=$(stamp)
for i in $(seq -w 1 "$n"); do
    "$bin" segment "$work/cohort/case$i""_0000.nii.gz" "$work/cohort/case$i""_0001.nii.gz" --model "$model" \
        -o "$work/seq/case$i" --db "$work/seq.sqlite" --no-dicom >/dev/null
done
t1=$(stamp)
"$bin" batch "$work/cohort" -o "$work/batch1" --model "$model" --db "$work/batch1.sqlite" --jobs 1 --no-dicom >/dev/null 2>"$work/batch1.log"
t2=$(stamp)
seq_s=$(echo "$t1 - $t0" | bc -l); batch_s=$(echo "$t2 - $t1" | bc -l)
printf "sequential segment: %.1f s   batch --jobs 1: %.1f s   speed-up %.2fx   load after: %s\n" \
    "$seq_s" "$batch_s" "$(echo "$seq_s / $batch_s" | bc -l)" "$(load)"

echo "== batch --jobs 2 --threads-per-job 1 vs --jobs 1 --threads-per-job 2, load before: $(load)"
t0=$(stamp)
"$bin" batch "$work/cohort" -o "$work/j2" --model "$model" --db "$work/j2.sqlite" --jobs 2 --threads-per-job 1 --no-dicom >/dev/null 2>"$work/j2.log"
t1=$(stamp)
"$bin" batch "$work/cohort" -o "$work/t2" --model "$model" --db "$work/t2.sqlite" --jobs 1 --threads-per-job 2 --no-dicom >/dev/null 2>"$work/t2.log"
t2=$(stamp)
j2=$(echo "$t1 - $t0" | bc -l); t2s=$(echo "$t2 - $t1" | bc -l)
printf -- "--jobs 2 x 1 thread: %.1f s   --jobs 1 x 2 threads: %.1f s   ratio %.2f   load after: %s\n" \
    "$j2" "$t2s" "$(echo "$t2s / $j2" | bc -l)" "$(load)"
