"""Run cases in this process: how pytest grades (and how the self-tests grade many variants fast).

The outputs still go through the same plain-data encoding as under grade.py, so both judge
exactly the same thing.
"""

from __future__ import annotations

from types import ModuleType

from .case import Case, Result
from .execute import RAISED_IN, execute, judge
from .fixtures import FixtureError, expected_for, inputs_for
from .hints import name_the_mistake
from .protocol import decode, encode


def run_case(case: Case, impl: ModuleType) -> Result:
    try:
        inputs, expected = inputs_for(case), expected_for(case)
    except FixtureError as exc:
        return Result(case, "error", str(exc))
    status, message, outputs = execute(case, impl, inputs)
    if status is None:
        outputs = decode(*encode(outputs))
        return name_the_mistake(Result(case, *judge(case, outputs, expected)), outputs)
    return name_the_mistake(Result(case, status, message, raised_in=outputs.get(RAISED_IN)), {})


def run_cases(cases: list[Case], impl: ModuleType) -> list[Result]:
    return [run_case(case, impl) for case in cases]
