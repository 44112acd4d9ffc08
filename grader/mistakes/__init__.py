"""The catalogue of known learner mistakes: what each is, how it shows, and the hint the learner reads.

One module per part file, as in solutions/ and grader/cases/: building_blocks.py (Part 1),
transformer.py (Part 2) and training.py (Part 3). Every entry has a deliberately wrong
implementation registered under the same id in the selftests/variants/ module of the same name.
tools/make_fixtures.py runs it through the cases of its part and stores what it outputs where
it differs from the reference (its signature); when a learner's failing output matches one,
the failure message leads with that mistake's hint. docs/mistakes.md is generated from here
(`uv run python -m tools.make_docs`), part by part in this order.
"""

from __future__ import annotations

from . import building_blocks, training, transformer
from .mistake import Mistake

CATALOGUE: list[Mistake] = [*building_blocks.MISTAKES, *transformer.MISTAKES, *training.MISTAKES]
MISTAKES_BY_ID: dict[str, Mistake] = {m.id: m for m in CATALOGUE}

assert len(MISTAKES_BY_ID) == len(CATALOGUE), "two mistakes share an id"


def lead(ids: tuple[str, ...]) -> str:
    """The hint that heads the message of a failure matching these mistakes ("" for none)."""
    if len(ids) <= 1:
        return "".join(f"Hint: {MISTAKES_BY_ID[i].hint}" for i in ids)
    return "Hint: this matches more than one known mistake:\n" + "\n".join(f"  - {MISTAKES_BY_ID[i].hint}" for i in ids)


__all__ = ["CATALOGUE", "MISTAKES_BY_ID", "Mistake", "lead"]
