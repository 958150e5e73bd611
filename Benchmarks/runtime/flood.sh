#!/usr/bin/env bash
# Memory bound of a peer under a flood (specs/runtime.md, "Bounded memory"):
# starts `pals peer` p0 of a 3-peer uic instance, throws MB MiB of 64 KiB
# envelopes at it as the authenticated host p2 (a faulty host: mutual TLS with
# its pinned key) and then as a keyless stranger, and reports p0's peak
# resident memory (VmHWM) and what p0 logged.
#   MB=1024 bash Benchmarks/runtime/flood.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
MB="${MB:-1024}"
P="${PALS:-.build/release/pals}"
tmp="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$P keygen --n 3 --out "$tmp/keys" --base-port "$port" >/dev/null
start=$(( $(date +%s%3N) + 600000 ))  # T0 far ahead: p0 sits in its instance, before round 1, for the whole flood
$P peer uic --n 3 --t 1 --id 0 --roster "$tmp/keys/roster.json" --input 1 --session 00000000000000aa \
  --start-at "$start" --round-timeout 120000 --log "$tmp/p0.json" --json > "$tmp/p0.out" &
pid=$!
sleep 0.5
rss() { awk '/VmRSS/{print $2}' "/proc/$pid/status"; }
echo "p0 before: VmRSS $(rss) kB"
python3 Benchmarks/runtime/flood.py --keys "$tmp/keys" --as 2 --target "127.0.0.1:$port" --megabytes "$MB"
echo "p0 after the authenticated flood: VmRSS $(rss) kB, peak $(awk '/VmHWM/{print $2}' /proc/$pid/status) kB"
python3 Benchmarks/runtime/flood.py --keys "$tmp/keys" --as 2 --target "127.0.0.1:$port" --megabytes "$MB" --keyless
echo "p0 after the keyless flood: VmRSS $(rss) kB, peak $(awk '/VmHWM/{print $2}' /proc/$pid/status) kB"
grep -E '"droppedEnvelopes"' "$tmp/p0.json" || true
