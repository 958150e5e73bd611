/* identity/v1: D itself (n results, ⊥ where D has ⊥). */
#include "abi.h"

int tp_f(int n) { return n; }
