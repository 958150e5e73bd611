#!/usr/bin/env python3
"""A UIC backend for `pals test-backend` (specs/backend-protocol.md).

Uniform interactive consistency under general omission, as in DESIGN §3:

    state of p_i: view_i[0..n-1] (value or None), trusted_i, halted_i
    round r = 1 .. t+1:
      send (view_i, trusted_i) to every process  (a halted process sends "silent")
      REC       = { j : message from p_j arrived, is not silent, and i in trusted_j }
      trusted_i = trusted_i & REC
      if |trusted_i| < n - t: halted_i = True      (p_i knows it is faulty)
      else view_i = entrywise merge of view_j, j in trusted_i
    after round t+1: a process that has not halted decides view_i

Run: python3 uic.py   (reads requests on stdin, one JSON object per line).
Standard library only. `uic_broken.py` reuses this file with a mutant.
"""
import json
import sys

MUTANTS = ("no-intersection", "no-trust-check", "no-halting", "merge-all-received", "t-rounds")


class Process:
    """One UIC process; `variant` is "standard" or one of MUTANTS."""

    def __init__(self, me, n, t, value, variant="standard"):
        self.me, self.n, self.t, self.variant = me, n, t, variant
        self.rounds = t if variant == "t-rounds" else t + 1
        self.view = [None] * n
        self.view[me] = value
        self.trusted = [True] * n
        self.halted = False

    def message(self):
        # The reference encoding; a halted process's state is cleared.
        return {"view": list(self.view), "trusted": list(self.trusted), "silent": self.halted}

    def deliver(self, rnd, inbox):
        if rnd > self.rounds:  # the t-rounds mutant stops one round early
            return
        n, me, v = self.n, self.me, self.variant
        heard = [m is not None and not m["silent"] for m in inbox]
        rec = [heard[j] and (v == "no-trust-check" or inbox[j]["trusted"][me]) for j in range(n)]
        if v == "no-intersection":
            trusted = rec
        else:
            trusted = [self.trusted[j] and rec[j] for j in range(n)]
        halt_now = v != "no-halting" and sum(trusted) < n - self.t
        self.halted = self.halted or halt_now
        sources = heard if v == "merge-all-received" else trusted
        view = [None] * n
        for k in range(n):
            for j in range(n):
                if sources[j] and inbox[j]["view"][k] is not None:
                    view[k] = inbox[j]["view"][k]
        if self.halted:
            self.view, self.trusted = [None] * n, [False] * n
        else:
            self.view, self.trusted = view, trusted

    def decision(self):
        if self.halted:
            return {"decided": False}
        return {"decided": True, "value": list(self.view)}


def handle(runs, req, variant):
    op = req.get("op")
    if op == "hello":
        name = "python-uic" + ("" if variant == "standard" else "/" + variant)
        return {"name": name, "protocols": ["uic"]}
    if op == "init":
        if req.get("protocol") != "uic":
            return {"error": "this backend serves only uic"}
        runs.setdefault(req["run"], {})[req["process"]] = Process(
            req["process"], req["n"], req["t"], req["input"], variant)
        return {"ok": True}
    if op == "end":
        runs.pop(req["run"], None)
        return {"ok": True}
    p = runs[req["run"]][req["process"]]
    if op == "send":
        m = p.message()
        return {"messages": [m] * p.n}
    if op == "deliver":
        p.deliver(req["round"], req["messages"])
        return {"ok": True}
    if op == "decision":
        return p.decision()
    return {"error": "unknown op %r" % op}


def serve(variant="standard"):
    runs = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = handle(runs, json.loads(line), variant)
        except Exception as e:  # report, never die, on a bad request
            reply = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(reply, separators=(",", ":")) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
