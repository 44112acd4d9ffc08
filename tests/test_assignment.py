"""The graded tests: `test_<part>`, one entry per case of that part in grader/cases/.

Select a part with `-k test_linear` or `-m linear`; pick the package with `--impl`.
"""

import pytest

from grader.cases import cases_of
from grader.inprocess import run_case
from grader.parts import PARTS, PARTS_BY_NAME
from grader.scoring import blocked_message, blockers

LABELS = {"not_implemented": "not implemented yet: ", "error": "error: ", "timeout": "timed out: ", "failed": ""}


def check(case, impl, part_passes) -> None:
    if isinstance(impl, str):
        pytest.fail(impl, pytrace=False)
    result = run_case(case, impl)
    if result.status == "passed":
        return
    message = result.message
    if result.status in ("failed", "error"):
        blocked_by = blockers(PARTS_BY_NAME[case.part], part_passes)
        if blocked_by:
            pytest.fail(blocked_message(blocked_by, message), pytrace=False)
    pytest.fail(LABELS[result.status] + message, pytrace=False)


def _test_for(part):
    @getattr(pytest.mark, part.name)
    @pytest.mark.parametrize("case", cases_of(part.name), ids=lambda case: case.name)
    def test(case, impl, part_passes):
        check(case, impl, part_passes)

    test.__name__ = test.__qualname__ = part.test_name
    test.__doc__ = f"{part.title}: every case of the `{part.name}` part."
    return test


for _part in PARTS:
    globals()[_part.test_name] = _test_for(_part)
