"""Judging helpers the case tables share: tolerances, and judges of structure and properties.

Tolerances come from evidence: selftests/ runs every valid variant and every known mistake.
"""

from __future__ import annotations

import math

import torch

from ..case import CaseFailed, Outputs
from ..checks import Judge, Tol, expect_shape_dtype, expect_tensor
from .learner import expect_names, expect_registered

# float32 computation judged against a float64 reference.
FP32 = Tol(rtol=2e-5, atol=2e-6)
FP16 = Tol(rtol=2e-3, atol=1e-6)  # one fp16 rounding step (2^-10) either way
BF16 = Tol(rtol=1.6e-2, atol=1e-6)  # one bf16 rounding step (2^-7) either way
DEEP = Tol(rtol=1e-4, atol=1e-5)  # whole blocks and models sum many float32 products; still tight for float32
SAME = 1e-6  # "unchanged": the same positions computed twice by the learner's own code

TRUNC_3SIGMA_STD = math.sqrt(1 - 6 * math.exp(-4.5) / math.sqrt(2 * math.pi) / math.erf(3 / math.sqrt(2)))
"""The std of a normal cut at ±3σ, as a fraction of σ (about 0.9866)."""

CLAMPED_SHARE = math.erfc(3 / math.sqrt(2))
"""The share of a normal sample beyond ±3σ (about 0.27%): clamping piles it onto the two bounds."""
AT_BOUND = 1e-6  # relative: a value this close to ±3 std sits on the bound (a truncated normal puts ~1e-4 values there)
MOST_AT_BOUND = 5  # more values on the bounds than this: clamped, not truncated

NO_GRAD = "no gradient reached it; is it an nn.Parameter, and is every step differentiable?"


# -- structure and initialisation -----------------------------------------------------------
def has_state_dict(key: str, what: str, shapes: dict[str, tuple[int, ...]], dtype: str = "float32") -> Judge:
    """Judge: `out[key]` (a learner.structure) holds exactly these names, with these shapes, as parameters of
    `dtype`."""

    def judge(out: Outputs, _: Outputs) -> None:
        found = out.get(key)
        if not isinstance(found, dict) or found.get("module") != "Module":
            raise CaseFailed(f"{what} should be a torch.nn.Module.")
        expect_registered(what, found["module_containers"])
        state, plain = found["state_dict"], found["plain_tensors"]
        unregistered = sorted(set(shapes) & set(plain))
        if unregistered:
            raise CaseFailed(
                f"{what}.{unregistered[0]} is a plain tensor; wrap it in nn.Parameter so it is registered and trained."
            )
        expect_names(what, documented=shapes, found=state)
        for name, shape in shapes.items():
            got_shape, got_dtype = state[name]
            if name not in found["parameters"]:
                raise CaseFailed(
                    f"{what}.{name} is a buffer, not a parameter: wrap it in nn.Parameter so it is trained."
                )
            if tuple(got_shape) != tuple(shape):
                raise CaseFailed(f"{what}.{name} has shape {tuple(got_shape)} but should have shape {tuple(shape)}.")
            if got_dtype != dtype:
                raise CaseFailed(f"{what}.{name} has dtype {got_dtype} but should be {dtype}: "
                                 "pass the `dtype` (and `device`) arguments on to torch when you create it.")

    return judge


def starts_as(what: str, **values: float) -> Judge:
    """Judge: each named output tensor starts with every element equal to its value (a gain of ones, a bias of
    zeros)."""

    def judge(out: Outputs, _: Outputs) -> None:
        for name, value in values.items():
            t = out.get(name)
            if not isinstance(t, torch.Tensor) or not (t == value).all():
                raise CaseFailed(f"{what}.{name} should start as all {value:g}s.")

    return judge


def init_statistics(key: str, what: str, std: float, shape: tuple[int, ...]) -> Judge:
    """Judge: the weights look like a normal(0, std) sample cut at ±3 std."""

    def judge(out: Outputs, _: Outputs) -> None:
        w = expect_tensor(key, out.get(key))
        expect_shape_dtype(key, w, shape, None)
        w = w.double()
        n = w.numel()
        target = std * TRUNC_3SIGMA_STD
        if not torch.isfinite(w).all():
            raise CaseFailed(f"{what} contains NaN or Inf right after initialisation.")
        got_std, got_max, got_mean = w.std().item(), w.abs().max().item(), w.mean().item()
        if abs(got_std / target - 1) > 0.03:
            raise CaseFailed(
                f"{what} has standard deviation {got_std:.4g} but should have about {target:.4g} "
                f"(std {std:.4g}, slightly less once cut at ±3 std)."
            )
        if got_max > 3 * std * (1 + 1e-6):
            raise CaseFailed(
                f"{what} has values up to {got_max / std:.2f} std; they should be cut at ±3 std = ±{3 * std:.4g}."
            )
        on_bounds = int(((w.abs() - 3 * std).abs() <= AT_BOUND * 3 * std).sum())
        if on_bounds > MOST_AT_BOUND:
            raise CaseFailed(
                f"{what} has {on_bounds} values ({on_bounds / n:.2%}) exactly at ±3 std = ±{3 * std:.4g}: the sample "
                f"was clamped, which moves the {CLAMPED_SHARE:.2%} of a normal beyond ±3 std onto the bounds. "
                "Truncate instead, so that no value is drawn beyond them: "
                "nn.init.trunc_normal_(w, std=std, a=-3 * std, b=3 * std)."
            )
        if abs(got_mean) > 6 * target / math.sqrt(n):
            raise CaseFailed(f"{what} has mean {got_mean:.3g}; it should be centred on 0.")

    return judge


# -- properties -------------------------------------------------------------------------------
def unchanged(before: torch.Tensor, after: torch.Tensor, where, what: str) -> None:
    if before.shape != after.shape or not torch.allclose(before[where], after[where], rtol=0, atol=SAME):
        raise CaseFailed(what)


def future_does_not_leak(key: str, start: int, changed: str, advice: str = "") -> Judge:
    """Judge the property alone: `<key>_future_changed` (the same run with the inputs at positions `start` and later
    replaced) equals `key` at the positions before `start` (the second-to-last dim). The values themselves are
    judged by the case's forward cases."""

    def judge(out: Outputs, _: Outputs) -> None:
        before = expect_tensor(key, out.get(key))
        after = expect_tensor(f"{key}_future_changed", out.get(f"{key}_future_changed"))
        unchanged(before, after, (..., slice(0, start), slice(None)),
                  f"changing the {changed} at positions {start} and later changed `{key}` at positions 0..{start - 1}: "
                  f"information leaks from the future{advice}.")

    return judge


def batch_independent(key: str) -> Judge:
    """Judge the property alone: `<key>_others_changed` (the other sequences of the batch replaced) equals `key`
    for sequence 0."""

    def judge(out: Outputs, _: Outputs) -> None:
        before = expect_tensor(key, out.get(key))
        other = expect_tensor(f"{key}_others_changed", out.get(f"{key}_others_changed"))
        unchanged(before, other, (0,),
                  "changing the other sequences in the batch changed the output for sequence 0: "
                  "sequences must not mix (attend over positions within a sequence, never across the batch).")

    return judge
