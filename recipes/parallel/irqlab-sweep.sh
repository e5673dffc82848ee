#!/bin/bash
# A sweep over a few machines with GNU parallel: one shard per job slot, over ssh.
#
#   irqlab sweep plan grid.json -o plan.json
#   recipes/parallel/irqlab-sweep.sh plan.json results 8 host1,host2     # 8 shards on two hosts
#   recipes/parallel/irqlab-sweep.sh plan.json results 2 :               # ":" = this machine
#   irqlab sweep merge results --plan plan.json -o results.jsonl
#
# PLAN and RESULTS must be at the same path on every host (a shared file system) and irqlab
# on each host's PATH (or IRQLAB=/path/to/irqlab). Each shard writes its own result file;
# parallel --retries reruns a shard that exited 75 (retry me); a rerun skips finished cells.
set -eu
PLAN=${1:?plan file}
RESULTS=${2:?results directory}
SHARDS=${3:?number of shards}
HOSTS=${4:-:}
IRQLAB=${IRQLAB:-irqlab}
mkdir -p "$RESULTS"
seq 0 $((SHARDS - 1)) | parallel --will-cite -S "$HOSTS" --retries 3 --halt now,fail=1 -j 1 \
  "$IRQLAB" sweep run "$PLAN" --shard "{}/$SHARDS" --out "$RESULTS"
