#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine, for the SLURM workflow test and for trying
# the cluster profile by hand (Debian 12, as root, no systemd and no cgroups needed).
#
#   tools/slurm_local.sh start    install slurmctld/slurmd/munge if missing, write slurm.conf,
#                                 start munged, slurmctld and slurmd, wait for the node
#   tools/slurm_local.sh stop     stop the three daemons (by their PID files)
#   tools/slurm_local.sh status   print sinfo
#
#   SLURM_LOCAL_CPUS=8 tools/slurm_local.sh start
#                                 declare more CPUs than the machine has (SlurmdParameters=
#                                 config_overrides): the test oversubscribes its 2 cores so that
#                                 many short jobs overlap their scheduling latency
#
# No accounting database: Snakemake must ask squeue for job states
# (--slurm-status-command squeue, set in workflow/profiles/slurm-local). Finished jobs stay
# visible to squeue for MinJobAge seconds. A slurm.conf that this script did not write is never
# overwritten: an existing cluster is used as it is.
set -euo pipefail

log() { printf '[slurm-local] %s\n' "$*"; }
CONF=/etc/slurm/slurm.conf
MARK="# written by holobiont tools/slurm_local.sh"

node_state() { sinfo -h -N -o '%t' 2>/dev/null | head -1; }

start() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "tools/slurm_local.sh start needs root (it starts system daemons)" >&2
    exit 1
  fi
  local missing=()
  for cmd in slurmctld slurmd sinfo munged; do
    command -v "$cmd" >/dev/null 2>&1 || [[ -x /usr/sbin/$cmd ]] || missing+=("$cmd")
  done
  if (( ${#missing[@]} )); then
    log "installing slurmctld slurmd slurm-client munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
  fi
  local node cpus mem
  node=$(hostname -s)
  cpus=${SLURM_LOCAL_CPUS:-$(nproc)}
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
  case "$(node_state)" in
    idle|mix|alloc)
      if ! grep -qF "$MARK" "$CONF" 2>/dev/null; then
        log "a SLURM cluster not set up by this script is up; using it as it is"
        return 0
      elif grep -q "^NodeName=$node .* CPUs=$cpus " "$CONF"; then
        log "already up: node $node, $cpus CPUs"
        return 0
      fi
      log "restarting with $cpus CPUs"
      stop_all
      ;;
  esac
  getent hosts "$node" >/dev/null || echo "127.0.0.1 $node" >> /etc/hosts

  # munge: key owned by munge, daemon run as munge
  mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
  chmod 0700 /etc/munge /var/log/munge
  [[ -s /etc/munge/munge.key ]] || head -c 1024 /dev/urandom > /etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
  if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged
  fi
  for _ in $(seq 100); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done

  mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm
  if [[ ! -f $CONF ]] || grep -qF "$MARK" "$CONF"; then
    cat > "$CONF" <<EOF
$MARK
ClusterName=holobiont-local
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmdParameters=config_overrides
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=600
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  fi
  [[ -s /run/slurm/slurmctld.pid ]] && kill -0 "$(cat /run/slurm/slurmctld.pid)" 2>/dev/null \
    || /usr/sbin/slurmctld
  [[ -s /run/slurm/slurmd.pid ]] && kill -0 "$(cat /run/slurm/slurmd.pid)" 2>/dev/null \
    || /usr/sbin/slurmd
  for _ in $(seq 300); do
    [[ "$(node_state)" == idle ]] && break
    sleep 0.2
  done
  if [[ "$(node_state)" != idle ]]; then
    echo "SLURM did not come up; see /var/log/slurm/slurmctld.log and slurmd.log" >&2
    exit 1
  fi
  log "up: node $node, $cpus CPUs, ${mem} MB, partition debug"
}

stop_pid() {
  local name=$1 pidfile=$2 pid
  [[ -s $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "stopped $name"
  fi
  rm -f "$pidfile"
}

stop_all() {
  stop_pid slurmd /run/slurm/slurmd.pid
  stop_pid slurmctld /run/slurm/slurmctld.pid
}

case "${1:-}" in
  start) start ;;
  stop)
    stop_all
    stop_pid munged /run/munge/munged.pid
    ;;
  status) sinfo ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
