"""What a case is, what running the learner's code on it gives (an Execution), and its verdict (a Result)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from course.from_scratch import BuiltinUse

Status = Literal["passed", "failed", "not_implemented", "error", "timeout"]

# Everything a case's `run` returns: tensors, or plain JSON-able values (names, shapes, flags).
Outputs = dict[str, Any]


class CaseFailed(Exception):
    """The learner's code is wrong in a way a check can name; the message is for the learner."""


@dataclass(frozen=True)
class Case:
    """One check: which part it belongs to, what to feed, what to call, how to judge.

    inputs(g)              -> dict of tensors, made with the seeded generator g. Stored in the
                              fixture file, so no check depends on torch's random stream.
    run(impl, **inputs)    -> Outputs. Calls the learner's code (reached only through the
                              package's top-level names); runs in the worker under grade.py.
    judge(out, expected)   -> None, or raises CaseFailed. Runs in the grader's own process.
                              `expected` is what `run` gave for the reference, computed in
                              float64 when `reference_in_float64` (empty if `reference` is off).
    """

    part: str
    name: str
    run: Callable[..., Outputs]
    judge: Callable[[Outputs, Outputs], None]
    inputs: Callable[[Any], dict[str, Any]] | None = None
    weight: float = 1.0
    reference: bool = True
    reference_in_float64: bool = True
    timeout: float = 20.0
    seed: int = 0  # torch.manual_seed before `run`, for cases that build modules with random init
    resemblance: Any = None  # a checks.Tol: how close a failing output must be to a known mistake's to be named
    signatures: bool = True  # False where outputs vary from run to run: no mistake is named by its output here

    @property
    def id(self) -> str:
        return f"{self.part}/{self.name}"


@dataclass(frozen=True)
class Execution:
    """What running the learner's code on one case gave, as plain data that can cross a process boundary.

    status is None when `run` returned: `outputs` then holds what it returned. Otherwise the case stopped
    (not_implemented, failed, error, timeout) and `message` says why.
    """

    status: Status | None
    message: str = ""
    outputs: Outputs = field(default_factory=dict)
    raised_in: str | None = None  # the public name whose code raised, if it did
    modified_inputs: tuple[str, ...] = ()  # inputs the learner's code changed in place
    called: tuple[str, ...] = ()  # the public names whose code ran (grader/calls.py)
    builtins: tuple[BuiltinUse, ...] = ()  # forbidden built-ins the part's code used, when watched (builtin_calls.py)

    @property
    def ran(self) -> bool:
        return self.status is None


@dataclass
class Result:
    case: Case
    status: Status
    message: str = ""
    score: float = 0.0
    max_score: float = 0.0
    blocked_by: tuple[str, ...] = ()  # failing prerequisites this case ran (grader/scoring.blame)
    possible_causes: tuple[str, ...] = ()  # failing prerequisites it may or may not use
    whole_package: bool = False  # the package itself failed (e.g. could not be imported): no part is to blame
    raised_in: str | None = None  # the public name whose code raised, if it did
    called: tuple[str, ...] = ()  # the public names whose code ran: what may block this case
    hints: tuple[str, ...] = ()  # ids of the known mistakes (grader/mistakes) the failing output matches
    builtins: tuple[BuiltinUse, ...] = ()  # the forbidden built-ins that failed it ("from scratch" policy)
