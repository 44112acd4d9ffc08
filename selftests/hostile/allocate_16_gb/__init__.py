"""silu asks torch for 16 GB. It must fail at once with one line naming the memory limit (it took the
machine's memory and ended in timeouts in the issue), and grading goes on in a fresh worker.
"""

import torch

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("softmax",)
SAYS = {"silu": "used more than 4 GB of memory (the limit, --memory-limit)"}
ALSO_IN = ("plain",)


def silu(x):
    hoard = torch.empty(4 << 30, dtype=torch.float32)  # 16 GB; empty, so a machine without the limit is not filled
    return hoard[: x.numel()].view_as(x)
