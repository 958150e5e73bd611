/* Never returns: stopped by fuel, "F failed". */
#include "../abi.h"

int tp_f(int n) {
    volatile int spin = 1;
    while (spin) slot[0]++;
    return 1;
}
