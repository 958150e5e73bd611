#!/usr/bin/env bash
# Function modules (issue 12): the cost of loading and validating a module,
# of one evaluation (Wasm sum vs the built-in sum, with and without fuel
# metering), and of a whole SMC instance over TCP at n = 4 with F = sum as a
# built-in and as sum.wasm.
#   REPEAT=5 bash Benchmarks/functions/run.sh
# Each figure is a median over REPEAT repetitions; CPU seconds (user + sys,
# /usr/bin/time) are given next to the wall time, the machine being shared.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPEAT="${REPEAT:-5}"
RUNS="${RUNS:-300}"
[ -x .build/release/pals ] && [ "${SKIP_BUILD:-}" = 1 ] || swift build -c release --product pals >/dev/null
P=.build/release/pals
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo '{"faulty":[]}' > "$tmp/none.json"

echo "## One evaluation (n = 4, a third of the entries ⊥; µs, median of $REPEAT rounds of 2000)"
echo
echo "| module | load + validate | Wasm, fuel | Wasm, no fuel | Wasm, memoized | built-in |"
echo "|---|---:|---:|---:|---:|---:|"
for f in sum auction identity; do
  $P function bench "examples/functions/$f.wasm" --builtin "$f" --n 4 --iterations 2000 --rounds "$REPEAT" > "$tmp/bench.json"
  python3 - "$f" "$tmp/bench.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[2]))
print(f"| {sys.argv[1]}.wasm | {j['loadMicroseconds']:.0f} | {j['evaluateMicroseconds']:.1f} | {j['evaluateUnmeteredMicroseconds']:.1f} "
      f"| {j['memoizedMicroseconds']:.2f} | {j['builtInMicroseconds']:.3f} |")
PY
done

echo
echo "## A whole SMC instance over TCP, n = 4, t = 1, failure-free ($RUNS runs per campaign, median of $REPEAT campaigns)"
echo
echo "| F | median run | p99 run | runs/s | CPU s per campaign (user+sys) |"
echo "|---|---:|---:|---:|---:|"
for f in sum examples/functions/sum.wasm; do
  for k in $(seq "$REPEAT"); do
    /usr/bin/time -f "%U %S" -o "$tmp/time-$k" \
      $P campaign smc --function "$f" --n 4 --t 1 --runs "$RUNS" --seed 1 --transport tcp --adversary "$tmp/none.json" --json > "$tmp/out-$k.json"
  done
  python3 - "$f" "$tmp" "$REPEAT" <<'PY'
import json, statistics, sys
name, tmp, rep = sys.argv[1], sys.argv[2], int(sys.argv[3])
rs = [json.load(open(f"{tmp}/out-{k}.json")) for k in range(1, rep + 1)]
cpu = [sum(map(float, open(f"{tmp}/time-{k}").read().split()[-2:])) for k in range(1, rep + 1)]
med = lambda f: statistics.median(f(r) for r in rs)
bad = sum(r["violations"] + r["disagreements"] + r["outsideModel"] for r in rs)
assert bad == 0, f"{name}: {bad} violations/disagreements"
print(f"| {name} | {med(lambda r: r['runMicroseconds']['median']):.0f} µs | {med(lambda r: r['runMicroseconds']['p99']):.0f} µs "
      f"| {med(lambda r: r['runsPerSecond']):.0f} | {statistics.median(cpu):.2f} |")
PY
done
