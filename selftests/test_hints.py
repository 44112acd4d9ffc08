"""Hints that name the mistake (grader/mistakes/): every catalogued mistake has its wrong
implementation beside it, loses points in its own part, and the grader names it for at least
90% of them."""

from importlib import import_module

import pytest

from grader.mistakes import CATALOGUE, MISTAKES_BY_ID
from course.parts import PARTS_BY_NAME

from .helpers import grade_in_process, lost_points, patched
from .variants import MISTAKES, PART_FILES
from .variants.registry import WRONG_BY_ID

NAMED_AT_LEAST = 0.9


@pytest.fixture(scope="module")
def graded():
    """mistake id -> (lost points in its part, the hint ids its part's results carry)."""
    outcome = {}
    for variant in MISTAKES:
        parts = grade_in_process(patched(variant.name, variant.replaces), [variant.part])
        hints = {h for r in parts[variant.part].results for h in r.hints}
        outcome[variant.name] = (variant.part in lost_points(parts), hints)
    return outcome


def test_every_catalogued_mistake_has_its_wrong_implementation_beside_it():
    """grader/mistakes/<file>.py's entries, selftests/variants/<file>.py's wrong implementations and
    grader/cases/<file>.py's cases of their parts: the same part file on each side."""
    catalogued = {m.id: file for file in PART_FILES for m in import_module(f"grader.mistakes.{file}").MISTAKES}
    assert set(catalogued) == set(MISTAKES_BY_ID), "grader/mistakes/__init__.py should assemble every part file"
    assert set(WRONG_BY_ID) == set(catalogued), (
        f"catalogued without a wrong implementation: {sorted(set(catalogued) - set(WRONG_BY_ID))}; "
        f"registered but not catalogued: {sorted(set(WRONG_BY_ID) - set(catalogued))}"
    )
    misplaced = {i: v.module for i, v in WRONG_BY_ID.items() if v.module != f"selftests.variants.{catalogued[i]}"}
    assert not misplaced, f"register each in selftests/variants/ under its catalogue file's name: {misplaced}"
    elsewhere = {
        i: file for i, file in catalogued.items()
        if MISTAKES_BY_ID[i].part not in {c.part for c in import_module(f"grader.cases.{file}").CASES}
    }
    assert not elsewhere, f"catalogued in another part file than their part's cases: {elsewhere}"
    assert [v.name for v in MISTAKES] == [m.id for m in CATALOGUE]
    assert all(m.part in PARTS_BY_NAME for m in CATALOGUE)
    assert len(CATALOGUE) >= 25


def test_mistakes_lose_points_and_are_named(graded, capsys):
    lose = [i for i, (lost, _) in graded.items() if lost]
    named = [i for i, (_, hints) in graded.items() if i in hints]
    with capsys.disabled():
        print(f"\nknown mistakes: {len(lose)}/{len(graded)} lose points in their part ({len(lose) / len(graded):.0%}), "
              f"{len(named)}/{len(graded)} are named by the hint ({len(named) / len(graded):.0%})")
    assert set(lose) == set(graded), f"these lose no points: {sorted(set(graded) - set(lose))}"
    assert len(named) >= NAMED_AT_LEAST * len(graded), f"not named: {sorted(set(graded) - set(named))}"


def test_a_hint_names_only_mistakes_of_that_part(graded):
    for mistake_id, (_, hints) in graded.items():
        assert all(MISTAKES_BY_ID[h].part == MISTAKES_BY_ID[mistake_id].part for h in hints)
