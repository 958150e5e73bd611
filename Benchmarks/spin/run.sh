#!/usr/bin/env bash
# Side by side: `pals check uic` (explicit engine, every faulty set) against
# SPIN's pan on the same round-level search (Benchmarks/spin/uic.pml), run
# alternately in one run so that both see the same machine load.
#
#   bash Benchmarks/spin/run.sh                       # UIC (5,2), 5 repeats
#   PALS=path/to/pals REPEAT=5 MODELS="4 1;5 2;6 2" bash Benchmarks/spin/run.sh
#
# PALS        the pals binary; default .build/release/pals, built here
# REPEAT      runs of each tool per model (default 5), alternating pals, pals
#             --no-symmetry, pan
# MODELS      "N T" or "N T W" separated by ';' (default "5 2"); W sets pan's
#             hash table to 2^W slots for that model (default 24)
# SPIN_CFLAGS pan's compile flags (default -O2 -DSAFETY -DNOREDUCE -DNOCOMP
#             -DMEMLIM=8192: safety only, no partial-order reduction, no state
#             compression, an 8 GB memory limit)
# SPIN        the spin executable (default spin)
# PAN_FLAGS   pan's run-time flags besides -w (default -m10000: search depth)
#
# Two pals searches per model, each a row against the same pan runs:
# `check` as a user runs it (reduced by process symmetry, which pan does not
# have: fewer states, the same verdicts) and `check --no-symmetry`, the full
# search that stores exactly pan's states. Per row: median wall seconds of
# each (process start included), their ratio, median CPU seconds (user + sys;
# pals runs 2 worker threads, pan 1) and their ratio, the states each stores,
# peak resident memory (/usr/bin/time), pan's compile time (spin -a and gcc,
# not in the ratio) and both verdicts. Exits 1 if a verdict differs from
# pan's. Without `spin` (or a C compiler) only pals runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
if [ -z "${PALS:-}" ]; then
  bash .ci/setup
  swift build -c release >/dev/null
  PALS=.build/release/pals
