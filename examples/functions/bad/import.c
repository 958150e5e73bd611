/* Asks its host for a value: refused at load (rule imports). */
#include "../abi.h"

extern i64 host_value(void);

int tp_f(int n) {
    slot[0] = host_value();
    slot[64] = 1;
    return 1;
}
