#!/usr/bin/env bash
# Runtime benchmarks (issue 4): round latency and time per UIC instance over
# TCP loopback (X25519 + HKDF keys, ChaCha20-Poly1305 frames padded to one
# size), and campaign throughput on the memory and TCP transports.
#   REPEAT=5 bash Benchmarks/runtime/run.sh
# Each configuration runs REPEAT times; the table gives the median of each
# metric over the repetitions (the machine is shared and noisy).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPEAT="${REPEAT:-5}"
swift build -c release --product pals >/dev/null
P=.build/release/pals
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo '{"faulty":[]}' > "$tmp/none.json"

configs=(
  "memory n=4 random|campaign uic --n 4 --t 1 --runs 10000 --seed 1 --transport memory"
  "tcp n=4 random|campaign uic --n 4 --t 1 --runs 2000 --seed 1 --transport tcp"
  "tcp n=4 failure-free|campaign uic --n 4 --t 1 --runs 2000 --seed 1 --transport tcp --adversary $tmp/none.json"
  "tcp n=8 random|campaign uic --n 8 --t 3 --runs 500 --seed 1 --transport tcp"
  "tcp n=8 failure-free|campaign uic --n 8 --t 3 --runs 500 --seed 1 --transport tcp --adversary $tmp/none.json"
)
for c in "${configs[@]}"; do
  name="${c%%|*}"; args="${c#*|}"
  for k in $(seq "$REPEAT"); do
    # shellcheck disable=SC2086
    $P $args --json > "$tmp/out-$k.json"
  done
  python3 - "$name" "$tmp" "$REPEAT" <<'PY'
import json, statistics, sys
name, tmp, rep = sys.argv[1], sys.argv[2], int(sys.argv[3])
rs = [json.load(open(f"{tmp}/out-{k}.json")) for k in range(1, rep + 1)]
med = lambda f: statistics.median(f(r) for r in rs)
bad = sum(r["violations"] + r["disagreements"] + r["outsideModel"] for r in rs)
print(f"| {name} | {rs[0]['runs']} | {med(lambda r: r['seconds']):.2f} s | {med(lambda r: r['runsPerSecond']):.0f} "
      f"| {med(lambda r: r['roundMicroseconds']['median']):.0f} / {med(lambda r: r['roundMicroseconds']['p99']):.0f} µs "
      f"| {med(lambda r: r['runMicroseconds']['median']):.0f} / {med(lambda r: r['runMicroseconds']['p99']):.0f} µs "
      f"| {bad} |")
PY
done

# One instance with n peer processes (process start-up included).
for n in 4 8; do
  t=$(( (n - 1) / 2 ))
  times=()
  for k in $(seq "$REPEAT"); do
    s=$(date +%s.%N)
    $P cluster uic --n "$n" --t "$t" --json > "$tmp/cluster.json"
    e=$(date +%s.%N)
    grep -q '"verdict":"conforms"' "$tmp/cluster.json"
    times+=("$(python3 -c "print($e - $s)")")
  done
  python3 -c "import statistics,sys; print(f'| pals cluster uic --n $n --t $t (wall, {len(sys.argv)-1} runs) | median {statistics.median(map(float, sys.argv[1:])):.3f} s |')" "${times[@]}"
done
