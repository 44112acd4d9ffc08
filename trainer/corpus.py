"""The built-in corpus: text from a character Markov source whose entropy is known exactly.

The source is the order-k character chain of a short passage read in a loop: the next
character follows the last k as often as it does in the passage. Because the passage is read
cyclically, each k-gram's share of the passage is exactly the chain's stationary distribution,
so its entropy rate (the lowest mean loss per character any model can reach) is an exact sum:

    H = sum over contexts c of  pi(c) * H(next char | c)        (nats per character)

A model sees windows of T characters and is scored on predicting characters 1..T from the
ones before. Its first predictions in a window have less than k characters of context, so the
best mean loss over a window is a little above H; `window_floor(T)` gives it exactly.
"""

from __future__ import annotations

import bisect
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

# A backslash at the end of a line joins it to the next: the passage's own lines end without one.
PASSAGE = """\
the little model read the same pages again and again. at first every letter was a guess, and the guesses were wild. \
then it noticed that a space comes after most words, that a dot is followed by a space, and that a new line starts a \
new thought.
it learned the short words first: the, and, of, a, to, it, is. later it learned which words like to sit next to each \
other, and which never meet.
the loss went down slowly, then quickly, then slowly again. it could not go lower than the floor, because the rest is \
chance: when the writer picks the next letter at random, no reader can know it in advance. that floor is the entropy \
of the text, and a good model comes close to it.
so the model kept reading. it saw that the cat sat on the mat and that the dog ran to the park. it saw that the sun is \
warm and the rain is wet. it saw numbers, and it saw names, and it saw the same stories told in a new order.
one day it wrote a line of its own. the line was not in the pages, but it sounded as if it could have been. that is \
what a language model does: it learns the shape of the text, not the text itself.
the teacher was pleased, and the model went on reading.
"""

ORDER = 3


def entropy(counts) -> float:
    total = sum(counts)
    return -sum(n / total * math.log(n / total) for n in counts if n)


@dataclass
class MarkovSource:
    """The order-k character chain of `passage`, read cyclically."""

    passage: str = PASSAGE
    order: int = ORDER
    successors: dict[str, Counter] = field(init=False)

    def __post_init__(self) -> None:
        if len(self.passage) <= self.order:
            raise ValueError("the passage must be longer than the order")
        looped = self.passage + self.passage[: self.order]
        self.successors = defaultdict(Counter)
        for i in range(len(self.passage)):
            self.successors[looped[i : i + self.order]][looped[i + self.order]] += 1

    @property
    def entropy_rate(self) -> float:
        """H, in nats per character: no model can have a lower expected loss."""
        n = len(self.passage)
        return sum(sum(nexts.values()) / n * entropy(nexts.values()) for nexts in self.successors.values())

    def window_floor(self, context_length: int) -> float:
        """The lowest expected mean loss over a window: predicting chars 1..T from chars 0..t.

        H(x_1..x_T | x_0) = H(x_0..x_T) - H(x_0), and for a stationary order-k chain
        H(x_0..x_T) = H(first k chars) + (T + 1 - k) * H.
        """
        T, k = context_length, self.order
        if T + 1 < k:
            raise ValueError(f"windows must be at least {k - 1} characters long")
        first_k = entropy([sum(nexts.values()) for nexts in self.successors.values()])
        first_char = entropy(Counter(self.passage).values())
        return (first_k - first_char + (T + 1 - k) * self.entropy_rate) / T

    def sample(self, num_chars: int, seed: int = 0) -> str:
        """`num_chars` characters of the chain, started from its stationary distribution."""
        rng = random.Random(seed)
        table = {c: (list(nexts), list(_cumulative(nexts.values()))) for c, nexts in self.successors.items()}
        start = rng.randrange(len(self.passage))
        context = (self.passage + self.passage)[start : start + self.order]
        out = []
        for _ in range(num_chars):
            chars, cumulative = table[context]
            nxt = chars[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]
            out.append(nxt)
            context = context[1:] + nxt
        return "".join(out)


def _cumulative(counts):
    total = 0
    for n in counts:
        total += n
        yield total


def builtin_corpus(num_chars: int = 400_000, seed: int = 0) -> tuple[str, MarkovSource]:
    """The default training text and the source it came from (for its entropy floor)."""
    source = MarkovSource()
    return source.sample(num_chars, seed), source
