#!/usr/bin/env bash
# Issue 11 "nothing here slows the clean path": the README's main job (`segment` of the bundled phantom
# with the demo model, Scripts/demo.sh's command) with two release binaries, alternately, N times each.
# Prints one line per run (wall s, user s, sys s, max RSS KB, load) and the medians per binary.
#
# Usage: bash Benchmarks/clean-path/run.sh BEFORE_BIN BEFORE_REPO AFTER_BIN AFTER_REPO [N=5]
#   e.g. BEFORE = a worktree at c5fa00f (main before issue 11), AFTER = the current tree, both built with
#   `swift build -c release --product segstation`. Each binary segments with its own repository's
#   Models/ (the model package of its time) a phantom written once by the AFTER binary (`sample`).
set -euo pipefail
before_bin=$1 before_repo=$2 after_bin=$3 after_repo=$4 n=${5:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$after_bin" sample -o "$work/sample" >/dev/null
model=brats-wt-3d
run() {  # label bin repo i
    local out="$work/$1-$4" db="$work/$1-$4.sqlite"
    local load; load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" env SEGSTATION_MODELS="$3/Models" \
        "$2" segment "$work/sample/FLAIR" "$work/sample/T1c" --model "$3/Models/$model" --db "$db" -o "$out" \
        --min-lesion-ml 0.1 >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
    echo "$1 $(cat "$work/time") $load" | tee -a "$work/all"
}
echo "label wall_s user_s sys_s maxrss_kb load1"
for i in $(seq 1 "$n"); do
    run before "$before_bin" "$before_repo" "$i"
    run after "$after_bin" "$after_repo" "$i"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for label in before after; do
    wall=$(awk -v l=$label '$1==l {print $2}' "$work/all" | median)
    user=$(awk -v l=$label '$1==l {print $3}' "$work/all" | median)
    echo "median $label: wall $wall s, user $user s"
done
# The two masks must agree (same model, same input): Dice of the last runs.
"$after_bin" evaluate --prediction "$work/after-$n/mask.nii.gz" --reference "$work/before-$n/mask.nii.gz" | head -5
