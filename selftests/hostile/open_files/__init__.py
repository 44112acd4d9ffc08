"""silu opens files until it cannot: the open-files limit stops it with one line naming it."""

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("softmax",)
SAYS = {"silu": "files open at once (the limit)"}


def silu(x):
    hoard = [open("/dev/null") for _ in range(100_000)]
    return hoard
