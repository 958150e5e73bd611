#!/usr/bin/env bash
# The network attacks of issue 10 against peers started with `pals keygen` +
# `pals peer` (uic, n = 4, t = 1): p0, p1, p2 are correct peers; the attacker
# holds p3's host key (a faulty host, within t) and no other key. Before T0
# and again during the rounds it connects to every correct peer as a stranger
# (plain TCP), as an impostor (TLS with a key of its own) and as p3, and
# claims p1's identity: hello, `omitted`/`crashed` notices and frames for
# every round (Benchmarks/runtime/attack.py). Every correct peer must decide
# the model's vector [10, 11, 12, ⊥] (p3's module never ran) and log the
# rejected connections. Round 2 lasts at least 2 s (--min-round) so that the
# second wave lands inside the instance.
#   [RUNS=5] [PALS=path/to/pals] bash Benchmarks/runtime/attack.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
RUNS="${RUNS:-5}"
P="${PALS:-.build/release/pals}"
tmp="${KEEP:-$(mktemp -d)}"; mkdir -p "$tmp"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
passed=0
for run in $(seq "$RUNS"); do
  rm -rf "$tmp/keys"; pids=()
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # Four consecutive ports from a free one; retry the run if one is taken.
  $P keygen --n 4 --out "$tmp/keys" --base-port "$port" >/dev/null || continue
  session=$(python3 -c 'import os; print(os.urandom(8).hex())')
  start=$(( $(date +%s%3N) + 5000 ))
  for i in 0 1 2; do
    $P peer uic --n 4 --t 1 --id "$i" --roster "$tmp/keys/roster.json" --input $((10 + i)) --session "$session" \
      --start-at "$start" --round-timeout 4000 --min-round 2000 --log "$tmp/p$i.log.json" --json > "$tmp/p$i.json" 2> "$tmp/p$i.err" &
    pids+=($!)
  done
  targets="127.0.0.1:$port,127.0.0.1:$((port + 1)),127.0.0.1:$((port + 2))"
  # Attack as soon as every correct peer listens.
  python3 - "$targets" <<'PY'
import socket, sys, time
deadline = time.time() + 4.5
for t in sys.argv[1].split(","):
    h, p = t.rsplit(":", 1)
    while time.time() < deadline:
        try:
            socket.create_connection((h, int(p)), timeout=1).close(); break
        except OSError:
            time.sleep(0.05)
PY
  # The second wave, inside the instance (round 2 lasts at least 2 s),
  # prepared now and launched at T0 + 300 ms.
  python3 Benchmarks/runtime/attack.py --keys "$tmp/keys" --faulty 3 --claim 1 --session "$session" --rounds 2 \
    --targets "$targets" --at $((start + 300)) > "$tmp/attack-during.json" &
  during=$!
  python3 Benchmarks/runtime/attack.py --keys "$tmp/keys" --faulty 3 --claim 1 --session "$session" --rounds 2 \
    --targets "$targets" > "$tmp/attack-before.json"
  wait "$during"
  for p in "${pids[@]}"; do wait "$p"; done
  pids=()
  verdict=$(python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
expected = [10, 11, 12, None]
ok = True
lines = []
for i in range(3):
    try:
        out = json.load(open(f"{tmp}/p{i}.json"))
    except Exception as e:
        print(f"p{i}: no output ({e}); stderr: {open(f'{tmp}/p{i}.err').read().strip()}"); ok = False; continue
    d = out.get("result") or {}
    value = d.get("value")
    if not d.get("decided") or value != expected:
        ok = False
    notes = out.get("notes", [])
    refused = sum(1 for n in notes if "pinned" in n or "authenticate" in n or "closed" in n)
    lines.append(f"p{i}: decided {value}, {refused} note(s) about refused or closed connections")
for k in ("before", "during"):
    rep = json.load(open(f"{tmp}/attack-{k}.json"))
    kinds = ["stranger", "impostor", "notices", "squatter"]
    got = {a: [r for r in rep if r["attack"] == a] for a in kinds}
    def say(a):
        rs = got[a]
        errors = sorted({(r["error"] or "")[:60] for r in rs if r["error"]})
        what = "bytes written" if a == "stranger" else "TLS accepted"
        return f"{a}: {what} {sum(r['handshake'] for r in rs)}/{len(rs)}" + (f" ({'; '.join(errors)})" if errors else "")
    lines.append(f"attack {k}: " + ", ".join(say(a) for a in kinds))
print(("ok" if ok else "FAIL") + "\n" + "\n".join(lines))
PY
)
  echo "run $run: $verdict"
  case "$verdict" in ok*) passed=$((passed + 1));; esac
done
echo "passed $passed of $RUNS runs"
