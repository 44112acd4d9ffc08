"""The one path from a case to its Result, shared by pytest, grade.py and tools/make_fixtures.py:

    execute(case, impl, inputs) -> Execution      the learner's code runs here, and only here
    judged(case, execution, expected) -> Result   passed or failed, decided from plain data
    verdict(case, execution, expected) -> Result  judged, with the known mistake it matches named

Under grade.py `execute` runs in the worker process and the other two in grade.py's own; in-process
(pytest, the self-tests, the fixture generator) all three run here, with the Execution sent through
the same plain-data round trip (values.as_plain) so that every caller judges the same thing.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from dataclasses import replace
from types import ModuleType
from typing import Any, Iterator

import torch

from course.from_scratch import explain, forbids
from course.parts import PARTS_BY_NAME
from course.tracebacks import call_chain, located, one_line

from .builtin_calls import watching
from .calls import raised_by, recording
from .case import Case, CaseFailed, Execution, Outputs, Result
from .checks import Expected, describe
from .hints import name_the_mistake


class CaseTimeout(BaseException):
    """Raised inside the learner's code when a case has used up its CPU time (a BaseException, so that the
    learner's own `except Exception` does not swallow it)."""


@contextmanager
def cpu_budget(seconds: float | None) -> Iterator[None]:
    """Raise CaseTimeout wherever the code is once this process has used `seconds` of CPU time in the block.

    CPU time, not wall-clock time: a loaded machine slows a case down without using up its budget. Only in
    the main thread of a system with SIGPROF (elsewhere, no limit: grade.py's wall-clock backstop remains).
    """
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum, _frame):
        raise CaseTimeout()

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def execute(case: Case, impl: ModuleType, inputs: dict[str, Any], budget: float | None = None,
            forbid_builtins: bool = False) -> Execution:
    """Call `case.run` on the learner's package within `budget` seconds of CPU time (the case's own limit when
    None); whatever happens becomes an Execution. With `forbid_builtins`, it also lists the built-ins that the
    "from scratch" policy forbids and the part's own code used (grader/builtin_calls.py)."""
    budget = budget or case.timeout
    before = {k: v.clone() for k, v in inputs.items() if isinstance(v, torch.Tensor)}
    torch.manual_seed(case.seed)
    stopped = None
    with recording(impl) as called, watching(impl, case.part, forbid_builtins) as builtins:
        try:
            with cpu_budget(budget):
                outputs = case.run(impl, **inputs)
        except BaseException as exc:  # noqa: BLE001 - whatever the learner's code does is reported, not raised
            stopped = stopped_by(exc, impl, budget)
            if stopped is None:
                raise
            stopped = replace(stopped, raised_in=raised_by(exc, impl), called=tuple(sorted(called)))
    if stopped is not None:
        return replace(stopped, builtins=tuple(builtins))
    modified = tuple(k for k, v in before.items() if not torch.equal(v, inputs[k]))
    return Execution(None, outputs=outputs, modified_inputs=modified, called=tuple(sorted(called)),
                     builtins=tuple(builtins))


def stopped_by(exc: BaseException, impl: ModuleType, budget: float) -> Execution | None:
    """How an exception from the learner's code stops a case (None for one to let through, e.g. Ctrl-C)."""
    if isinstance(exc, CaseTimeout):
        where = call_chain(exc, impl)
        return Execution("timeout", f"did not finish within {budget:g} s of CPU time (an endless loop?)"
                         + (f"; it was running {where}" if where else ""))
    if isinstance(exc, NotImplementedError):
        return Execution("not_implemented", one_line(str(exc) or "not implemented yet") + located(exc, impl))
    if isinstance(exc, CaseFailed):
        return Execution("failed", str(exc))
    if isinstance(exc, SystemExit):
        return Execution("error", f"your code called sys.exit({exc.code!r}){located(exc, impl)}")
    if isinstance(exc, Exception):  # the learner's bug, reported in one line
        return Execution("error", one_line(f"{type(exc).__name__}: {exc}") + located(exc, impl))
    return None


def judge(case: Case, outputs: Outputs, expected: dict[str, Any]) -> tuple[str, str]:
    """(passed or failed, message) from plain outputs; any surprise in them is a failure, not a crash."""
    try:
        case.judge(outputs, expected)
    except CaseFailed as exc:
        return "failed", str(exc)
    except Exception as exc:
        wanted = "; ".join(f"`{k}`: {describe(v.value if isinstance(v, Expected) else v)}" for k, v in expected.items())
        yours = "; ".join(f"`{k}`: {describe(v)}" for k, v in outputs.items())
        return "failed", one_line(
            f"could not judge your output ({type(exc).__name__}: {exc}). "
            + (f"Expected {wanted}. " if wanted else "") + f"Yours: {yours or 'nothing'}.", limit=600)
    return "passed", ""


def judged(case: Case, execution: Execution, expected: dict[str, Any]) -> Result:
    """The Result of one Execution, without naming a mistake (tools/make_fixtures.py stores those)."""
    own = PARTS_BY_NAME[case.part].names  # a part answers for its own code only (builtin_calls.py)
    uses = tuple(u for u in execution.builtins if u.name in own and forbids(case.part, u.builtin))
    if uses and execution.status in (None, "failed"):  # an error or a time-out says more; it is shown first
        return Result(case, "failed", explain(case.part, uses), called=execution.called, builtins=uses)
    if not execution.ran:
        return Result(case, execution.status, execution.message, raised_in=execution.raised_in, called=execution.called)
    if execution.modified_inputs:
        names = ", ".join(f"`{m}`" for m in execution.modified_inputs)
        message = (f"your code changed its input {names} in place; the caller still needs it. "
                   "Compute into a new tensor (x = x - m, not x -= m).")
        return Result(case, "failed", message, called=execution.called)
    return Result(case, *judge(case, execution.outputs, expected), called=execution.called)


def verdict(case: Case, execution: Execution, expected: dict[str, Any]) -> Result:
    """The Result of one Execution, with the ids of the known mistakes its output matches."""
    return name_the_mistake(judged(case, execution, expected), execution, expected)
