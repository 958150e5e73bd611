/*
 * Uniform Interactive Consistency under general omission (DESIGN §1, §3):
 * the round-level search of `pals check uic --n N --t T`, in Promela.
 *
 *   spin -DN=5 -DT=2 -a uic.pml && gcc -O2 -DSAFETY -DNOREDUCE -DNOCOMP -o pan pan.c && ./pan
 *
 * The same search as the explicit engine (Sources/PalsExplorer):
 *   - inputs v_k = k, so a view entry is k or ⊥ (BOT);
 *   - every faulty set F with |F| ≤ T (chosen once, at the start);
 *   - in every round, for every receiver q independently: every subset of the
 *     droppable senders — under general omission a message p→q may be lost iff
 *     p or q is faulty and p ≠ q (self-messages are never lost) — and, for a
 *     faulty q, crashing instead: from the next round on q sends nothing,
 *     receives nothing and never decides (the engine's `crashedID`);
 *   - a halted process sends "silent", which arrives but is not heard;
 *   - after every round: a correct process never halts (CorrectNeverHalts);
 *   - after round ROUNDS (t + 1): Termination, Validity, UniformAgreement and
 *     Agreement, as in Sources/PalsCore/StandardProperties.swift.
 *
 * A round is one atomic step, so pan stores exactly the global states at
 * round boundaries — the explicit engine's states: its "states, stored" is
 * the engine's count plus one (the state before the faulty set is chosen),
 * and its transitions the engine's plus one per faulty set and one more.
 * Within the round, as in the engine (DESIGN §4), each receiver's admissible
 * inboxes are all evaluated and equal next local states merged; the round's
 * successors are the product of the receivers' distinct next local states.
 * Options (for comparison, not the benchmark):
 *   -DRECEIVER_STEPS  one atomic step per receiver: pan also stores the
 *                     states between two receivers;
 *   -DEVERY_INBOX     one branch per admissible inbox, without merging equal
 *                     next local states (with the whole round atomic this
 *                     enumerates the full product of inboxes: small N only).
 *
 * Witness modes (the engine's "sometimes" properties, as assertions whose
 * violation is the witness): -DWITNESS_DECIDES asserts that no process
 * decides, -DWITNESS_HALTS that no process ever halts.
 */
#ifndef N
#define N 5
#endif
#ifndef T
#define T 2
#endif
#ifndef ROUNDS
#define ROUNDS (T + 1)
#endif
#if N > 8
#error "N must be at most 8 (process sets are byte bitmasks)"
#endif
#define BOT 255
#define has(set, p) (((set) >> (p)) & 1)

/* The global state at the start of the current round. */
byte faulty;            /* the faulty set, a bitmask */
byte round;             /* rounds completed */
byte view[N * N];       /* view of p_i: view[i * N + k], k or BOT */
byte trusted[N];        /* trusted set of p_i, a bitmask */
byte halted;            /* bitmask */
byte crashed;           /* bitmask */
/* The order in which the receivers take their steps (correct processes
 * first, a fixed function of the faulty set) and the next local states of
 * receivers order[0 .. q-1] within the round. */
byte order[N];
byte q;
byte nview[N * N];
byte ntrusted[N];
byte nhalted;
byte ncrashed;
/* Scratch: zero in every stored state. */
byte arrived, rec, i, j, k, c, acc;

#define RCV order[q]
/* NS = 2^(N-1) + 1: at most this many admissible inboxes per receiver */
#if N <= 1
#define NS 2
#elif N == 2
#define NS 3
#elif N == 3
#define NS 5
#elif N == 4
#define NS 9
#elif N == 5
#define NS 17
#elif N == 6
#define NS 33
#elif N == 7
#define NS 65
#else
#define NS 129
#endif

#ifndef EVERY_INBOX
/* The distinct next local states of receiver p = order[q], as the REC sets
 * that yield them (0 for "halts"), and the chosen one. */
byte slist[NS];
byte scount, alive, drop, sub;
#endif

/* REC ∩ trusted_p for the inbox `arrived` of p = order[q]: the senders heard
 * (arrived, not silent), still trusting p, still trusted by p; c = |rec|.
 * rec = 0 when p halts (it then knows it is faulty): a process that does
 * not halt trusts n − t ≥ 1 processes. */
inline heard() {
  rec = 0;
  c = 0;
  for (j : 0 .. N - 1) {
    if
    :: has(arrived, j) && !has(halted, j) && has(trusted[j], RCV) && has(trusted[RCV], j) ->
       rec = rec | (1 << j);
       c++
    :: else -> skip
    fi
  };
  if
  :: has(halted, RCV) || c < N - T -> rec = 0
  :: else -> skip
  fi
}

/* The next local state of p = order[q] given its trusted set `rec`. */
inline apply() {
  if
  :: rec == 0 ->
     /* halts; its state is cleared */
     nhalted = nhalted | (1 << RCV);
     ntrusted[RCV] = 0;
     for (k : 0 .. N - 1) { nview[RCV * N + k] = BOT }
  :: else ->
     ntrusted[RCV] = rec;
     /* entrywise merge of the trusted senders' views (the last non-⊥
      * entry in sender order, as the protocol does) */
     for (k : 0 .. N - 1) {
       acc = BOT;
       for (j : 0 .. N - 1) {
         if
         :: has(rec, j) && view[j * N + k] != BOT -> acc = view[j * N + k]
         :: else -> skip
         fi
       }
       nview[RCV * N + k] = acc
     }
  fi
}

