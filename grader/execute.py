"""Run one case against an implementation, and judge what it returned.

`execute` is the only place learner code is called: in the worker under grade.py, in-process
under pytest. `judge` never calls learner code; grade.py runs it in its own process.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import torch

from .case import Case, CaseFailed, Outputs, Status
from .checks import Expected
from course.tracebacks import one_line, raised_in, where

MODIFIED_INPUTS = "__modified_inputs__"
RAISED_IN = "__raised_in__"  # which public name's stub raised NotImplementedError


def execute(case: Case, impl: ModuleType, inputs: dict[str, Any]) -> tuple[Status | None, str, Outputs]:
    """Call `case.run`. Returns (None, "", outputs) when it ran, else (status, message, details)."""
    before = {k: v.clone() for k, v in inputs.items() if isinstance(v, torch.Tensor)} if case.check_inputs_unchanged else {}
    torch.manual_seed(case.seed)
    try:
        outputs = case.run(impl, **inputs)
    except NotImplementedError as exc:
        return "not_implemented", one_line(str(exc) or "not implemented yet") + where(exc, impl), {RAISED_IN: raised_in(exc, impl)}
    except CaseFailed as exc:
        return "failed", str(exc), {}
    except SystemExit as exc:
        return "error", f"your code called sys.exit({exc.code!r}){where(exc, impl)}", {}
    except Exception as exc:  # the learner's bug, reported in one line
        return "error", one_line(f"{type(exc).__name__}: {exc}") + where(exc, impl), {}
    modified = [k for k, v in before.items() if not torch.equal(v, inputs[k])]
    if modified:
        outputs = {**outputs, MODIFIED_INPUTS: modified}
    return None, "", outputs


def judge(case: Case, outputs: Outputs, expected: dict[str, Any]) -> tuple[Status, str]:
    """Decide passed/failed from plain outputs; any surprise in them is a failure, not a crash."""
    modified = outputs.get(MODIFIED_INPUTS)
    if modified:
        names = ", ".join(f"`{m}`" for m in modified)
        return "failed", (
            f"your code changed its input {names} in place; the caller still needs it. "
            "Compute into a new tensor (x = x - m, not x -= m)."
        )
    try:
        case.judge(outputs, expected)
    except CaseFailed as exc:
        return "failed", str(exc)
    except Exception as exc:
        return "failed", one_line(f"could not judge your output ({type(exc).__name__}: {exc})")
    return "passed", ""


def as_expected(values: dict[str, Any], dtypes: dict[str, torch.dtype]) -> dict[str, Any]:
    """Reference outputs for judging: tensors wrapped with the dtype the learner's must have."""
    return {k: Expected(v, dtypes.get(k, v.dtype)) if isinstance(v, torch.Tensor) else v for k, v in values.items()}
