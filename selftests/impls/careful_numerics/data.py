"""Text to tokens, and tokens to training windows."""

from typing import Iterable

import torch
from torch import Tensor


class CharTokenizer:
    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self._id_of = {ch: i for i, ch in enumerate(self.chars)}

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        try:
            return [self._id_of[ch] for ch in text]
        except KeyError as missing:
            raise ValueError(f"character {missing.args[0]!r} is not in the tokenizer's vocabulary") from None

    def decode(self, ids: Iterable[int]) -> str:
        if isinstance(ids, Tensor):
            ids = ids.tolist()
        return "".join(self.chars[int(i)] for i in ids)


def get_batch(data, batch_size: int, context_length: int, device="cpu",
              generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    tokens = torch.as_tensor(data)
    n = tokens.shape[0]
    if n <= context_length:
        raise ValueError(
            f"the data has {n} tokens, but a window of context_length {context_length} plus its target needs "
            f"at least {context_length + 1}"
        )
    # Starts 0 .. n - T - 1 inclusive; randint's upper bound is exclusive.
    starts = torch.randint(0, n - context_length, (batch_size,), generator=generator)
    offsets = torch.arange(context_length + 1)
    windows = tokens[starts.unsqueeze(1) + offsets].long()  # (B, T + 1), one gather
    return windows[:, :-1].to(device), windows[:, 1:].to(device)
