#!/usr/bin/env bash
# Timing as an observation (dudect): Welch's t per module command between two
# input classes, without and with fixed-time answers, for
#   - smc with examples/functions/slow_sum.wasm, a correct F whose running
#     time grows with its inputs (class A: all inputs 0, B: random inputs);
#   - fair exchange with fake rounds, M = 4 (class A: p0's module draws
#     ρ = 1, B: ρ = 4).
#   PALS=.build/release/pals SESSIONS=20000 BUDGET_US=1000 bash Benchmarks/card/timing.sh
# Each line of output is what `pals timing` prints; exit status 1 of a run
# (a leak) is reported, not fatal.
set -uo pipefail
cd "$(dirname "$0")/../.."
PALS="${PALS:-.build/release/pals}"
SESSIONS="${SESSIONS:-20000}"
FE_SESSIONS="${FE_SESSIONS:-$((SESSIONS / 2))}"
BUDGET_US="${BUDGET_US:-1000}"
if [ ! -x "$PALS" ]; then swift build -c release --product pals >/dev/null || exit 2; fi
run() {
  echo "\$ pals timing $*"
  "$PALS" timing "$@"
  echo "(exit $?)"
  echo
}
run smc --function examples/functions/slow_sum.wasm --n 3 --t 1 --sessions "$SESSIONS"
run smc --function examples/functions/slow_sum.wasm --n 3 --t 1 --sessions "$SESSIONS" --fixed-time-us "$BUDGET_US"
run fair-exchange --n 3 --t 1 --mode fake-rounds --M 4 --sessions "$FE_SESSIONS"
run fair-exchange --n 3 --t 1 --mode fake-rounds --M 4 --sessions "$FE_SESSIONS" --fixed-time-us "$BUDGET_US"
