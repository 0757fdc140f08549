#!/usr/bin/env bash
# Issue 15 benchmark: a 4-task Slurm array vs one `batch` process on the same 8 cases, both writing
# into a PostgreSQL database (BENCHMARKS.md, "Batch"). Needs a running cluster and server:
#   eval "$(bash Scripts/ci/postgres.sh start)"; eval "$(bash Scripts/ci/slurm.sh start)"
#   bash Benchmarks/batch/slurm.sh [SIZE=64,64,48] [MODEL=brats-wt-3d]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${SEGSTATION_BIN:-$PWD/.build/release/segstation}
size=${1:-64,64,48}
model=${2:-brats-wt-3d}
export SLURM_CONF=${SEGSTATION_TEST_SLURM_CONF:?start Scripts/ci/slurm.sh first}
server=${SEGSTATION_TEST_POSTGRES:?start Scripts/ci/postgres.sh first}
work=$(mktemp -d /tmp/segstation-slurm-bench.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
db() { echo "$server" | sed -E "s|/[^/?]*(\?\|$)|/$1\1|"; }
for name in bench_one bench_array; do psql "$server" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"; done

"$bin" sample -o "$work/sample" --size "$size" >/dev/null
mkdir -p "$work/cohort"
"$bin" convert "$work/sample/FLAIR" -o "$work/f.nii.gz" >/dev/null
"$bin" convert "$work/sample/T1c" -o "$work/t.nii.gz" >/dev/null
for i in 1 2 3 4 5 6 7 8; do cp "$work/f.nii.gz" "$work/cohort/c${i}_0000.nii.gz"; cp "$work/t.nii.gz" "$work/cohort/c${i}_0001.nii.gz"; done
load() { cut -d' ' -f1 /proc/loadavg; }
echo "cpu: $(lscpu | grep 'Model name' | sed 's/.*: *//'); cases: 8 x $size, $model"

echo "load before: $(load)"
t0=$(date +%s.%N)
"$bin" batch "$work/cohort" -o "$work/one" --model "$model" --db "$(db bench_one)" --jobs 2 --threads-per-job 1 --no-dicom >/dev/null 2>&1
t1=$(date +%s.%N)
job=$(sbatch --parsable --array=0-3 --cpus-per-task=1 --output="$work/task-%a.out" \
    --export="ALL,SEGSTATION=$bin,SEGSTATION_MODEL=$model,SEGSTATION_DB=$(db bench_array),SEGSTATION_BATCH_ARGS=--no-dicom" \
    Scripts/slurm/segstation-batch.sbatch "$work/cohort" "$work/array")
while [ -n "$(squeue -h -j "$job")" ]; do sleep 0.2; done
t2=$(date +%s.%N)
one=$(echo "$t1 - $t0" | bc -l); arr=$(echo "$t2 - $t1" | bc -l)
inner=$(cat "$work"/array/summary.shard-*-of-4.json | grep -o '"wallSeconds" : [0-9.]*' | awk '{s+=$3} END {print s}')
printf "one process (--jobs 2): %.1f s   4-task array: %.1f s (sum of the tasks' own batch wall times %.1f s)   load after: %s\n" \
    "$one" "$arr" "$inner" "$(load)"
echo "completed runs: one $(psql "$(db bench_one)" -Atc "select count(*) from run where status='completed'"), array $(psql "$(db bench_array)" -Atc "select count(*) from run where status='completed'")"
