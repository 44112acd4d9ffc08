"""Tolerances from evidence: every valid variant gets full marks, every known mistake loses
points in its own part and nowhere else."""

import pytest

from course.parts import PARTS, with_prerequisites

from .helpers import grade_in_process, lost_points, parts_using, patched
from .variants import MISTAKES, VALID


def graded_parts(variant) -> list[str]:
    """The parts a variant can affect. The end-to-end training run (seconds per variant) is left
    to the variants of that part; the reference and torch_builtin run it."""
    return [p for p in parts_using(variant.replaces) if p != "training" or variant.part == "training"]


def test_reference_scores_full_marks():
    parts = grade_in_process(patched("solutions_again", {}))
    assert lost_points(parts) == set(), {
        n: [r.message for r in ps.results if r.status != "passed"] for n, ps in parts.items()
    }


@pytest.mark.parametrize("variant", VALID, ids=lambda v: v.name)
def test_valid_variant_scores_full_marks(variant):
    parts = grade_in_process(patched(variant.name, variant.replaces), graded_parts(variant))
    failures = {r.case.id: r.message for ps in parts.values() for r in ps.results if r.status != "passed"}
    assert not failures, f"{variant.description}: {failures}"
    assert not any(r.hints for ps in parts.values() for r in ps.results)


@pytest.mark.parametrize("variant", MISTAKES, ids=lambda v: v.name)
def test_mistake_loses_points_in_its_part_and_blocks_only_what_builds_on_it(variant):
    """A mistake costs points in its own part. A part that builds on the learner's module (as
    multi-head attention does on their RoPE) may lose points too, but only as "blocked by"."""
    parts = grade_in_process(patched(variant.name, variant.replaces), graded_parts(variant))
    lost = lost_points(parts)
    assert variant.part in lost, f"{variant.description}: no points lost in {variant.part}"
    for name in lost - {variant.part}:
        assert variant.part in with_prerequisites([name]), (
            f"{variant.description}: lost points in unrelated part {name}"
        )
        unblocked = [r.case.id for r in parts[name].results if r.status != "passed" and not r.blocked_by]
        assert not unblocked, f"{variant.description}: {unblocked} failed without naming what blocks them"


def test_every_part_has_a_known_mistake():
    assert {p.name for p in PARTS} <= {m.part for m in MISTAKES}
