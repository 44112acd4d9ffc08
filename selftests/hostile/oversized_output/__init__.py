"""silu returns 300 MB, within the memory limit but more than a case may send back (256 MB): one line says
so, and grade.py never has to hold it. (Its backward case fails on the output's shape before that.)
"""

import torch

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("softmax",)
SAYS = {"silu/forward": "more than the 256 MB a case may send back"}


def silu(x):
    return torch.zeros(75_000_000)
