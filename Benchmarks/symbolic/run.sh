#!/usr/bin/env bash
# Symbolic-engine (Z3) benchmark, release build. One line per cell:
#   - the UIC resilience table n = 2…10, every t (`pals bounds … --engine symbolic`,
#     which stops a cell at its first violated property);
#   - UIC (11,5) and (13,6), every property (`pals check … --engine symbolic`);
#   - FloodSet under crash faults, 1 ≤ t < n ≤ 7: t+1 rounds (holds) and
#     t rounds (violated when n ≥ t+2).
# Usage:
#   bash Benchmarks/symbolic/run.sh
#   SKIP_11=1 bash Benchmarks/symbolic/run.sh      # without the (11,5) cell
#   SKIP_13=1 bash Benchmarks/symbolic/run.sh      # without the (13,6) cell (about 3 minutes)
#   PALS=path/to/pals bash Benchmarks/symbolic/run.sh   # a built binary, no build
#   NMAX=8 bash Benchmarks/symbolic/run.sh         # a smaller UIC table
#   SCRATCH=.build-bench bash Benchmarks/symbolic/run.sh   # another build folder
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH=${SCRATCH:-.build}
if [ -z "${PALS:-}" ]; then
  swift build -c release --scratch-path "$SCRATCH" >/dev/null
  PALS=$SCRATCH/release/pals
fi
NMAX=${NMAX:-10}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1); z3 via $PALS"

echo "# UIC resilience table: $PALS bounds uic --n 2...$NMAX --engine symbolic --json"
status=0
/usr/bin/time -f '%e' -o "$OUT/time" $PALS bounds uic --n "2...$NMAX" --engine symbolic --json --out "$OUT/cx" \
  > "$OUT/bounds.json" 2>/dev/null || status=$?
python3 - "$OUT/bounds.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"{'cell':<22} {'expected':<9} {'verdict':<9} {'seconds':>9}  violated")
for c in d["cells"]:
    expected = "holds" if 2 * c["t"] < c["n"] else "violated"
    mark = "" if c["verdict"] == expected else "  <-- differs from t < n/2"
    print(f"uic n={c['n']:<2} t={c['t']:<2}          {expected:<9} {c['verdict']:<9} {c['seconds']:>9.3f}  "
          f"{','.join(c['violated']) or '-'}{mark}")
print(f"table total {d['seconds']:.3f} s, z3 {d['solver']['version']}")
PY
echo "# (exit status $status, wall $(tail -1 "$OUT/time") s)"

for cell in "11 5" "13 6"; do
  cn=${cell% *}; ct=${cell#* }
  skip=SKIP_$cn
  if [ -n "${!skip:-}" ]; then continue; fi
  echo "# UIC ($cn,$ct): $PALS check uic --n $cn --t $ct --engine symbolic --json"
  status=0
  /usr/bin/time -f '%e %M' -o "$OUT/time" $PALS check uic --n "$cn" --t "$ct" --engine symbolic --json --out "$OUT/cx" \
    > "$OUT/check.json" 2>/dev/null || status=$?
  python3 - "$OUT/check.json" "$(tail -1 "$OUT/time")" "$cn" "$ct" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
wall, kb = sys.argv[2].split()
props = ", ".join(f"{p['name']} {p['status']} {p['seconds']:.1f}s" for p in d["properties"])
print(f"uic n={sys.argv[3]} t={sys.argv[4]}          holds     {d['verdict']:<9} {d['seconds']:>9.3f}  wall {wall} s, peak {int(kb)//1024} MB; {props}")
PY
  echo "# (exit status $status)"
done

echo "# FloodSet, crash faults: $PALS check floodset --n N --t T --rounds R --faults crash --engine symbolic --json"
for n in 2 3 4 5 6 7; do
  for ((t = 1; t < n; t++)); do
    for r in $((t + 1)) $t; do
      if [ "$r" -eq "$t" ] && [ "$n" -lt $((t + 2)) ]; then continue; fi
      expected=$([ "$r" -eq $((t + 1)) ] && echo holds || echo violated)
      $PALS check floodset --n $n --t $t --rounds $r --faults crash --engine symbolic --json --out "$OUT/cx" \
        > "$OUT/fs.json" 2>/dev/null || true
      python3 - "$OUT/fs.json" "$n" "$t" "$r" "$expected" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n, t, r, expected = sys.argv[2:6]
mark = "" if d["verdict"] == expected else "  <-- unexpected"
print(f"floodset n={n:<2} t={t:<2} r={r:<2}  {expected:<9} {d['verdict']:<9} {d['seconds']:>9.3f}{mark}")
PY
    done
  done
done
