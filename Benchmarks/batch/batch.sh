#!/usr/bin/env bash
# Issue 15 benchmarks (BENCHMARKS.md, "Batch"): in one run, side by side,
#   1. N cases with `batch --jobs 1` vs N sequential `segment` calls (same model, same outputs);
#   2. `batch --jobs 2 --threads-per-job 1` vs `batch --jobs 1 --threads-per-job 2`.
# The four ways run one after the other in each of ROUNDS rounds (alternating, so that drift of this
# shared, noisy VM falls on all of them); each round's times and the medians are printed.
# The cases are copies of the phantom (`segstation sample`) as nnU-Net NIfTI files.
#
#   bash Benchmarks/batch/batch.sh [N=8] [SIZE=160,176,120] [MODEL=brats-wt-3d] [ROUNDS=3]
#
# Uses the release binary (.build/release/segstation; `swift build -c release --product segstation`).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${SEGSTATION_BIN:-$PWD/.build/release/segstation}
n=${1:-8}
size=${2:-160,176,120}
model=${3:-brats-wt-3d}
rounds=${4:-3}
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

echo "cpu: $(lscpu | grep 'Model name' | sed 's/.*: *//'); $n cases of $size, $model, $rounds rounds"
stamp() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }
timed() { local t0; t0=$(stamp); "$@" >/dev/null 2>>"$work/log"; echo "$(stamp) - $t0" | bc -l; }
sequential() {
    for i in $(seq -w 1 "$n"); do
        "$bin" segment "$work/cohort/case$i""_0000.nii.gz" "$work/cohort/case$i""_0001.nii.gz" --model "$model" \
            -o "$work/$1/case$i" --db "$work/$1.sqlite" --no-dicom >/dev/null 2>>"$work/log"
    done
}
batch() { local name=$1; shift; "$bin" batch "$work/cohort" -o "$work/$name" --model "$model" --db "$work/$name.sqlite" --no-dicom "$@"; }
declare -a S B J T
for r in $(seq 1 "$rounds"); do
    rm -rf "$work"/r-* 
    before=$(load)
    S+=("$(timed sequential "r-seq")")
    B+=("$(timed batch r-b1 --jobs 1)")
    J+=("$(timed batch r-j2 --jobs 2 --threads-per-job 1)")
    T+=("$(timed batch r-t2 --jobs 1 --threads-per-job 2)")
    printf "round %d: %d x segment %.1f s | batch --jobs 1 %.1f s | --jobs 2 x 1 thread %.1f s | --jobs 1 x 2 threads %.1f s | load %s -> %s\n" \
        "$r" "$n" "${S[-1]}" "${B[-1]}" "${J[-1]}" "${T[-1]}" "$before" "$(load)"
done
median() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
s=$(median "${S[@]}"); b=$(median "${B[@]}"); j=$(median "${J[@]}"); t=$(median "${T[@]}")
printf "median: sequential segment %.1f s, batch --jobs 1 %.1f s (speed-up %.2fx), --jobs 2 x 1 thread %.1f s (%.2fx), --jobs 1 x 2 threads %.1f s; (jobs 2 x 1) vs (jobs 1 x 2): %.2fx\n" \
    "$s" "$b" "$(echo "$s / $b" | bc -l)" "$j" "$(echo "$s / $j" | bc -l)" "$t" "$(echo "$t / $j" | bc -l)"
