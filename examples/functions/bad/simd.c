/* Adds with 128-bit vectors: refused at load (rule features). */
#include "../abi.h"

typedef i64 v2 __attribute__((vector_size(16)));

int tp_f(int n) {
    v2 a = {slot[0], slot[1]}, b = {slot[2], slot[3]};
    v2 c = a + b;
    slot[0] = c[0] ^ c[1];
    slot[64] = 1;
    return 1;
}
