/* auction/v1: second-price sealed bid. [winner, price]: the winner is the
 * least k with the highest bid; the price is the highest bid of the others,
 * 0 when there is none; [⊥, ⊥] when nobody bid. */
#include "abi.h"

int tp_f(int n) {
    int has_best = 0, has_second = 0, winner = 0;
    i64 best = 0, second = 0;
    for (int k = 0; k < n; k++) {
        if (!present(k)) continue;
        i64 v = slot[k];
        if (!has_best || best < v) {
            if (has_best) { second = best; has_second = 1; }
            best = v; has_best = 1; winner = k;
        } else if (!has_second || second < v) {
            second = v; has_second = 1;
        }
    }
    slot[0] = has_best ? winner : 0;
    slot[1] = has_best ? (has_second ? second : 0) : 0;
    slot[64] = has_best ? 3 : 0;
    return 2;
}
