#!/usr/bin/env bash
# Registration benchmark (issue 13): elastix with SegStation's rigid parameter file against elastix's
# defaults (elastix-default.txt) on two 256^3 MR volumes (make_volumes.py), 2 threads each, in one run.
# Usage: Benchmarks/registration/bench.sh [DATA_FOLDER] [WORK_FOLDER]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${1:-${SEGSTATION_DATA:-$here/../../../shared/data}}"
work="${2:-$(mktemp -d)}"
[ -f "$work/fixed.nii.gz" ] || python3 "$here/make_volumes.py" "$data" "$work"
# Uncompressed, as SegStation hands them to elastix.
python3 -c "import nibabel as n, sys; [n.save(n.load(f'$work/{x}.nii.gz'), f'$work/{x}.nii') for x in ('fixed', 'moving')]"
lscpu | grep 'Model name'
for run in segstation default; do
  params="$here/../../Sources/Pipeline/Registration/Parameters/rigid.txt"
  [ "$run" = default ] && params="$here/elastix-default.txt"
  out="$work/out-$run"; rm -rf "$out"; mkdir -p "$out"
  uptime
  /usr/bin/time -f "$run: %e s elapsed, %U s user, %S s system (CPU seconds over 2 threads)" \
    elastix -f "$work/fixed.nii" -m "$work/moving.nii" -p "$params" -out "$out" -threads 2 > /dev/null
  grep '(TransformParameters' "$out/TransformParameters.0.txt"
done
uptime
