/* Grows its memory as long as it can (up to the declared 16 pages), then
 * spins: bounded memory, then fuel, "F failed". */
#include "../abi.h"

int tp_f(int n) {
    for (;;) slot[0] += __builtin_wasm_memory_grow(0, 1);
    return 1;
}
