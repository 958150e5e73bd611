/* Recurses a billion deep: the call stack or the fuel runs out first,
 * "F failed" either way, never a crash. */
#include "../abi.h"

__attribute__((noinline)) static i64 depth(volatile i64 x) { return x ? depth(x - 1) + 1 : 0; }

int tp_f(int n) {
    slot[0] = depth(1000000000);
    slot[64] = 1;
    return 1;
}
