/* majority/v1: 1 if more present entries are non-zero than are zero, else 0. */
#include "abi.h"

int tp_f(int n) {
    int yes = 0, no = 0;
    for (int k = 0; k < n; k++) {
        if (!present(k)) continue;
        if (slot[k] == 0) no++; else yes++;
    }
    slot[0] = yes > no ? 1 : 0;
    slot[64] = 1;
    return 1;
}
