"""Tolerances from evidence: every valid variant gets full marks, every known mistake loses
points in its own part and nowhere else."""

import pytest

from grader.parts import PARTS

from .helpers import grade_in_process, lost_points, patched
from .variants import MISTAKES, VALID


def test_reference_scores_full_marks():
    parts = grade_in_process(patched("solutions_again", {}))
    assert lost_points(parts) == set(), {n: [r.message for r in ps.results if r.status != "passed"] for n, ps in parts.items()}


@pytest.mark.parametrize("variant", VALID, ids=lambda v: v.name)
def test_valid_variant_scores_full_marks(variant):
    parts = grade_in_process(patched(variant.name, variant.replaces))
    failures = {r.case.id: r.message for ps in parts.values() for r in ps.results if r.status != "passed"}
    assert not failures, f"{variant.description}: {failures}"


@pytest.mark.parametrize("variant", MISTAKES, ids=lambda v: v.name)
def test_mistake_loses_points_in_its_part_only(variant):
    parts = grade_in_process(patched(variant.name, variant.replaces))
    assert lost_points(parts) == {variant.part}, f"{variant.description}: lost points in {lost_points(parts) or 'no part'}"


def test_every_part_has_a_known_mistake():
    assert {p.name for p in PARTS} <= {m.part for m in MISTAKES}
