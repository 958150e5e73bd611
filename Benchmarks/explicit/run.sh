#!/usr/bin/env bash
# Explicit-engine benchmark: exhaustive UIC searches, release build.
# Prints, per model: distinct states, transitions, median wall seconds over
# REPEAT runs, states per second, and peak resident memory.
#   bash Benchmarks/explicit/run.sh            # the issue's models
#   REPEAT=5 bash Benchmarks/explicit/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bash .ci/setup
swift build -c release >/dev/null
PALS=.build/release/pals
REPEAT=${REPEAT:-3}
OUT=$(mktemp -d)
models=(
  "uic --n 4 --t 1"
  "uic --n 5 --t 2"
  "uic --n 5 --t 2 --threads 1"
  "uic --n 5 --t 2 --symmetry"
  "uic --n 6 --t 2 --symmetry"
  "uic --n 6 --t 2"
  "uic --n 6 --t 3 --symmetry --first"
  "uic --n 5 --t 3 --symmetry"
  "floodset --n 5 --t 2 --faults crash"
)
[ -n "${MODELS:-}" ] && IFS=';' read -r -a models <<< "$MODELS"
printf '%-40s %12s %14s %10s %14s %10s\n' model states transitions median_s states_per_s peak_MB
for m in "${models[@]}"; do
  times=()
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f '%e %M' -o "$OUT/time" $PALS check $m --json --out "$OUT" > "$OUT/json" 2>/dev/null || true
    times+=("$(tail -1 "$OUT/time" | cut -d' ' -f1)")
    mem=$(tail -1 "$OUT/time" | cut -d' ' -f2)
  done
  median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  states=$(grep -o '"states":[0-9]*' "$OUT/json" | cut -d: -f2)
  transitions=$(grep -o '"transitions":[0-9]*' "$OUT/json" | cut -d: -f2)
  rate=$(awk -v s="$states" -v t="$median" 'BEGIN { if (t > 0) printf "%.0f", s / t; else print "-" }')
  printf '%-40s %12s %14s %10s %14s %10s\n' "$m" "$states" "$transitions" "$median" "$rate" "$((mem / 1024))"
done
rm -rf "$OUT"
