#!/usr/bin/env bash
# SMC / fair-exchange benchmark, release build: wall-clock seconds (median of
# REPEAT runs, default 3) of
#   - the exact worst-case unfairness (`pals fairness`) as n and M grow,
#   - the noninterference checks (`pals unobservability`), explicit engine
#     (product of the runs) and symbolic engine (self-composition), as n grows,
#   - the symbolic check of SMC's properties at n = 6, 7 (every faulty set).
# Each line prints the exact command, the answer and the median.
# Usage:
#   bash Benchmarks/smc/run.sh
#   REPEAT=5 bash Benchmarks/smc/run.sh
#   QUICK=1 bash Benchmarks/smc/run.sh      # skip the slow cells (n = 7 symbolic, (4,2) explicit)
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH=${SCRATCH:-.build}
swift build -c release --scratch-path "$SCRATCH" >/dev/null
PALS=$SCRATCH/release/pals
REPEAT=${REPEAT:-3}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); median of $REPEAT runs"

# bench KEY ARGS...: runs `pals ARGS --json --out $OUT/cx` REPEAT times; prints
# the median wall time and the answer picked by KEY (a python expression on d).
bench() {
  local key=$1; shift
  local times=()
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f '%e' -o "$OUT/time" "$PALS" "$@" --json --out "$OUT/cx" > "$OUT/out.json" 2>/dev/null || true
    times+=("$(tail -1 "$OUT/time")")
  done
  local answer
  answer=$(python3 -c "import json,sys; d=json.load(open('$OUT/out.json')); print($key)" 2>/dev/null || echo "?")
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-72s %-28s %8s\n' "pals $*" "$answer" "$median"
}

printf '%-72s %-28s %8s\n' "# command" "answer" "median s"
echo "## exact worst-case unfairness (fake rounds), as M grows"
for M in 2 4 8 16 32; do bench "d['probability']+' '+str(d['states'])+' states'" fairness --n 2 --t 1 --M $M; done
for M in 2 4 8 16; do bench "d['probability']+' '+str(d['states'])+' states'" fairness --n 3 --t 1 --M $M; done
echo "## exact worst-case unfairness, as n grows (M = 4)"
for nt in "2 1" "3 1" "3 2" "4 1" "4 2" "4 3" "5 1" "5 2"; do
  set -- $nt
  bench "d['probability']+' '+str(d['states'])+' states'" fairness --n $1 --t $2 --M 4
done
echo "## deterministic mode (0 or 1)"
bench "d['probability']+' '+d['engine']" fairness --n 4 --t 1 --mode deterministic --engine explicit
bench "d['probability']+' '+d['engine']" fairness --n 5 --t 2 --mode deterministic
echo "## unobservability, explicit engine (product of the runs)"
for nt in "3 1" "4 1" "3 2"; do
  set -- $nt
  bench "d['verdict']+' '+str(d['properties'][0]['states'])+' states'" unobservability smc --n $1 --t $2
  bench "d['verdict']" unobservability smc --function sum-unpadded --n $1 --t $2
done
[ -n "${QUICK:-}" ] || bench "d['verdict']+' '+str(d['properties'][0]['states'])+' states'" unobservability smc --n 4 --t 2
for M in 2 4 8; do
  bench "d['verdict']+' '+str(d['properties'][0]['states'])+' states'" unobservability fair-exchange --n 3 --t 1 --M $M
  bench "d['verdict']" unobservability fair-exchange --mode fake-rounds-leaky --n 3 --t 1 --M $M
done
bench "d['verdict']+' '+str(d['properties'][0]['states'])+' states'" unobservability fair-exchange --n 4 --t 2 --M 4
echo "## unobservability, symbolic engine (self-composition)"
for nt in "3 1" "5 2" "7 3" "9 4"; do
  set -- $nt
  bench "d['verdict']" unobservability smc --n $1 --t $2 --engine symbolic
  bench "d['verdict']" unobservability smc --function sum-unpadded --n $1 --t $2 --engine symbolic
done
for nt in "3 1" "5 2"; do
  set -- $nt
  bench "d['verdict']" unobservability fair-exchange --n $1 --t $2 --M 8 --engine symbolic
  bench "d['verdict']" unobservability fair-exchange --mode fake-rounds-leaky --n $1 --t $2 --M 8 --engine symbolic
done
echo "## SMC properties, symbolic engine (every faulty set)"
for f in sum max majority auction identity; do
  bench "d['verdict']" check smc --function $f --n 6 --t 2 --engine symbolic
  bench "d['verdict']" check smc --function $f --n 6 --t 3 --engine symbolic
done
if [ -z "${QUICK:-}" ]; then
  for f in majority sum; do bench "d['verdict']" check smc --function $f --n 7 --t 3 --engine symbolic; done
fi
