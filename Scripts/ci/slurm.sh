#!/usr/bin/env bash
# A one-node Slurm cluster for the tests: Debian's munge + slurmctld + slurmd on 127.0.0.1, a
# generated slurm.conf (one node "localhost", 2 CPUs, ports $SEGSTATION_SLURM_PORT and +1, default
# 11220/11221), every file (key, socket, state, spool, logs) in a fresh temporary folder.
# Needs root (slurmd starts jobs as their submitting user).
#
#   eval "$(bash Scripts/ci/slurm.sh start)"   # exports SEGSTATION_TEST_SLURM_CONF and SEGSTATION_SLURM_DIR
#   bash Scripts/ci/slurm.sh stop "$SEGSTATION_SLURM_DIR"
#
# `start` prints only the export lines on stdout and exits non-zero (saying why on stderr) when a
# daemon does not start or the node does not come up; the Slurm test then skips with that reason.
set -euo pipefail
port=${SEGSTATION_SLURM_PORT:-11220}

stop() {
    local dir=$1
    for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
        if [ -s "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    done
    sleep 1
    for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
        if [ -s "$pidfile" ]; then kill -9 "$(cat "$pidfile")" 2>/dev/null || true; fi
    done
    rm -rf "$dir"
}

fail() {
    echo "slurm.sh: $1" >&2
    for log in munged.log slurmctld.log slurmd.log; do [ -f "$dir/$log" ] && tail -n 20 "$dir/$log" >&2; done
    stop "$dir"
    exit 1
}

case "${1:-}" in
start)
    [ "$(id -u)" -eq 0 ] || { echo "slurm.sh: needs root (slurmd runs jobs as their user)" >&2; exit 1; }
    for tool in munged mungekey slurmctld slurmd sbatch sinfo; do
        command -v "$tool" >/dev/null || { echo "slurm.sh: $tool is missing (Debian packages slurm-wlm, munge)" >&2; exit 1; }
    done
    dir=$(mktemp -d /tmp/segstation-slurm.XXXXXX)
    chmod 0755 "$dir"
    mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
    chown munge: "$dir/munge"
    chmod 0755 "$dir/munge"   # munged wants its socket's folder searchable by all
    runuser -u munge -- mungekey --create --keyfile="$dir/munge/munge.key" >/dev/null 2>&1 || fail "mungekey failed"
    runuser -u munge -- munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
        >/dev/null 2>&1 || fail "munged did not start"
    cp "$dir/munge/munged.pid" "$dir/munged.pid"
    cat >"$dir/slurm.conf" <<CONF
ClusterName=segstation-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MaxArraySize=1000
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=4000 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF=$dir/slurm.conf
    slurmctld -f "$SLURM_CONF" -i >/dev/null 2>&1 || fail "slurmctld did not start"
    slurmd -f "$SLURM_CONF" -N localhost >/dev/null 2>&1 || fail "slurmd did not start"
    for _ in $(seq 1 60); do
        state=$(sinfo -h -N -o "%T" 2>/dev/null | head -n 1 || true)
        case "$state" in idle*|mixed*|allocated*) break ;; esac
        sleep 1
    done
    case "${state:-}" in idle*|mixed*|allocated*) ;; *) fail "the node did not come up (state: '${state:-none}')" ;; esac
    echo "export SEGSTATION_TEST_SLURM_CONF=$dir/slurm.conf"
    echo "export SEGSTATION_SLURM_DIR=$dir"
    ;;
stop)
    stop "${2:?usage: slurm.sh stop DIR}"
    ;;
*)
    echo "usage: slurm.sh start | stop DIR" >&2
    exit 64
    ;;
esac
