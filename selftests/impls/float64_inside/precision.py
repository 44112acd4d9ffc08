"""Do the delicate arithmetic in float64, whatever dtype comes in, and hand back the caller's dtype."""

import torch
from torch import Tensor


def wide(x: Tensor) -> Tensor:
    """x as float64 (a no-op for float64 input); autograd flows through the cast."""
    return x.to(torch.float64)


def narrow(y: Tensor, like: Tensor | torch.dtype) -> Tensor:
    """y cast back to the dtype of `like` (a tensor or a dtype)."""
    return y.to(like if isinstance(like, torch.dtype) else like.dtype)
