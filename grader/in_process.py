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


def run_case(case: Case, impl: ModuleType, timeout: float | None = None, forbid_builtins: bool = False) -> Result:
    """One case's Result; `timeout` (seconds of CPU time) replaces the case's own limit when given; with
    `forbid_builtins`, a case whose part's code used a built-in the "from scratch" policy forbids fails."""
    try:
        inputs, expected = inputs_for(case), expected_for(case)
    except FixtureError as exc:
        return Result(case, "error", str(exc))
    return verdict(case, as_plain(execute(case, impl, inputs, timeout, forbid_builtins)), expected)


def run_cases(cases: list[Case], impl: ModuleType, timeout: float | None = None,
              forbid_builtins: bool = False) -> list[Result]:
    return [run_case(case, impl, timeout, forbid_builtins) for case in cases]
