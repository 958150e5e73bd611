/* tp_f takes and returns i64: refused at load (rule exports). */
typedef long long i64;
static i64 slot[65];
i64 *tp_buffer(void) { return slot; }
i64 tp_f(i64 n) { return n; }
