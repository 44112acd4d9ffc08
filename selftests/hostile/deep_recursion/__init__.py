"""silu lifts Python's recursion limit and recurses through a C function (map) until the C stack overflows:
the worker dies of SIGSEGV, the case says so, and a fresh worker grades the rest.
"""

import sys

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("softmax",)
SAYS = {"silu": "signal SIGSEGV"}


def down(depth):
    return list(map(down, [depth + 1]))


def silu(x):
    sys.setrecursionlimit(10**8)
    return down(0)
