"""Helpers the case tables share: making inputs, reaching the learner's API, running autograd."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import Tensor, nn

from ..case import CaseFailed, Outputs
from ..checks import Tol, expect_shape_dtype, expect_tensor, shape_str

# Tolerances, from evidence (selftests/ runs every valid variant and every known mistake):
# float32 computation judged against a float64 reference.
FP32 = Tol(rtol=2e-5, atol=2e-6)
FP16 = Tol(rtol=2e-3, atol=1e-6)  # one fp16 rounding step (2^-10) either way
BF16 = Tol(rtol=1.6e-2, atol=1e-6)  # one bf16 rounding step (2^-7) either way

TRUNC_3SIGMA_STD = math.sqrt(1 - 6 * math.exp(-4.5) / math.sqrt(2 * math.pi) / math.erf(3 / math.sqrt(2)))
"""The std of a normal cut at ±3σ, as a fraction of σ (about 0.9866)."""


# -- inputs ---------------------------------------------------------------------------------
def randn(g: torch.Generator, *shape: int, scale: float = 1.0) -> Tensor:
    return torch.randn(*shape, generator=g) * scale


def randint(g: torch.Generator, high: int, *shape: int) -> Tensor:
    return torch.randint(0, high, shape, generator=g)


# -- reaching the learner's code ------------------------------------------------------------
def api(impl: Any, name: str) -> Any:
    try:
        return getattr(impl, name)
    except AttributeError:
        raise CaseFailed(f"your package does not export `{name}`; import it in its __init__.py.") from None


def load_weights(module: Any, what: str, weights: dict[str, Tensor]) -> Any:
    """Copy `weights` into the module's parameters, which must have exactly these names and shapes."""
    if not isinstance(module, nn.Module):
        raise CaseFailed(f"{what} should be a torch.nn.Module, but it is a {type(module).__name__}.")
    state = module.state_dict(keep_vars=True)
    if set(state) != set(weights):
        have = ", ".join(f"`{k}`" for k in state) or "none"
        want = ", ".join(f"`{k}`" for k in weights)
        raise CaseFailed(f"{what} should hold exactly {want} in its state dict, but it holds {have}.")
    with torch.no_grad():
        for name, value in weights.items():
            if tuple(state[name].shape) != tuple(value.shape):
                raise CaseFailed(f"{what}.{name} has shape {shape_str(state[name])} but should have shape {shape_str(value)}.")
            state[name].copy_(value)
    return module


def parameter_summary(module: Any) -> dict[str, Any]:
    """Names, shapes and dtypes of a module's parameters, and plain tensors posing as weights."""
    if not isinstance(module, nn.Module):
        return {"module": type(module).__name__}
    params = {n: [list(p.shape), str(p.dtype).removeprefix("torch.")] for n, p in module.named_parameters()}
    plain = [n for n, v in vars(module).items() if isinstance(v, Tensor) and not isinstance(v, nn.Parameter)]
    return {"module": "Module", "parameters": params, "plain_tensors": plain}


@dataclass(frozen=True)
class Grad:
    """An argument to differentiate with respect to; its gradient comes back as `<name>.grad`."""

    name: str
    value: Tensor


def forward_backward(fn: Callable[..., Any], grad_output: Tensor, *args: Any, module: nn.Module | None = None) -> Outputs:
    """Gradients of <fn(*args), grad_output> with respect to the `Grad` arguments and the module's parameters.

    Every argument is passed positionally, in the documented order, so the learner may name them as they like.
    """
    leaves = {a.name: a.value.detach().clone().requires_grad_(True) for a in args if isinstance(a, Grad)}
    y = expect_tensor("output", fn(*(leaves[a.name] if isinstance(a, Grad) else a for a in args)))
    expect_shape_dtype("output", y, tuple(grad_output.shape), None)
    if y.grad_fn is None:
        raise CaseFailed(
            "your output is not connected to the inputs by autograd (it has no grad_fn): "
            "avoid .detach(), .data, .item() and torch.tensor(...) on intermediate values."
        )
    y.backward(grad_output.to(y.dtype))
    grads = {f"{k}.grad": leaf.grad for k, leaf in leaves.items()}
    if module is not None:
        grads.update({f"{n}.grad": p.grad for n, p in module.named_parameters()})
    return grads


NO_GRAD = "no gradient reached it; is it an nn.Parameter, and is every step differentiable?"


# -- judging structure ----------------------------------------------------------------------
def has_parameters(key: str, what: str, expected: dict[str, tuple[int, ...]], dtype: str = "float32") -> Callable[[Outputs, Outputs], None]:
    """Judge: `out[key]` (a parameter_summary) lists exactly these parameters."""

    def judge(out: Outputs, _: Outputs) -> None:
        summary = out.get(key)
        if not isinstance(summary, dict) or summary.get("module") != "Module":
            raise CaseFailed(f"{what} should be a torch.nn.Module.")
        params = summary["parameters"]
        for name in summary["plain_tensors"]:
            if name in expected:
                raise CaseFailed(f"{what}.{name} is a plain tensor; wrap it in nn.Parameter so it is registered and trained.")
        if set(params) != set(expected):
            have = ", ".join(f"`{n}`" for n in params) or "none"
            want = ", ".join(f"`{n}`" for n in expected)
            raise CaseFailed(f"{what} should have exactly the parameters {want}, but it has {have}.")
        for name, shape in expected.items():
            got_shape, got_dtype = params[name]
            if tuple(got_shape) != tuple(shape):
                raise CaseFailed(f"{what}.{name} has shape {tuple(got_shape)} but should have shape {tuple(shape)}.")
            if got_dtype != dtype:
                raise CaseFailed(f"{what}.{name} has dtype {got_dtype} but should be {dtype}: pass the `dtype` (and `device`) arguments on to torch when you create it.")

    return judge


def init_statistics(key: str, what: str, std: float, shape: tuple[int, ...]) -> Callable[[Outputs, Outputs], None]:
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
            raise CaseFailed(f"{what} has values up to {got_max / std:.2f} std; they should be cut at ±3 std = ±{3 * std:.4g}.")
        if abs(got_mean) > 6 * target / math.sqrt(n):
            raise CaseFailed(f"{what} has mean {got_mean:.3g}; it should be centred on 0.")

    return judge
