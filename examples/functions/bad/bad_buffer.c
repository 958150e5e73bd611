/* Hands out a buffer address beyond its memory: "F failed", never a read out
 * of bounds. */
typedef long long i64;

i64 *tp_buffer(void) { return (i64 *)0xFFFFFF00u; }

int tp_f(int n) { return 1; }
