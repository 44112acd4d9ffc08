"""The graded tests: `test_<part>`, one entry per case of that part in grader/cases/.

Select a part with `-k test_linear` or `-m linear`; pick the package with `--impl`.
"""

import pytest

from course.parts import PARTS
from grader.cases import cases_of
from grader.report import explained
from grader.scoring import blame

LABELS = {"not_implemented": "not implemented yet: ", "error": "error: ", "timeout": "timed out: ", "failed": ""}


def check(case, impl, graded) -> None:
    if isinstance(impl, str):
        pytest.fail(impl, pytrace=False)
    result = next(r for r in graded(case.part) if r.case is case)
    if result.status != "passed":
        blame(result, lambda part: all(r.status == "passed" for r in graded(part)))
        pytest.fail(explained(result, LABELS[result.status]), pytrace=False)


def _test_for(part):
    @getattr(pytest.mark, part.name)
    @pytest.mark.parametrize("case", cases_of(part.name), ids=lambda case: case.name)
    def test(case, impl, graded):
        check(case, impl, graded)

    test.__name__ = test.__qualname__ = part.test_name
    test.__doc__ = f"{part.title}: every case of the `{part.name}` part."
    return test


for _part in PARTS:
    globals()[_part.test_name] = _test_for(_part)
