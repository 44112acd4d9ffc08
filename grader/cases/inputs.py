"""Making a case's inputs from its seeded generator: `draw(x=normal(3, 5, 24), ids=integers(50, 3, 5))`.

The makers draw in the order they are written, so a case's inputs depend only on its seed.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

Maker = Callable[[torch.Generator], Tensor]


def randn(g: torch.Generator, *shape: int, scale: float = 1.0) -> Tensor:
    return torch.randn(*shape, generator=g) * scale


def randint(g: torch.Generator, high: int, *shape: int) -> Tensor:
    return torch.randint(0, high, shape, generator=g)


def normal(*shape: int, scale: float = 1.0, add: float = 0.0, dtype: torch.dtype | None = None) -> Maker:
    """N(add, scale²) samples of `shape`, converted to `dtype` last."""

    def make(g: torch.Generator) -> Tensor:
        x = randn(g, *shape, scale=scale)
        x = x + add if add else x
        return x.to(dtype) if dtype is not None else x

    return make


def integers(high: int, *shape: int) -> Maker:
    """Integers in [0, high) of `shape` (token ids, targets)."""
    return lambda g: randint(g, high, *shape)


def draw(**makers: Maker) -> Callable[[torch.Generator], dict[str, Tensor]]:
    """A case's `inputs`: each named maker called on the generator, in order."""
    return lambda g: {name: make(g) for name, make in makers.items()}
