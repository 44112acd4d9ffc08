"""Sampling training batches from a 1-D token stream (a numpy array, memmap or tensor)."""

import numpy.typing as npt
import torch


def get_batch(
    dataset: npt.NDArray | torch.Tensor,
    batch_size: int,
    context_length: int,
    device: str | torch.device = "cpu",
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    n = len(dataset)
    if n <= context_length:
        raise ValueError(
            f"the dataset has {n} tokens, too few for one window of context_length {context_length} plus a target"
        )
    starts = torch.randint(0, n - context_length, (batch_size,), generator=generator).tolist()
    # one slice per sequence of the batch, stacked: x is the window, y the same window shifted by one
    x = torch.stack([torch.as_tensor(dataset[s : s + context_length], dtype=torch.long) for s in starts])
    y = torch.stack([torch.as_tensor(dataset[s + 1 : s + 1 + context_length], dtype=torch.long) for s in starts])
    return x.to(device), y.to(device)
