#!/bin/sh
# Parameter study helper: one run of bench/nab/run.ts per JSON argument (each into its own
# /tmp directory), printing "standard / low FP / low FN  params" per line.
#   sh bench/nab/sweep.sh '{"rest":50}' '{"rest":200}'
i=0
for p in "$@"; do
  i=$((i + 1))
  out=/tmp/nab-sweep-$$-$i
  line=$(node --import tsx bench/nab/run.ts --data /work/shared/nab/data --out "$out" --params "$p" | tail -1)
  echo "$line" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print("%6.2f / %6.2f / %6.2f  " % (d["standard"], d["reward_low_FP_rate"], d["reward_low_FN_rate"]) + sys.argv[1])' "$p"
  rm -rf "$out"
done