fi
case "$PALS" in /*) ;; *) PALS="$ROOT/$PALS" ;; esac
[ -x "$PALS" ] || { echo "run.sh: no pals binary at $PALS" >&2; exit 2; }
REPEAT=${REPEAT:-5}
SPIN_CFLAGS=${SPIN_CFLAGS:--O2 -DSAFETY -DNOREDUCE -DNOCOMP -DMEMLIM=8192}
PAN_FLAGS=${PAN_FLAGS:--m10000}
IFS=';' read -r -a models <<< "${MODELS:-5 2}"
CC=${CC:-gcc}
SPIN=${SPIN:-spin}
have_spin=1
if ! command -v "$SPIN" >/dev/null 2>&1; then
  echo "run.sh: $SPIN is not installed (apt-get install spin, or bash .ci/setup): running pals only" >&2
  have_spin=0
elif ! command -v "$CC" >/dev/null 2>&1; then
  echo "run.sh: no C compiler ($CC) to build pan: running pals only" >&2
  have_spin=0
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

[ "$have_spin" = 1 ] && echo "$("$SPIN" -V)" && echo "pan: $CC $SPIN_CFLAGS; ./pan $PAN_FLAGS -wW"
echo "pals: $PALS; $REPEAT runs of each, alternating"
FMT='%-7s %-15s %7s %7s %6s %8s %8s %6s %10s %10s %7s %7s %8s %-9s %-9s\n'
# shellcheck disable=SC2059
printf "$FMT" model pals_search pals_s pan_s ratio pals_cpu pan_cpu ratio pals_states pan_states pals_MB pan_MB pan_cc_s pals pan
status=0
for m in "${models[@]}"; do
  read -r n t w extra <<< "$m"
  w=${w:-24}
  if ! [[ "$n" =~ ^[0-9]+$ && "$t" =~ ^[0-9]+$ && "$w" =~ ^[0-9]+$ ]] || [ -n "$extra" ] || [ "$n" -gt 8 ]; then
    echo "run.sh: bad model \"$m\" in MODELS: expected \"N T\" or \"N T W\" with N ≤ 8" >&2
    exit 2
  fi
  dir="$OUT/n$n-t$t"
  mkdir -p "$dir"
  cc_s=-
  if [ "$have_spin" = 1 ]; then
    start=$(date +%s.%N)
    (cd "$dir" && "$SPIN" -DN="$n" -DT="$t" -a "$ROOT/Benchmarks/spin/uic.pml" >/dev/null \
      && $CC $SPIN_CFLAGS -w -o pan pan.c)
    cc_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  fi
  pals_times=()
  pals_cpus=()
  full_times=()
  full_cpus=()
  pan_times=()
  pan_cpus=()
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f '%e %U %S %M' -o "$dir/pals.time" \
      "$PALS" check uic --n "$n" --t "$t" --json --out "$dir" > "$dir/pals.json" 2>/dev/null || true
    pals_times+=("$(tail -1 "$dir/pals.time" | cut -d' ' -f1)")
    pals_cpus+=("$(tail -1 "$dir/pals.time" | awk '{ print $2 + $3 }')")
    pals_kb=$(tail -1 "$dir/pals.time" | cut -d' ' -f4)
    /usr/bin/time -f '%e %U %S %M' -o "$dir/full.time" \
      "$PALS" check uic --n "$n" --t "$t" --no-symmetry --json --out "$dir" > "$dir/full.json" 2>/dev/null || true
    full_times+=("$(tail -1 "$dir/full.time" | cut -d' ' -f1)")
    full_cpus+=("$(tail -1 "$dir/full.time" | awk '{ print $2 + $3 }')")
    full_kb=$(tail -1 "$dir/full.time" | cut -d' ' -f4)
    if [ "$have_spin" = 1 ]; then
      # shellcheck disable=SC2086
      (cd "$dir" && /usr/bin/time -f '%e %U %S %M' -o pan.time ./pan $PAN_FLAGS -w"$w" > pan.out 2>&1) || true
      pan_times+=("$(tail -1 "$dir/pan.time" | cut -d' ' -f1)")
      pan_cpus+=("$(tail -1 "$dir/pan.time" | awk '{ print $2 + $3 }')")
      pan_kb=$(tail -1 "$dir/pan.time" | cut -d' ' -f4)
    fi
  done
  pan_s=- pan_cpu=- pan_states=- pan_mb=- pan_verdict=-
  if [ "$have_spin" = 1 ]; then
    pan_s=$(printf '%s\n' "${pan_times[@]}" | median)
    pan_cpu=$(printf '%s\n' "${pan_cpus[@]}" | median)
    pan_states=$(awk '/states, stored/ { print $1 }' "$dir/pan.out")
    pan_mb=$((pan_kb / 1024))
    errors=$(grep -o 'errors: [0-9]*' "$dir/pan.out" | cut -d' ' -f2)
    if [ -z "$errors" ] || [ -z "$pan_states" ]; then
      pan_verdict=failed
      echo "run.sh: pan did not finish for n=$n t=$t:" >&2
      tail -5 "$dir/pan.out" >&2
    elif [ "$errors" = 0 ]; then
      pan_verdict=holds
    else
      pan_verdict=violated
    fi
    if grep -q 'search not completed\|max search depth too small' "$dir/pan.out"; then
      pan_verdict=incomplete
    fi
  fi
  # One row per pals search, both against the same pan runs.
  for search in default full; do
    if [ "$search" = default ]; then
      label=check json="$dir/pals.json" kb=$pals_kb
      s_med=$(printf '%s\n' "${pals_times[@]}" | median)
      c_med=$(printf '%s\n' "${pals_cpus[@]}" | median)
    else
      label=--no-symmetry json="$dir/full.json" kb=$full_kb
      s_med=$(printf '%s\n' "${full_times[@]}" | median)
      c_med=$(printf '%s\n' "${full_cpus[@]}" | median)
    fi
    states=$(grep -o '"states":[0-9]*' "$json" | cut -d: -f2)
    verdict=$(grep -o '"verdict":"[a-z]*"' "$json" | cut -d'"' -f4)
    ratio=- cpu_ratio=-
    if [ "$have_spin" = 1 ]; then
      ratio=$(awk -v a="$pan_s" -v b="$s_med" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')
      cpu_ratio=$(awk -v a="$pan_cpu" -v b="$c_med" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')
      [ "$pan_verdict" = "$verdict" ] || status=1
    fi
    # shellcheck disable=SC2059
    printf "$FMT" \
      "($n,$t)" "$label" "$s_med" "$pan_s" "$ratio" "$c_med" "$pan_cpu" "$cpu_ratio" "$states" "$pan_states" \
      "$((kb / 1024))" "$pan_mb" "$cc_s" "$verdict" "$pan_verdict"
  done
  if [ "$have_spin" = 1 ] && [ "$pan_verdict" = violated ]; then
    grep -m1 'assertion violated' "$dir/pan.out" | sed 's/^/  pan: /'
  fi
done
[ "$status" = 0 ] || echo "run.sh: the verdicts of pals and pan differ" >&2
exit "$status"
