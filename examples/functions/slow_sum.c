/* slow_sum/v1: the sum of the present entries (0 when none), wrapping at
 * 2^64, like sum/v1; but it counts the low 14 bits of every entry one by one,
 * so its running time grows with its inputs. A correct F whose time leaks
 * them: `pals timing smc --function slow_sum.wasm` finds the leak and
 * `--fixed-time-us` hides it (README, "Timing is an observation too"). */
#include "abi.h"

int tp_f(int n) {
    u64 s = 0;
    for (int k = 0; k < n; k++) {
        if (!present(k)) continue;
        u64 v = (u64)slot[k];
        s += v & ~(u64)0x3fff;
        /* volatile: the compiler must not fold the loop into one addition */
        for (volatile u64 low = v & 0x3fff; low > 0; low--) s += 1;
    }
    slot[0] = (i64)s;
    slot[64] = 1;
    return 1;
}
