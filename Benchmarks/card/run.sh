#!/usr/bin/env bash
# Round latency at n = 4 with the security module in each host's process,
# behind a pipe (`pals module`, --module process) and as a virtual smart card
# behind pcscd (`pals card`, --module pcsc), and the card's APDUs and bytes
# per round.
#   CONFIG=release REPEAT=3 bash Benchmarks/card/run.sh
# Round latency: `pals cluster fair-exchange --mode fake-rounds --M M --n 4
# --t 1` runs M + 1 rounds over TCP loopback between 4 peer processes (and
# their modules); every run starts all peers at a common T0, so the wall time
# has a large fixed part (process start, key generation, T0). The oracle's
# check grows with the rounds: it is timed alone (`pals oracle` on the run's
# trace) and taken off. The latency of one round is the difference of the
# median remaining times at M = LONG and M = SHORT, divided by the difference
# of the rounds.
# APDUs and bytes per round: `pals timing` drives sessions through the same
# card layer the PC/SC host uses (chaining, GET RESPONSE) and counts every
# APDU of each module command.
set -euo pipefail
cd "$(dirname "$0")/../.."
CONFIG="${CONFIG:-release}"
REPEAT="${REPEAT:-3}"
SHORT="${SHORT:-3}"
LONG="${LONG:-23}"
swift build -c "$CONFIG" --product pals >/dev/null
P=".build/$CONFIG/pals"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for module in in-process process pcsc; do
  for M in "$SHORT" "$LONG"; do
    for k in $(seq "$REPEAT"); do
      rm -rf "$tmp/run"
      s=$(date +%s.%N)
      $P cluster fair-exchange --mode fake-rounds --M "$M" --n 4 --t 1 --module "$module" --out "$tmp/run" > "$tmp/out.txt"
      e=$(date +%s.%N)
      grep -q '^oracle: conforms' "$tmp/out.txt" || { cat "$tmp/out.txt"; exit 1; }
      # The oracle's replay, timed alone, is taken off the wall time.
      $P oracle "$tmp/run/trace.json" > /dev/null
      o=$(date +%s.%N)
      rounds=$(sed -n 's/.* rounds=\([0-9]*\).*/\1/p' "$tmp/out.txt" | head -1)
      echo "$module $M $rounds $(python3 -c "print(($e - $s) - ($o - $e))")" >> "$tmp/walls.txt"
    done
  done
done
$P timing fair-exchange --mode fake-rounds --M "$SHORT" --n 4 --t 1 --sessions 20 --json > "$tmp/traffic.json"

python3 - "$tmp" "$SHORT" "$LONG" "$REPEAT" <<'PY'
import json, statistics, sys
tmp, short, long_, rep = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
walls, rounds = {}, {}
for line in open(f"{tmp}/walls.txt"):
    module, M, r, w = line.split()
    walls.setdefault((module, M), []).append(float(w))
    rounds[(module, M)] = int(r)
rows = json.load(open(f"{tmp}/traffic.json"))["rows"]
per_round = {}
for r in rows:
    if r["kind"].startswith("ROUND"):
        k = int(r["kind"].split()[-1])
        a, b = per_round.get(k, (0, 0))
        per_round[k] = (a + r["apdus"], b + r["bytes"])
apdus = statistics.mean(a for a, _ in per_round.values())
nbytes = statistics.mean(b for _, b in per_round.values())
print(f"n = 4, t = 1, fair-exchange fake-rounds, M = {short} and {long_}, {rep} runs each (median wall time without the oracle)")
print("| module | wall, M = %s | wall, M = %s | rounds apart | round latency | APDUs / round | bytes / round | paper (Java Card, OCF) |" % (short, long_))
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for module in ["in-process", "process", "pcsc"]:
    a, b = statistics.median(walls[(module, short)]), statistics.median(walls[(module, long_)])
    d = rounds[(module, long_)] - rounds[(module, short)]
    lat = (b - a) / d * 1000
    traffic = f"{apdus:.1f} | {nbytes:.0f}" if module == "pcsc" else "— | —"
    print(f"| {module} | {a:.2f} s | {b:.2f} s | {d} | {lat:.1f} ms | {traffic} | ~600 ms |")
print()
print("card layer per round (ROUND OUT r + ROUND IN r, APDUs / bytes both ways incl. status words):")
for k in sorted(per_round):
    print(f"  round {k}: {per_round[k][0]:.1f} APDUs, {per_round[k][1]:.0f} bytes")
PY
