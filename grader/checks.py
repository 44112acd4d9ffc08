"""Judging helpers. Each raises CaseFailed with a message written for the learner.

A mismatch message reads: shape and dtype first, then the largest absolute and relative
errors, the worst element, how much is out of tolerance, and any NaN/Inf.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch

from .case import CaseFailed, Outputs
from .values import NotATensor


@dataclass(frozen=True)
class Tol:
    """|yours - expected| <= atol + rtol * |expected|, elementwise."""

    rtol: float
    atol: float

    def __str__(self) -> str:
        return f"atol {self.atol:g} + rtol {self.rtol:g} x |expected|"


@dataclass(frozen=True)
class Expected:
    """A reference tensor: its values (float64 where computed so) and the dtype yours must have."""

    value: torch.Tensor
    dtype: torch.dtype


def as_expected(values: dict[str, Any], dtypes: dict[str, torch.dtype]) -> dict[str, Any]:
    """Reference outputs for judging: tensors wrapped with the dtype the learner's must have."""
    return {k: Expected(v, dtypes.get(k, v.dtype)) if isinstance(v, torch.Tensor) else v for k, v in values.items()}


def shape_str(t: torch.Tensor) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def dtype_str(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def describe(value: Any) -> str:
    if isinstance(value, NotATensor):
        return f"a {value.type_name}: {value.text}"
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {shape_str(value)} and dtype {dtype_str(value.dtype)}"
    return f"a {type(value).__name__}: {value!r}"


def expect_tensor(name: str, value: Any, *, none_means: str = "") -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    if value is None:
        raise CaseFailed(f"`{name}` is None" + (f": {none_means}" if none_means else "; expected a torch.Tensor."))
    raise CaseFailed(f"`{name}` should be a torch.Tensor, but it is {describe(value)}.")


def expect_shape_dtype(name: str, actual: torch.Tensor, shape: tuple[int, ...], dtype: torch.dtype | None) -> None:
    if tuple(actual.shape) != tuple(shape):
        want = "(" + ", ".join(str(s) for s in shape) + ")"
        raise CaseFailed(f"`{name}` has shape {shape_str(actual)} but should have shape {want}.")
    if dtype is not None and actual.dtype != dtype:
        raise CaseFailed(f"`{name}` has dtype {dtype_str(actual.dtype)} but should be {dtype_str(dtype)}.")


def _index_str(flat_index: int, shape: torch.Size) -> str:
    if len(shape) == 0:
        return ""
    coords = []
    for size in reversed(shape):
        coords.append(flat_index % size)
        flat_index //= size
    return "[" + ", ".join(str(c) for c in reversed(coords)) + "]"


def _num(x: float) -> str:
    return f"{x:.6g}"


def expect_close(name: str, actual: Any, expected: Expected, tol: Tol, *, none_means: str = "") -> None:
    """Shape, then dtype, then values within tolerance (NaN never matches a number)."""
    t = expect_tensor(name, actual, none_means=none_means)
    want = expected.value
    expect_shape_dtype(name, t, tuple(want.shape), expected.dtype)
    if t.dtype == torch.bool or not (t.is_floating_point() or want.is_floating_point()):
        mismatch = t.to("cpu") != want.to(t.dtype)
        if mismatch.any():
            first = int(mismatch.flatten().nonzero()[0])
            raise CaseFailed(
                f"`{name}` differs from the reference at {mismatch.sum().item()} of {t.numel()} elements; "
                f"first at {name}{_index_str(first, t.shape)}: yours {t.flatten()[first].item()}, "
                f"expected {want.flatten()[first].item()}."
            )
        return
    yours = t.detach().to("cpu", torch.float64)
    ref = want.to(torch.float64)
    diff = (yours - ref).abs()
    same = (yours == ref) | (torch.isnan(yours) & torch.isnan(ref))  # equal infinities, both NaN
    bad = ~((diff <= tol.atol + tol.rtol * ref.abs()) | same)
    if not bad.any():
        return
    diff = torch.where(same, torch.zeros_like(diff), diff)
    diff = torch.nan_to_num(diff, nan=float("inf"))
    rel = diff / ref.abs()
    rel = torch.where(diff == 0, torch.zeros_like(rel), rel)
    worst = int(torch.argmax(torch.where(bad, diff, torch.full_like(diff, -1.0))))
    n_bad, n = int(bad.sum()), t.numel()
    n_nan, n_inf = int(torch.isnan(yours).sum()), int(torch.isinf(yours).sum())
    lines = [
        f"`{name}` does not match the reference.",
        f"  shape {shape_str(t)} and dtype {dtype_str(t.dtype)}: as expected",
        f"  max abs error {diff.max().item():.3g}, max rel error {rel.max().item():.3g} (allowed: {tol})",
        f"  worst element {name}{_index_str(worst, t.shape)}: yours {_num(yours.flatten()[worst].item())}, "
        f"expected {_num(ref.flatten()[worst].item())}",
        f"  {n_bad} of {n} elements ({100 * n_bad / n:.1f}%) out of tolerance",
    ]
    if n_nan or n_inf:
        lines.append(f"  your output has {n_nan} NaN and {n_inf} Inf values")
    raise CaseFailed("\n".join(lines))


Judge = Callable[[Outputs, Outputs], None]


def close(*names: str, tol: Tol, none_means: str = "") -> Judge:
    """Judge: each named output matches the reference's within `tol`."""

    def judge(out: Outputs, expected: Outputs) -> None:
        for name in names:
            expect_close(name, out.get(name), expected[name], tol, none_means=none_means)

    return judge


def all_of(*judges: Judge) -> Judge:
    def judge(out: Outputs, expected: Outputs) -> None:
        for j in judges:
            j(out, expected)

    return judge
