#!/usr/bin/env bash
# Fuzz the module's input parsers (APDUs, ROUND IN slots, frames, the UIC
# message codec, run traces) with libFuzzer for a given time.
#   bash Tests/Fuzz/run.sh [SECONDS]   (default 300)
# Findings (crash-*, leak-*, timeout-*) land in Tests/Fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-300}"
# SwiftPM links libFuzzer with `--sanitize fuzzer` but does not pass the
# fuzzer's coverage flags to the Swift compiler: ask for them explicitly.
flags=(-c release --scratch-path .build-fuzz --sanitize fuzzer --sanitize address
       -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table)
swift build "${flags[@]}" >/dev/null
bin="$(swift build "${flags[@]}" --show-bin-path)/PalsFuzz"
mkdir -p corpus findings
# Seeds: a whole session of APDUs is easier to reach from a valid start.
printf '\x00' > corpus/seed-apdu
printf '\x02' > corpus/seed-codec
printf '\x03{"schema":"trustedpals/run/v1"}' > corpus/seed-trace
"$bin" corpus -max_total_time="$seconds" -artifact_prefix=findings/ -print_final_stats=1 2>&1 |
    grep -E "^#[0-9]+|^Done|^stat::|ERROR|SUMMARY|^artifact" | tail -12
echo "corpus: $(ls corpus | wc -l) inputs; findings: $(ls findings | wc -l)"
