#!/usr/bin/env bash
# A one-node SLURM cluster on this machine (munge, slurmctld and slurmd on localhost), for
# trying `densecell segment --slurm` / `train --slurm` and for the tests that submit real jobs.
#
#   scripts/slurm-local.sh start    # write the configuration, start the daemons, wait until the node is idle
#   scripts/slurm-local.sh status   # print sinfo; exit 0 when the node is up, 1 otherwise
#   scripts/slurm-local.sh stop     # stop the daemons started by `start`
#   scripts/slurm-local.sh env      # print the export line for the client commands
#
# Everything lives in a state directory (DENSECELL_SLURM_DIR, default /tmp/densecell-slurm): its
# own munge key and socket, slurm.conf, spool, logs and pid files, so nothing under /etc is
# touched. The client commands (sbatch, squeue, sinfo) find this cluster through
#   export SLURM_CONF=/tmp/densecell-slurm/slurm.conf
# The node gets the CPUs and memory `slurmd -C` reports for this machine. Ports:
# DENSECELL_SLURM_PORT (slurmctld, default 6817) and the next one (slurmd). Jobs run as the
# submitting user, which needs the daemons to run as root (as CI does); as another user the
# cluster runs jobs of that user only.
set -euo pipefail

STATE=${DENSECELL_SLURM_DIR:-/tmp/densecell-slurm}
PORT=${DENSECELL_SLURM_PORT:-6817}
CONF=$STATE/slurm.conf
SOCKET=$STATE/munge/munge.socket
export SLURM_CONF=$CONF

say() { echo "slurm-local: $*" >&2; }
die() { say "$*"; exit 1; }

# The pid in FILE when that process is alive.
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

need() {
    for tool in munged mungekey slurmctld slurmd sinfo scontrol; do
        command -v "$tool" >/dev/null || die "$tool not found: install slurm-wlm and munge (make deps)"
    done
}

write_config() {
    local user node hardware
    user=$(id -un)
    node=$(hostname -s)
    # "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105"
    hardware=$(slurmd -C | head -n 1 | sed -e "s/^NodeName=[^ ]*//")
    mkdir -p "$STATE/ctld" "$STATE/spool" "$STATE/munge"
    cat > "$CONF.tmp" <<EOF
# Written by scripts/slurm-local.sh: a one-node cluster on localhost.
ClusterName=densecell-local
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
LaunchParameters=use_interactive_step
MpiDefault=none
SchedulerType=sched/backfill
# Start dependent jobs (a merge after its array) within seconds, not at the next 30 s pass.
SchedulerParameters=bf_interval=1,sched_min_interval=100000
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=$node NodeAddr=127.0.0.1$hardware State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
    mv "$CONF.tmp" "$CONF"
}

start_munge() {
    if alive "$STATE/munge/munged.pid"; then return; fi
    [ -s "$STATE/munge/munge.key" ] || mungekey --create --keyfile="$STATE/munge/munge.key" 2>/dev/null
    chmod 700 "$STATE/munge"
    chmod 600 "$STATE/munge/munge.key"
    munged --force --socket="$SOCKET" --key-file="$STATE/munge/munge.key" --pid-file="$STATE/munge/munged.pid" \
        --log-file="$STATE/munge/munged.log" --seed-file="$STATE/munge/munged.seed" </dev/null >/dev/null 2>&1 \
        || die "munged did not start (see $STATE/munge/munged.log)"
}

node_state() { sinfo --noheader --format=%T 2>/dev/null | head -n 1 | tr -d '*~#'; }

start() {
    need
    if alive "$STATE/munge/munged.pid" && alive "$STATE/slurmctld.pid" && alive "$STATE/slurmd.pid"; then
        say "already running (SLURM_CONF=$CONF)"
        return 0
    fi
    write_config
    start_munge
    # The daemons log to files: their standard streams go nowhere, so a caller reading this
    # script's output to its end is not held open by them.
    alive "$STATE/slurmctld.pid" || slurmctld -f "$CONF" -i </dev/null >/dev/null 2>&1 || die "slurmctld did not start (see $STATE/slurmctld.log)"
    alive "$STATE/slurmd.pid" || slurmd -f "$CONF" -N "$(hostname -s)" </dev/null >/dev/null 2>&1 || die "slurmd did not start (see $STATE/slurmd.log)"
    # Wait until the controller answers and the node takes jobs.
    local state=""
    for _ in $(seq 1 60); do
        state=$(node_state || true)
        case "$state" in
            idle|mixed|allocated) say "running: node $(hostname -s) $state (export SLURM_CONF=$CONF)"; return 0 ;;
            down|drained|draining|fail)
                scontrol update NodeName="$(hostname -s)" State=RESUME >/dev/null 2>&1 || true ;;
        esac
        sleep 1
    done
    die "the node did not become idle (state '${state:-no answer}'); see $STATE/slurmctld.log and $STATE/slurmd.log"
}

# Stops the daemon whose pid FILE names (only a daemon `start` started has one): SIGTERM, then
# SIGKILL if it has not exited after 10 s, so that `stop` always returns with it gone.
stop_one() {
    local name=$1 pidfile=$2
    if alive "$pidfile"; then
        local pid
        pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
            say "killed $name (it did not exit on SIGTERM)"
        else
            say "stopped $name"
        fi
    fi
    rm -f "$pidfile"
}

# slurmd first (it ends the job steps it runs), then the controller, then munge they both use.
stop() {
    stop_one slurmd "$STATE/slurmd.pid"
    stop_one slurmctld "$STATE/slurmctld.pid"
    stop_one munged "$STATE/munge/munged.pid"
}

status() {
    if alive "$STATE/slurmctld.pid" && alive "$STATE/slurmd.pid" && sinfo >/dev/null 2>&1; then
        sinfo
        echo "export SLURM_CONF=$CONF"
        return 0
    fi
    say "not running (state directory $STATE)"
    return 1
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) echo "export SLURM_CONF=$CONF" ;;
    *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
