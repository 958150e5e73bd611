/* The ABI trustedpals-f/1 (specs/function-abi.md): the host writes D into
 * slots 0..n-1 (0 for ⊥) and the presence mask into slot 64; tp_f(n) writes
 * its k results into slots 0..k-1, their presence mask into slot 64, and
 * returns k (1 <= k <= 64). */
typedef long long i64;
typedef unsigned long long u64;

static i64 slot[65];

i64 *tp_buffer(void) { return slot; }

static int present(int k) { return (int)(((u64)slot[64] >> k) & 1); }
