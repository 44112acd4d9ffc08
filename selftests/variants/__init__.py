"""Alternative implementations of single public names, for the grader's self-tests.

An implementation under test is the reference package with one `Variant.replaces` applied on
top. Every VALID variant is a different but correct way to write that name and must score full
marks; every MISTAKE carries one error seen in real learner code and must lose points in its
`part`, and only there. A mistake's part, description and hint are its entry in the catalogue
(grader/mistakes/), under the same id.

One module per part file, as in solutions/, grader/cases/ and grader/mistakes/:
building_blocks.py, transformer.py and training.py hold the wrong implementation of each entry
of the catalogue module of the same name, and <part>_valid.py the valid variants and the
correct bases the wrong ones override. Each variant registers at its definition (registry.py
says how); there is no list to keep in order.
"""

from __future__ import annotations

from grader.mistakes import CATALOGUE

from . import (  # noqa: F401  (importing a module registers its variants)
    building_blocks,
    building_blocks_valid,
    training,
    training_valid,
    transformer,
    transformer_valid,
)
from .registry import VALID_BY_NAME, WRONG_BY_ID, Variant

PART_FILES = ("building_blocks", "transformer", "training")  # in learning order, as solutions/ has them


def _part_file(variant: Variant) -> str:
    return variant.module.rsplit(".", 1)[-1].removesuffix("_valid")


VALID: list[Variant] = sorted(VALID_BY_NAME.values(), key=lambda v: PART_FILES.index(_part_file(v)))
MISTAKES: list[Variant] = [WRONG_BY_ID[m.id] for m in CATALOGUE if m.id in WRONG_BY_ID]  # in catalogue order

__all__ = ["MISTAKES", "PART_FILES", "VALID", "Variant"]
