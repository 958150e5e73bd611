/* A Borda-count election among 4 candidates 0..3. Each entry is a ballot:
 * a ranking packed in 4 nibbles, most preferred in the lowest nibble (e.g.
 * 0x3120 ranks 0, 2, 1, 3). The candidate ranked at place p scores 3 - p.
 * Ballots that are not a permutation of 0..3 are void, as are ⊥ entries.
 * Results: [winner, score], the winner being the least candidate with the
 * highest score; [⊥, ⊥] when no ballot is valid. */
#include "abi.h"

int tp_f(int n) {
    i64 score[4] = {0, 0, 0, 0};
    int valid = 0;
    for (int k = 0; k < n; k++) {
        if (!present(k)) continue;
        u64 b = (u64)slot[k];
        if (b >> 16) continue;
        int seen = 0;
        for (int p = 0; p < 4; p++) seen |= 1 << ((b >> (4 * p)) & 15);
        if (seen != 15) continue;
        for (int p = 0; p < 4; p++) score[(b >> (4 * p)) & 15] += 3 - p;
        valid++;
    }
    int w = 0;
    for (int c = 1; c < 4; c++)
        if (score[c] > score[w]) w = c;
    slot[0] = valid ? w : 0;
    slot[1] = valid ? score[w] : 0;
    slot[64] = valid ? 3 : 0;
    return 2;
}
