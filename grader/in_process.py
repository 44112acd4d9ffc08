"""Run cases in this process: how pytest grades (and how the self-tests grade many packages fast).

The Execution still goes through the same plain-data round trip as under grade.py, so both judge
exactly the same thing.
"""

from __future__ import annotations

from types import ModuleType

from .case import Case, Result
from .fixtures import FixtureError, expected_for, inputs_for
from .pipeline import execute, verdict
from .values import as_plain


def run_case(case: Case, impl: ModuleType) -> Result:
    try:
        inputs, expected = inputs_for(case), expected_for(case)
    except FixtureError as exc:
        return Result(case, "error", str(exc))
    return verdict(case, as_plain(execute(case, impl, inputs)), expected)


def run_cases(cases: list[Case], impl: ModuleType) -> list[Result]:
    return [run_case(case, impl) for case in cases]
