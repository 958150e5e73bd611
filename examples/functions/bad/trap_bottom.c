/* Traps when an entry is ⊥: "F failed" on those vectors, a result otherwise. */
#include "../abi.h"

int tp_f(int n) {
    i64 s = 0;
    for (int k = 0; k < n; k++) {
        if (!present(k)) __builtin_trap();
        s += slot[k];
    }
    slot[0] = s;
    slot[64] = 1;
    return 1;
}
