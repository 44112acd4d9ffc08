"""Naming the mistake: a failing output is compared with what each known mistake outputs.

A mistake's signature in a case is where its outputs differ from the reference's: for a
tensor, its shape and dtype and its values at the few positions that differ most; for plain
data, the fields that differ; for a crash, the exception's type; for code that writes to its
inputs, their names. tools/make_fixtures.py stores
one per (case, mistake) in the part's fixture file, for the mistakes of grader/mistakes/.
A learner's failing output that matches a signature (within the case's `resemblance`
tolerance) gets that mistake's hint, which leads its message wherever it is shown.
"""

from __future__ import annotations

import math
import re
from typing import Any

import torch

from .case import Case, Execution, Outputs, Result
from .checks import Tol, dtype_str
from .fixtures import signatures_for
from .mistakes import MISTAKES_BY_ID
from .values import NotATensor

POSITIONS = 6  # values kept per tensor: the positions where the mistake is furthest from the reference
RESEMBLANCE = Tol(rtol=1e-3, atol=1e-5)  # float32 arithmetic against a float64 reference, with room to spare


def _flat(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Plain (non-tensor) outputs, nested dicts flattened to dotted keys."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        elif not isinstance(value, (torch.Tensor, NotATensor)):
            flat[f"{prefix}{key}"] = value
    return flat


def _same_plain(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)
    return a == b


def _far(yours: torch.Tensor, want: torch.Tensor, tol: Tol) -> torch.Tensor:
    """How far each element is from `want`, as a multiple of the tolerance (0 when equal, inf for NaN vs number)."""
    yours, want = yours.detach().double(), want.detach().double()
    same = (yours == want) | (torch.isnan(yours) & torch.isnan(want))
    far = (yours - want).abs() / (tol.atol + tol.rtol * want.abs().nan_to_num(posinf=0))
    return torch.where(same, torch.zeros_like(far), far.nan_to_num(nan=math.inf))


def resemblance(case: Case) -> Tol:
    return case.resemblance or RESEMBLANCE


def signature(mistaken: Outputs, reference: Outputs, tol: Tol, dtypes: dict, reference_dtypes: dict) -> dict:
    """Plain data describing where `mistaken` differs from `reference`. The values may come
    from float64 runs; `dtypes` are the dtypes each had when run on the case's own inputs."""
    meta: dict[str, Any] = {"tensors": {}, "plain": {}}
    for name, value in mistaken.items():
        if not isinstance(value, torch.Tensor):
            continue
        ref, dtype = reference.get(name), dtypes[name]
        spec = {"shape": list(value.shape), "dtype": dtype_str(dtype)}
        if isinstance(ref, torch.Tensor) and ref.shape == value.shape:
            far = _far(value, ref, tol).flatten()
            positions = far.argsort(descending=True)[:POSITIONS]
            positions = positions[far[positions] > 1]
            if len(positions) == 0:
                if dtype == reference_dtypes.get(name):
                    continue
                spec["close_to_reference"] = True  # the values are right, only the dtype is not
            else:
                spec.update(positions=positions.tolist(), values=value.detach().flatten()[positions].double().tolist())
        meta["tensors"][name] = spec
    flat_ref = _flat(reference)
    meta["plain"] = {k: v for k, v in _flat(mistaken).items() if k not in flat_ref or not _same_plain(v, flat_ref[k])}
    return meta


LOCATION = re.compile(r" \(at .*\)$")  # the " (at Linear.forward (file.py:57))" that course.tracebacks.located adds
ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def error_text(message: str) -> str:
    """An error's type and message without where it was raised (the learner's file and line) or memory addresses."""
    return ADDRESS.sub("0x?", LOCATION.sub("", message))


def execution_signature(execution: Execution) -> dict | None:
    """A mistake known by how it stopped or what it did rather than by its outputs, else None.

    A crash is known by the exception's type and message, a failed check by its message, and code that writes
    to its inputs by their names.
    """
    if execution.status == "error":
        return {"error": error_text(execution.message)}
    if not execution.ran:
        return {"message": execution.message}
    if execution.modified_inputs:
        return {"modified_inputs": list(execution.modified_inputs)}
    return None


def fits_signature(execution: Execution, result: Result, meta: dict, tol: Tol, expected: dict) -> bool:
    """Whether a failing Execution is what the known mistake of this signature gives."""
    if meta.keys() & {"error", "message", "modified_inputs"}:
        return execution_signature(execution) == meta
    if result.status != "failed" or not (meta["tensors"] or meta["plain"]):
        return False
    outputs = execution.outputs
    for name, spec in meta["tensors"].items():
        value = outputs.get(name)
        if not isinstance(value, torch.Tensor) or list(value.shape) != spec["shape"]:
            return False
        if dtype_str(value.dtype) != spec["dtype"]:
            return False
        if "positions" in spec:
            yours = value.flatten()[torch.tensor(spec["positions"], dtype=torch.long)]
            if (_far(yours, torch.tensor(spec["values"], dtype=torch.float64), tol) > 1).any():
                return False
        if spec.get("close_to_reference") and (result.case.reference or name in expected):
            # (A case that keeps no reference values judges them itself; there the dtype is what tells.)
            want = expected.get(name)
            want = getattr(want, "value", want)
            if not isinstance(want, torch.Tensor) or want.shape != value.shape or (_far(value, want, tol) > 1).any():
                return False
    flat = _flat(outputs)
    return all(k in flat and _same_plain(flat[k], v) for k, v in meta["plain"].items())


def name_the_mistake(result: Result, execution: Execution, expected: dict) -> Result:
    """Give a failing result the ids of the known mistakes whose signatures its Execution matches."""
    if result.status not in ("failed", "error"):
        return result
    case: Case = result.case
    result.hints = tuple(
        mistake_id for mistake_id, meta in signatures_for(case).items()
        if mistake_id in MISTAKES_BY_ID and fits_signature(execution, result, meta, resemblance(case), expected)
    )
    return result


def confirm(results: list[Result]) -> None:
    """Keep a mistake's hint on a part's results only if it explains all of them it should: every case of the
    part where the mistake has a signature must have failed the way the mistake fails. A hint whose mistake
    would also have failed a case the learner passed, or failed it differently, is dropped everywhere."""
    by_case = {r.case.id: r for r in results}
    candidates = {m for r in results for m in r.hints}
    for mistake_id in candidates:
        expected_in = [r.case for r in results if mistake_id in signatures_for(r.case)]
        if not all(mistake_id in by_case[c.id].hints for c in expected_in):
            for r in results:
                r.hints = tuple(h for h in r.hints if h != mistake_id)
