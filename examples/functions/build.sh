#!/usr/bin/env bash
# Builds every function module of this folder from its C source with the
# toolchain's clang (ABI trustedpals-f/1, specs/function-abi.md).
#   bash build.sh           rebuild the committed .wasm files
#   bash build.sh --check   rebuild into a temporary folder and fail if any
#                           committed .wasm differs (CI runs this)
set -euo pipefail
cd "$(dirname "$0")"
CC=${CC:-clang}
out=.
if [ "${1:-}" = "--check" ]; then out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
flags=(--target=wasm32 -O2 -nostdlib -ffile-prefix-map="$PWD"=. -Wl,--no-entry -Wl,--export=tp_buffer -Wl,--export=tp_f)
build() { # source, output, extra flags...
  local src=$1 dst=$2; shift 2
  mkdir -p "$(dirname "$out/$dst")"
  "$CC" "${flags[@]}" "$@" -o "$out/$dst" "$src"
}
for f in sum max majority auction identity median borda first_price slow_sum; do
  build "$f.c" "$f.wasm" -Wl,--max-memory=1048576
done
for f in loop grow float trap_bottom bad_buffer wrong_type stateful recursion; do
  build "bad/$f.c" "bad/$f.wasm" -Wl,--max-memory=1048576
done
build bad/simd.c bad/simd.wasm -Wl,--max-memory=1048576 -msimd128
build bad/import.c bad/import.wasm -Wl,--max-memory=1048576 -Wl,--allow-undefined
build bad/no_max.c bad/no_max.wasm
if [ "$out" != . ]; then
  status=0
  for f in $(cd "$out" && find . -name '*.wasm' | sort); do
    if ! cmp -s "$out/$f" "$f"; then echo "examples/functions/$f differs from its rebuilt source" >&2; status=1; fi
  done
  [ $status -eq 0 ] && echo "every committed function module is reproduced from its source"
  exit $status
fi