/* Receiver p = order[q] takes its step of the round: crash (faulty p only),
 * or receive the messages of an admissible inbox — each alive sender's
 * message arrives or, on a link touching F that is not a self-message, is
 * lost — and compute its next local state. */
inline receive() {
  if
  :: has(crashed, RCV) -> ncrashed = ncrashed | (1 << RCV)
  :: else ->
     if
     :: has(faulty, RCV) -> ncrashed = ncrashed | (1 << RCV)
     :: true ->
#ifdef EVERY_INBOX
        /* one branch per admissible inbox */
        j = 0;
        do
        :: j < N ->
           if
           :: has(crashed, j) -> skip
           :: else ->
              if
              :: j != RCV && (has(faulty, RCV) || has(faulty, j)) ->
                 if
                 :: arrived = arrived | (1 << j)
                 :: skip
                 fi
              :: else -> arrived = arrived | (1 << j)
              fi
           fi;
           j++
        :: else -> break
        od;
        j = 0;
        d_step {
          heard();
          apply();
          arrived = 0; rec = 0; c = 0; j = 0; k = 0; acc = 0
        }
#else
        /* one branch per distinct next local state (DESIGN §4): every
         * admissible inbox is evaluated, equal results are merged */
        d_step {
          alive = ~crashed & ((1 << N) - 1);
          drop = (has(faulty, RCV) -> alive : alive & faulty) & ~(1 << RCV);
          sub = 0;
          do
          :: true ->
             arrived = alive & ~sub;
             heard();
             k = 0;
             do
             :: k < scount && slist[k] != rec -> k++
             :: else -> break
             od;
             if
             :: k == scount -> slist[scount] = rec; scount++
             :: else -> skip
             fi;
             sub = (sub - drop) & drop;
             if
             :: sub == 0 -> break
             :: else -> skip
             fi
          od;
          c = 0; k = 0; j = 0; arrived = 0; alive = 0; drop = 0
        }
        /* choose one of them */
        do
        :: c + 1 < scount -> c++
        :: break
        od;
        rec = slist[c];
        d_step {
          apply();
          for (k : 0 .. NS - 1) { slist[k] = 0 }
          scount = 0; rec = 0; c = 0; j = 0; k = 0; acc = 0
        }
#endif
     fi
  fi
}

/* After the last receiver: the next global state becomes the current one,
 * and the properties due after this round are checked. */
inline commit() {
  d_step {
    for (i : 0 .. N - 1) {
      trusted[i] = ntrusted[i];
      ntrusted[i] = 0;
      for (k : 0 .. N - 1) {
        view[i * N + k] = nview[i * N + k];
        nview[i * N + k] = BOT
      }
    }
    halted = nhalted;
    crashed = ncrashed;
    nhalted = 0;
    ncrashed = 0;
    q = 0;
    i = 0;
    k = 0;
    round++;
    /* CorrectNeverHalts; a crashed process is faulty by construction */
    assert((halted & ~faulty) == 0);
    assert((crashed & ~faulty) == 0);
#ifdef WITNESS_HALTS
    assert(halted == 0);
#endif
    if
    :: round == ROUNDS ->
       for (i : 0 .. N - 1) {
         /* Termination: every correct process decides (has not halted;
          * correct processes never crash) */
         assert(has(faulty, i) || !has(halted, i));
         if
         :: !has(halted, i) && !has(crashed, i) ->
#ifdef WITNESS_DECIDES
            assert(false);
#endif
            for (k : 0 .. N - 1) {
              /* Validity: D[k] ∈ {v_k, ⊥}, and D[k] = v_k when p_k is correct */
              assert(view[i * N + k] == k || (view[i * N + k] == BOT && has(faulty, k)));
            }
            for (j : i + 1 .. N - 1) {
              if
              :: !has(halted, j) && !has(crashed, j) ->
                 for (k : 0 .. N - 1) {
                   /* UniformAgreement (which implies Agreement among the
                    * correct processes) */
                   assert(view[i * N + k] == view[j * N + k])
                 }
              :: else -> skip
              fi
            }
         :: else -> skip
         fi
       }
       i = 0; j = 0; k = 0
    :: else -> skip
    fi
  }
}

init {
  atomic {
    /* The initial local states, then every faulty set of size ≤ T. */
    for (i : 0 .. N - 1) {
      trusted[i] = (1 << N) - 1;
      for (k : 0 .. N - 1) {
        view[i * N + k] = (i == k -> k : BOT);
        nview[i * N + k] = BOT
      }
    }
    i = 0;
    k = 0;
    do
    :: i < N ->
       if
       :: c < T -> faulty = faulty | (1 << i); c++
       :: skip
       fi;
       i++
    :: else -> break
    od;
    /* the receivers' order: correct processes first */
    c = 0;
    for (i : 0 .. N - 1) {
      if
      :: !has(faulty, i) -> order[c] = i; c++
      :: else -> skip
      fi
    }
    for (i : 0 .. N - 1) {
      if
      :: has(faulty, i) -> order[c] = i; c++
      :: else -> skip
      fi
    }
    i = 0;
    c = 0
  }
  /* Blocks after round ROUNDS: a valid end state. */
end:
  do
#ifndef RECEIVER_STEPS
  :: atomic {
       round < ROUNDS;
       do
       :: q < N - 1 -> receive(); q++
       :: else -> break
       od;
       receive();
       commit()
     }
#else
  :: atomic {
       round < ROUNDS;
       receive();
       if
       :: q == N - 1 -> commit()
       :: else -> q++
       fi
     }
#endif
  od
}
