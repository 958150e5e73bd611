/* Counts its calls in a global: every evaluation runs in a fresh instance,
 * so F is still a function of D (always 1). */
#include "../abi.h"

static i64 calls;

int tp_f(int n) {
    slot[0] = ++calls;
    slot[64] = 1;
    return 1;
}
