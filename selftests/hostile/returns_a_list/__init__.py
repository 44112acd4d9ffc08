"""softmax computes the right numbers but returns nested Python lists: not a tensor, so it fails."""

import torch

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts
from .honest import softmax as _softmax

ATTACKS = ("softmax",)
HONEST = ("cross_entropy",)


def softmax(x, dim):
    with torch.no_grad():
        return _softmax(x, dim).tolist()
