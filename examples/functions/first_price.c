/* A first-price sealed-bid auction: [winner, price], the winner being the
 * least k with the highest bid, who pays that bid; [⊥, ⊥] when nobody bid. */
#include "abi.h"

int tp_f(int n) {
    int has = 0, winner = 0;
    i64 best = 0;
    for (int k = 0; k < n; k++)
        if (present(k) && (!has || best < slot[k])) { best = slot[k]; winner = k; has = 1; }
    slot[0] = winner;
    slot[1] = best;
    slot[64] = has ? 3 : 0;
    return 2;
}
