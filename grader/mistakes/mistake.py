"""One known mistake: what it is, how it shows, and the hint the learner reads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    id: str  # the id its wrong implementation is registered under in selftests/variants/
    part: str  # the part whose points it costs
    name: str  # one sentence: what the code does wrong
    shows: str  # how it shows: which checks fail, and what the numbers look like
    hint: str  # what the learner reads first: what is wrong and how to fix it, in the second person
