#!/usr/bin/env bash
# Two builds of `pals` side by side in one run: round latency and campaign
# throughput, memory and TCP transports, n = 4 and n = 8. The repetitions of
# the two builds alternate (before, after, before, after, …) so that both see
# the same machine; every cell is the median over REPEAT repetitions.
#   BEFORE=path/to/old/pals AFTER=path/to/new/pals REPEAT=5 bash Benchmarks/runtime/compare.sh
# A build of an older commit: `git worktree add /tmp/before COMMIT && swift
# build -c release --package-path /tmp/before --product pals`.
set -euo pipefail
BEFORE="${BEFORE:?BEFORE=path to the older pals}"
AFTER="${AFTER:?AFTER=path to the newer pals}"
REPEAT="${REPEAT:-5}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo '{"faulty":[]}' > "$tmp/none.json"

configs=(
  "memory n=4 t=1, random|campaign uic --n 4 --t 1 --runs 10000 --seed 1 --transport memory"
  "tcp n=4 t=1, random|campaign uic --n 4 --t 1 --runs 2000 --seed 1 --transport tcp"
  "tcp n=4 t=1, failure-free|campaign uic --n 4 --t 1 --runs 2000 --seed 1 --transport tcp --adversary $tmp/none.json"
  "tcp n=8 t=3, random|campaign uic --n 8 --t 3 --runs 500 --seed 1 --transport tcp"
  "tcp n=8 t=3, failure-free|campaign uic --n 8 --t 3 --runs 500 --seed 1 --transport tcp --adversary $tmp/none.json"
)
echo "| configuration | build | runs/s | round median / p99 (µs) | run median / p99 (µs) | violations + disagreements + outside model |"
echo "|---|---|---:|---:|---:|---:|"
for c in "${configs[@]}"; do
  name="${c%%|*}"; args="${c#*|}"
  for k in $(seq "$REPEAT"); do
    for b in before after; do
      if [ "$b" = before ]; then P="$BEFORE"; else P="$AFTER"; fi
      # shellcheck disable=SC2086
      "$P" $args --out "$tmp/out" --json > "$tmp/$b-$k.json" || true
    done
  done
  python3 - "$name" "$tmp" "$REPEAT" <<'PY'
import json, statistics, sys
name, tmp, rep = sys.argv[1], sys.argv[2], int(sys.argv[3])
med = {}
for b in ("before", "after"):
    rs = [json.load(open(f"{tmp}/{b}-{k}.json")) for k in range(1, rep + 1)]
    m = lambda f: statistics.median(f(r) for r in rs)
    bad = sum(r["violations"] + r["disagreements"] + r.get("outsideModel", 0) for r in rs)
    rnd = r0 = None
    if rs[0].get("roundMicroseconds") and rs[0]["roundMicroseconds"].get("median"):
        rnd = (m(lambda r: r["roundMicroseconds"]["median"]), m(lambda r: r["roundMicroseconds"]["p99"]))
    run = (m(lambda r: r["runMicroseconds"]["median"]), m(lambda r: r["runMicroseconds"]["p99"]))
    med[b] = m(lambda r: r["runsPerSecond"])
    rtext = f"{rnd[0]:.0f} / {rnd[1]:.0f}" if rnd else "—"
    print(f"| {name} | {b} | {med[b]:.0f} | {rtext} | {run[0]:.0f} / {run[1]:.0f} | {bad} |")
print(f"| {name} | after ÷ before (runs/s) | {med['after'] / med['before']:.2f} | | | |")
PY
done
