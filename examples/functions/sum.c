/* sum/v1: the sum of the present entries (0 when none), wrapping at 2^64. */
#include "abi.h"

int tp_f(int n) {
    u64 s = 0;
    for (int k = 0; k < n; k++)
        if (present(k)) s += (u64)slot[k];
    slot[0] = (i64)s;
    slot[64] = 1;
    return 1;
}
