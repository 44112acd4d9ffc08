"""Fair to code the grader has never seen: every independently written valid implementation in
selftests/impls/ (other argument names, other formulas, other habits) gets full marks, training included."""

import pytest

from course.packages import load

from .helpers import ROOT, grade_in_process

CORPUS = sorted(p.name for p in (ROOT / "selftests" / "impls").iterdir() if (p / "__init__.py").exists())


def test_the_corpus_is_large_enough(capsys):
    with capsys.disabled():
        print(f"\nvalid implementations in the corpus: {len(CORPUS)}")
    assert len(CORPUS) >= 15


@pytest.mark.parametrize("name", CORPUS)
def test_an_independent_valid_implementation_gets_full_marks(name):
    parts = grade_in_process(load(str(ROOT / "selftests" / "impls" / name)))
    failures = {r.case.id: r.message for ps in parts.values() for r in ps.results if r.status != "passed"}
    assert not failures
    assert not any(r.hints for ps in parts.values() for r in ps.results)
