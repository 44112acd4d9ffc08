"""silu returns a 10 GB tensor (a view of one number, so it costs nothing until someone copies it): the
worker copies outputs to send them back, which must fail with one line naming the memory limit. (Its
backward case fails on the output's shape before that.)
"""

import torch

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("softmax",)
SAYS = {"silu/forward": "--memory-limit"}


def silu(x):
    return torch.zeros(1).expand(10 * 2**30 // 4)
