"""silu returns zeros in a tensor subclass whose methods lie: ==, equal, allclose and isclose say True,
subtraction and abs give zeros, copies return itself. Judging happens in grade.py on the plain numbers the
worker sends, so the lies never reach it.
"""

import torch

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("softmax",)

AGREE = {"eq", "__eq__", "equal", "allclose", "isclose", "all"}
NOTHING = {"sub", "__sub__", "__rsub__", "abs", "__abs__", "max", "amax"}
SELF = {"clone", "contiguous", "detach", "to", "cpu", "double", "float"}


class Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in AGREE:
            return True
        if name in NOTHING:
            return torch.zeros(())
        if name in SELF and args:
            return args[0]
        return super().__torch_function__(func, types, args, kwargs or {})

    def __eq__(self, other):
        return True

    __hash__ = torch.Tensor.__hash__


def silu(x):
    return torch.zeros_like(x).as_subclass(Liar)
