"""silu (its forward case) writes to stdout and stderr without end, a megabyte at a time (gigabytes within
the time limit): it times out, and what it wrote must fill neither the disk nor grade.py's memory nor
grade.py's output.
"""

import os

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("softmax",)
TIMEOUT = 10  # seconds per case: it never returns
SAYS = {"silu/forward": "did not finish within"}
ALSO_IN = ("plain",)


def silu(x):
    if x.requires_grad:  # the backward case: one endless case is enough to show it
        raise NotImplementedError("silu: flooding in the forward case only")
    line = b"x" * (1 << 20) + b"\n"
    while True:
        os.write(1, line)
        os.write(2, line)
