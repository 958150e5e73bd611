/* The lower median of the present entries (the ⌈m/2⌉-th smallest of m), ⊥
 * when every entry is ⊥. */
#include "abi.h"

int tp_f(int n) {
    i64 v[64];
    int m = 0;
    for (int k = 0; k < n; k++)
        if (present(k)) v[m++] = slot[k];
    for (int i = 1; i < m; i++) { /* insertion sort */
        i64 x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > x) { v[j + 1] = v[j]; j--; }
        v[j + 1] = x;
    }
    slot[0] = m ? v[(m - 1) / 2] : 0;
    slot[64] = m ? 1 : 0;
    return 1;
}
