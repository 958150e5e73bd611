#!/usr/bin/env python3
"""A deliberately broken UIC backend: uic.py with one of the five mutants of
DESIGN §3, for checking that `pals test-backend` catches it.

Run: python3 uic_broken.py --mutant NAME
NAME: no-intersection, no-trust-check, no-halting, merge-all-received, t-rounds.
"""
import argparse
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the examples

from uic import MUTANTS, serve

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mutant", choices=MUTANTS, required=True)
    serve(parser.parse_args().mutant)
