"""A character-level tokenizer."""

from collections.abc import Iterable

import torch


class CharTokenizer:
    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.vocab = {i: ch for i, ch in enumerate(self.chars)}
        self.inverse_vocab = {ch: i for i, ch in self.vocab.items()}

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        ids = []
        for ch in text:
            if ch not in self.inverse_vocab:
                raise ValueError(f"character {ch!r} is not in the tokenizer's vocabulary")
            ids.append(self.inverse_vocab[ch])
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        if isinstance(ids, torch.Tensor):
            ids = ids.tolist()
        return "".join(self.vocab[int(i)] for i in ids)
