#!/bin/sh
# Records COUNT random scenarios per FAMILY with QEMU 7.2 (apt-get install qemu-system-ppc),
# sequentially (one QEMU at a time), into OUT/FAMILY-SEED.jsonl; then replay them with
#   node packages/cli/dist/bin.js replay --summary OUT
# Usage: packages/cli/oracle/record.sh [OUT=/tmp/irqlab-oracle] [COUNT=200] [STEPS=400] [FAMILIES="mpic20 mpic42 xics xive"]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
driver="${IRQLAB_ORACLE:-$root/../shared/oracle/qemu/qtest_oracle.py}"
[ -f "$driver" ] || driver=/work/shared/oracle/qemu/qtest_oracle.py
out="${1:-/tmp/irqlab-oracle}"
count="${2:-200}"
steps="${3:-400}"
families="${4:-mpic20 mpic42 xics xive}"
mkdir -p "$out/scenarios"
for fam in $families; do
  seed=1
  while [ "$seed" -le "$count" ]; do
    name="$fam-$seed"
    if [ ! -s "$out/$name.jsonl" ]; then
      node "$here/gen-scenario.mjs" "$fam" "$seed" "$steps" > "$out/scenarios/$name.qts"
      python3 "$driver" -o "$out/$name.jsonl" "$out/scenarios/$name.qts" > /dev/null
    fi
    seed=$((seed + 1))
  done
  echo "$fam: $count traces in $out"
done
