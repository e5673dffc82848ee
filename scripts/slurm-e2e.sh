#!/bin/bash
# End-to-end check of the sweep recipes on a real single-node Slurm (Debian's slurm-wlm +
# munge) and on GNU parallel: plan a grid, run it as a Slurm array with the shipped batch
# script, merge, and compare byte for byte with the same plan run on one machine and with
# GNU parallel (-S :). Starts every daemon in a temporary directory and stops them on exit.
#
#   scripts/slurm-e2e.sh [CELLS_GRID_JSON]      needs root; installs the packages if missing
#
# Prints the timings; exits 0 when all three results are identical.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin="$repo/packages/cli/dist/bin.js"
[ -f "$bin" ] || { echo "slurm-e2e: build first (pnpm build)" >&2; exit 2; }
if ! command -v sbatch >/dev/null || ! command -v munged >/dev/null || ! command -v parallel >/dev/null; then
  [ "$(id -u)" -eq 0 ] || { echo "slurm-e2e: needs root to install slurm-wlm, munge and parallel" >&2; exit 2; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq slurm-wlm munge parallel >/dev/null
fi

work=$(mktemp -d /tmp/irqlab-slurm-XXXXXX)
pids=()
cleanup() {
  set +e
  [ -n "${SLURM_CONF:-}" ] && scancel --quiet --jobname=irqlab-sweep 2>/dev/null
  for f in "$work"/slurmd.pid "$work"/slurmctld.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  [ -f "$work/munged.pid" ] && kill "$(cat "$work/munged.pid")" 2>/dev/null
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT

host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$work"/{state,spool,log,munge}
# munge: a key and a socket of our own, so nothing outside this directory is touched.
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket" \
  --pid-file="$work/munged.pid" --log-file="$work/log/munged.log" --seed-file="$work/munge/seed"
port=$((17000 + RANDOM % 2000))
cat > "$work/slurm.conf" <<CONF
ClusterName=irqlabe2e
SlurmctldHost=$host
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=e2e Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
slurmctld
slurmd
for _ in $(seq 1 30); do sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed" && break; sleep 1; done

grid="${1:-}"
if [ -z "$grid" ]; then
  grid="$work/grid.json"
  # 5 controllers x 5 rates x 2 vCPU counts x 4 seeds = 200 cells.
  cat > "$grid" <<GRID
{ "workload": "default", "controllers": ["xics", "mpic-2.0", "mpic-4.2", "flic", "xive"],
  "axes": { "rate": [0.5, 1, 2, 4, 8], "vcpus": [2, 4], "seed": [1, 2, 3, 4], "duration": ["500us"] } }
GRID
fi
cd "$work"
[ "$grid" = "$work/grid.json" ] || cp "$grid" "$work/grid.json"
ln -s "$repo/recipes" "$work/recipes"
# The README's blocks, run as they stand: `irqlab` is this checkout's CLI.
block() { awk -v m="<!-- e2e:$1" 'index($0, m) == 1 { on = 1; next } on && /^```sh/ { inb = 1; next } inb && /^```/ { exit } inb { print }' "$repo/recipes/README.md"; }
export IRQLAB_BIN="$bin"
irqlab() { node "$IRQLAB_BIN" "$@"; }
export -f irqlab
export IRQLAB="node $bin"
[ -n "$(block slurm)" ] && [ -n "$(block parallel)" ] || { echo "slurm-e2e: README blocks not found" >&2; exit 1; }

t0=$(date +%s.%N)
bash -euo pipefail -c "$(block slurm)"
t1=$(date +%s.%N)
cells=$(node -e 'console.log(JSON.parse(require("fs").readFileSync("plan.json","utf8")).cells.length)')
mv results.jsonl slurm.jsonl
t2=$(date +%s.%N)
node "$bin" sweep grid.json -o one.jsonl --no-progress >/dev/null 2>&1
t3=$(date +%s.%N)
bash -euo pipefail -c "$(block parallel)" >/dev/null 2>&1
t4=$(date +%s.%N)
files=$(ls results | wc -l)
secs() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }
cmp slurm.jsonl one.jsonl
cmp parallel.jsonl one.jsonl
printf 'slurm-e2e: %s cells; Slurm array (8 tasks, %%4 throttle, %s result files) %.1f s; one machine (irqlab sweep grid.json) %.1f s; GNU parallel (4 shards, -S :) %.1f s; merged results byte-identical (%s bytes, sha256 %s)\n' \
  "$cells" "$files" "$(secs "$t0" "$t1")" "$(secs "$t2" "$t3")" "$(secs "$t3" "$t4")" "$(wc -c < one.jsonl)" "$(sha256sum one.jsonl | cut -c1-16)"
