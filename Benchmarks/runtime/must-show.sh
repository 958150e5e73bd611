#!/usr/bin/env bash
# The runs issue 10 asks for, over real peer processes on loopback (mutual
# TLS, the synchronized schedule):
#   pals cluster uic --n 4 --t 1 --kill 3 --kill-after X   X = 0, 10, …, 200 ms, RUNS runs each
#   pals cluster uic --n 5 --t 2 --adversary F             RUNS runs
# with F = {"faulty":[1],"crashes":[{"process":1,"round":1}],"drops":[]}.
# A run passes when every correct peer decided, all decided the same vector,
# and the oracle says conforms.
#   RUNS=20 [RUNS_KILL=…] [PALS=path/to/pals] bash Benchmarks/runtime/must-show.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
RUNS="${RUNS:-20}"
RUNS_KILL="${RUNS_KILL:-$RUNS}"
P="${PALS:-.build/release/pals}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo '{"faulty":[1],"crashes":[{"process":1,"round":1}],"drops":[]}' > "$tmp/F.json"

check() {  # $1 = json file, $2 = comma-separated correct peers
  python3 - "$1" "$2" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception as e:
    print("no-json"); sys.exit(0)
correct = [int(x) for x in sys.argv[2].split(",")]
rs = j["results"]
ds = [rs[i] for i in correct]
ok = all(d is not None and d["decided"] for d in ds) and len({json.dumps(d["value"]) for d in ds}) == 1
print("ok" if ok and j["oracle"]["verdict"] == "conforms" else f"FAIL verdict={j['oracle']['verdict']} results={rs}")
PY
}

total=0; pass=0
for X in $(seq 0 10 200); do
  good=0
  for k in $(seq "$RUNS_KILL"); do
    $P cluster uic --n 4 --t 1 --kill 3 --kill-after "$X" --json > "$tmp/out.json" 2> "$tmp/err.txt"
    r=$(check "$tmp/out.json" 0,1,2)
    total=$((total + 1))
    if [ "$r" = ok ]; then good=$((good + 1)); pass=$((pass + 1)); else echo "kill-after $X run $k: $r"; cat "$tmp/err.txt"; fi
  done
  echo "| --kill 3 --kill-after $X | $good / $RUNS_KILL |"
done
good=0
for k in $(seq "$RUNS"); do
  $P cluster uic --n 5 --t 2 --adversary "$tmp/F.json" --json > "$tmp/out.json" 2> "$tmp/err.txt"
  r=$(check "$tmp/out.json" 0,2,3,4)
  total=$((total + 1))
  if [ "$r" = ok ]; then good=$((good + 1)); pass=$((pass + 1)); else echo "adversary F run $k: $r"; cat "$tmp/err.txt"; fi
done
echo "| --n 5 --t 2 --adversary F | $good / $RUNS |"
echo "passed $pass of $total runs"
