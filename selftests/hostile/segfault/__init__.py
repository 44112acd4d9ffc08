"""silu reads address 1: the worker dies of SIGSEGV, the case says so, and a fresh worker grades the rest."""

import ctypes

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("softmax",)
SAYS = {"silu": "signal SIGSEGV"}


def silu(x):
    return ctypes.string_at(1, 8)  # address 1: never mapped
