/* Computes with a double: refused at load (rule floats). */
#include "../abi.h"

int tp_f(int n) {
    volatile double x = (double)slot[0];
    slot[0] = (i64)(x * 1.5);
    slot[64] = 1;
    return 1;
}
