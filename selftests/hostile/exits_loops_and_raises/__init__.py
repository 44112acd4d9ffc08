"""A package that prints, exits and loops: softmax calls os._exit(0), silu's forward case never returns,
cross_entropy calls sys.exit(3). Each costs only its own cases; rmsnorm and embedding keep their points.
"""

import os
import sys

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("softmax", "silu", "cross_entropy")
HONEST = ("rmsnorm", "embedding")
TIMEOUT = 10  # seconds per case: silu never returns
SAYS = {"softmax": "exited with code 0", "silu/forward": "did not finish within", "cross_entropy": "sys.exit(3)"}

print("hello from the learner's package")


def softmax(x, dim):
    print("about to leave")
    os._exit(0)


def silu(x):
    if x.requires_grad:  # the backward case: one endless case is enough to show it
        raise NotImplementedError("silu: looping in the forward case only")
    while True:
        pass


def cross_entropy(logits, targets):
    sys.exit(3)
