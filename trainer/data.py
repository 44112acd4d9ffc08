"""What train.py trains on: the built-in corpus (whose entropy floor is known) or a text file.

Reading the data needs no torch, so a bad --data is reported before torch is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .corpus import builtin_corpus

VALIDATION_CHARS = 40_000
VALIDATION_SEED = 1  # the training text uses seed 0; a different seed gives unseen text


class BadInput(Exception):
    """A problem with the command line or the files it names: one line, exit status 2."""


@dataclass
class Corpus:
    name: str
    vocabulary_text: str  # the text the tokenizer is built from: every character the model may see
    train_text: str
    validation_text: str
    floor: float | None = None  # the lowest mean loss any model can reach on windows of context_length
    entropy_rate: float | None = None  # nats per character: the floor for unlimited context


def builtin(context_length: int) -> Corpus:
    """Text sampled from the built-in Markov source; its passage holds every character it can produce."""
    train_text, source = builtin_corpus(seed=0)
    try:
        floor = source.window_floor(context_length)
    except ValueError:  # windows too short to hold one full context of the chain
        floor = None
    validation_text = source.sample(VALIDATION_CHARS, seed=VALIDATION_SEED)
    for name, text in (("training", train_text), ("validation", validation_text)):
        if len(text) <= context_length:  # a window needs context_length tokens and the one after them
            raise BadInput(f"--context-length {context_length} is too long for the built-in corpus: its {name} text "
                           f"has {len(text):,} characters, too few for one window and its targets; use a "
                           f"--context-length of at most {len(text) - 1:,}")
    return Corpus("the built-in corpus", source.passage, train_text, validation_text, floor, source.entropy_rate)


def from_file(path: str, context_length: int) -> Corpus:
    """Any UTF-8 text: the first 90% to train on, the last 10% to validate."""
    text = read_text(path)
    if not text:
        raise BadInput(f"--data {path}: the file is empty")
    split = len(text) - len(text) // 10
    needed = 10 * (context_length + 1)  # so that the last 10% holds one window and its targets
    if len(text) < needed:
        raise BadInput(
            f"--data {path} has {len(text):,} characters, too few for --context-length {context_length}: both the "
            f"first 90% (training) and the last 10% (validation) need a window of {context_length + 1}, so at least "
            f"{needed:,} characters; use a longer file or a smaller --context-length"
        )
    return Corpus(path, text, text[:split], text[split:])


def read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"--data {path}: there is no such file") from None
    except IsADirectoryError:
        raise BadInput(f"--data {path}: that is a folder; give a text file") from None
    except UnicodeDecodeError as exc:
        raise BadInput(f"--data {path}: not UTF-8 text ({exc.reason} at byte {exc.start:,})") from None
    except OSError as exc:
        raise BadInput(f"--data {path}: cannot read it ({exc.strerror})") from None


def token_ids(tokenizer, corpus: Corpus):
    """The training and the validation text as 1-D tensors of token ids (the only use of torch here)."""
    import torch

    texts = (corpus.train_text, corpus.validation_text)
    return tuple(torch.tensor(tokenizer.encode(text), dtype=torch.long) for text in texts)
