/* Built without --max-memory: the memory declares no maximum, refused at load
 * (rule memory). */
#include "../abi.h"

int tp_f(int n) { slot[64] = 1; return 1; }
