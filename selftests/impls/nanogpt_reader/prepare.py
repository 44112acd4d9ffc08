"""
The character-level tokenizer of nanoGPT's data/shakespeare_char/prepare.py, as a class.
"""

import torch


class CharTokenizer:

    def __init__(self, text):
        # get all the unique characters that occur in this text
        self.chars = sorted(list(set(text)))
        self.vocab_size = len(self.chars)
        # create a mapping from characters to integers
        self.stoi = {ch: i for i, ch in enumerate(self.chars)}
        self.itos = {i: ch for i, ch in enumerate(self.chars)}

    def encode(self, s):
        try:
            return [self.stoi[c] for c in s]  # encoder: take a string, output a list of integers
        except KeyError as e:
            raise ValueError(f"character {e.args[0]!r} is not in the vocabulary") from None

    def decode(self, l):
        if isinstance(l, torch.Tensor):
            l = l.tolist()
        return ''.join([self.itos[i] for i in l])  # decoder: take a list of integers, output a string
