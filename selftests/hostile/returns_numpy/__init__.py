"""silu computes the right numbers but returns a numpy array: not a tensor, so it fails, with a message."""

import torch

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts
from .honest import silu as _silu

ATTACKS = ("silu",)
HONEST = ("softmax",)


def silu(x):
    with torch.no_grad():
        return _silu(x).numpy()
