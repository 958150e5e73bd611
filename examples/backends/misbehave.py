#!/usr/bin/env python3
"""A UIC backend that misbehaves on purpose, for the oracle's robustness
tests: it serves uic.py correctly until the first request of the chosen
kind, then breaks the protocol. Each mode writes a note on stderr first, so
that the oracle's report can be checked to include the backend's stderr.

Run: python3 misbehave.py --mode MODE
MODE:
  garbage      answers `send` with a line that is not JSON
  wrong-count  answers `send` with one message too few
  error        answers `deliver` with {"error": ...}
  hang         never answers the second round's `send`
  exit         exits (status 7) instead of answering `decision`
  no-uic       says in `hello` that it serves only "floodset"
"""
import argparse
import json
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ next to the examples

from uic import handle

MODES = ("garbage", "wrong-count", "error", "hang", "exit", "no-uic")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=MODES, required=True)
    mode = parser.parse_args().mode
    runs = {}
    for line in sys.stdin:
        req = json.loads(line)
        op = req.get("op")
        reply = handle(runs, req, "standard")
        if mode == "no-uic" and op == "hello":
            reply = {"name": "misbehave", "protocols": ["floodset"]}
        elif mode == "garbage" and op == "send":
            sys.stderr.write("misbehave: answering garbage\n")
            sys.stderr.flush()
            sys.stdout.write("this is not JSON\n")
            sys.stdout.flush()
            continue
        elif mode == "wrong-count" and op == "send":
            sys.stderr.write("misbehave: one message short\n")
            reply["messages"] = reply["messages"][1:]
        elif mode == "error" and op == "deliver":
            sys.stderr.write("misbehave: refusing deliver\n")
            reply = {"error": "deliver refused on purpose"}
        elif mode == "hang" and op == "send" and req.get("round") == 2:
            sys.stderr.write("misbehave: hanging\n")
            sys.stderr.flush()
            time.sleep(60)
        elif mode == "exit" and op == "decision":
            sys.stderr.write("misbehave: exiting\n")
            sys.stderr.flush()
            sys.exit(7)
        sys.stderr.flush()
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
