"""silu asks numpy for 16 GB (numpy's own MemoryError, not torch's). One line naming the memory limit."""

import numpy
import torch

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("softmax",)
SAYS = {"silu": "--memory-limit"}


def silu(x):
    hoard = numpy.empty(2 << 30)  # 16 GB of float64; empty, so a machine without the limit is not filled
    return torch.from_numpy(hoard[: x.numel()]).view_as(x).to(x.dtype)
