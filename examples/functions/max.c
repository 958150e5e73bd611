/* max/v1: the largest present entry, ⊥ when every entry is ⊥. */
#include "abi.h"

int tp_f(int n) {
    int any = 0;
    i64 best = 0;
    for (int k = 0; k < n; k++)
        if (present(k) && (!any || best < slot[k])) { best = slot[k]; any = 1; }
    slot[0] = any ? best : 0;
    slot[64] = any;
    return 1;
}
