#!/usr/bin/env bash
# Time of one explorer step (GET /api/view: simulate, properties, diagram,
# next round's choices) at n = 4 and n = 8, every round of a run with faults,
# REPEAT requests each; prints the median and the largest per n.
# Usage: REPEAT=50 bash Benchmarks/explorer/run.sh   (after swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPEAT=${REPEAT:-50}
pals=.build/release/pals
out=$(mktemp)
$pals explore >"$out" 2>/dev/null &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q http "$out" && break; sleep 0.1; done
base=$(grep -o 'http://[0-9.:]*/' "$out")
step() { # n t faulty drops rounds
  local n=$1 t=$2 f=$3 d=$4 rounds=$5
  for k in $(seq 0 "$rounds"); do
    for _ in $(seq "$REPEAT"); do
      curl -s -o /dev/null -w '%{time_total}\n' "${base}api/view?p=uic&v=standard&n=$n&t=$t&in=&f=$f&c=&d=$d&k=$k"
    done
  done
}
report() { sort -n | awk -v label="$1" '{a[NR]=$1} END {printf "%s: %d steps, median %.1f ms, max %.1f ms\n", label, NR, a[int((NR+1)/2)]*1000, a[NR]*1000}'; }
step 4 1 0 "1:0>1,1:0>2,2:0>3" 2 | report "uic n=4 t=1"
step 8 3 0,1,2 "1:0>3,1:0>4,2:1>5,2:1>6,3:2>7,3:2>3,4:0>5" 4 | report "uic n=8 t=3"
