"""Reaching the learner's code from a case: their public names, their modules loaded with given
weights, and autograd run through them. Every call passes the required arguments positionally, in
the documented order, so the learner may name their parameters as they like."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import Tensor, nn

from ..case import CaseFailed, Outputs
from ..checks import dtype_str, expect_shape_dtype, expect_tensor, shape_str


def api(impl: Any, name: str) -> Any:
    try:
        return getattr(impl, name)
    except AttributeError:
        raise CaseFailed(f"your package does not export `{name}`; import it in its __init__.py.") from None


MODULE_INTERNALS = frozenset(vars(nn.Module()))  # nn.Module's own attributes (_modules, _parameters, hooks, ...)


def modules_in_containers(module: nn.Module) -> dict[str, str]:
    """Attributes (dotted names) holding modules in a plain list, tuple or dict, and the container's type:
    nn.Module registers none of what they hold, so those modules' parameters are neither trained nor saved."""
    found = {}
    for prefix, sub in module.named_modules():
        for name, value in vars(sub).items():
            items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
            if name not in MODULE_INTERNALS and any(isinstance(item, nn.Module) for item in items):
                found[f"{prefix}{'.' if prefix else ''}{name}"] = type(value).__name__
    return found


def expect_registered(what: str, containers: dict[str, str]) -> None:
    """Fail on the first plain container of modules, naming the fix."""
    for name, kind in sorted(containers.items()):
        fix = "nn.ModuleDict" if kind == "dict" else "nn.ModuleList"
        raise CaseFailed(
            f"{what}.{name} is a plain Python {kind} of modules, which nn.Module does not look into: their "
            f"parameters are missing from the state dict and from model.parameters(), never trained or saved. Make it "
            f"an {fix}."
        )


def load_weights(module: Any, what: str, weights: dict[str, Tensor]) -> Any:
    """Copy `weights` into the module's parameters, which must have exactly these names and shapes."""
    if not isinstance(module, nn.Module):
        raise CaseFailed(f"{what} should be a torch.nn.Module, but it is a {type(module).__name__}.")
    expect_registered(what, modules_in_containers(module))
    state = module.state_dict(keep_vars=True)
    expect_names(what, documented=weights, found=state)
    with torch.no_grad():
        for name in state:  # in the module's own order: the stored weights come back in another one
            value = weights[name]
            if tuple(state[name].shape) != tuple(value.shape):
                raise CaseFailed(
                    f"{what}.{name} has shape {shape_str(state[name])} but should have shape {shape_str(value)}."
                )
            state[name].copy_(value)
    return module


def expect_names(what: str, documented, found) -> None:
    """The state dict's names are exactly the documented ones; else the missing and the unexpected ones, sorted."""
    missing, unexpected = sorted(set(documented) - set(found)), sorted(set(found) - set(documented))
    if missing or unexpected:
        wrong = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unexpected {', '.join(unexpected)}"] if unexpected else []
        )
        raise CaseFailed(f"{what}'s state dict should hold exactly the documented names; {'; '.join(wrong)}.")


def structure(module: Any) -> dict[str, Any]:
    """What a module holds, as plain data: its state dict's names, shapes and dtypes, which of them are
    parameters, and what was never registered: plain tensors attached as attributes, and modules kept in plain
    containers (attribute -> list, tuple or dict)."""
    if not isinstance(module, nn.Module):
        return {"module": type(module).__name__}
    plain = sorted(
        f"{prefix}{'.' if prefix else ''}{name}"
        for prefix, sub in module.named_modules()
        for name, value in vars(sub).items()
        if isinstance(value, Tensor) and not isinstance(value, nn.Parameter)
    )
    return {
        "module": "Module",
        "state_dict": {name: [list(t.shape), dtype_str(t.dtype)] for name, t in module.state_dict().items()},
        "parameters": sorted(name for name, _ in module.named_parameters()),
        "plain_tensors": plain,
        "module_containers": modules_in_containers(module),
    }


@dataclass(frozen=True)
class Grad:
    """An argument to differentiate with respect to; its gradient comes back as `<name>.grad`."""

    name: str
    value: Tensor


def forward_backward(
    fn: Callable[..., Any], grad_output: Tensor, *args: Any, module: nn.Module | None = None
) -> Outputs:
    """Gradients of <fn(*args), grad_output> with respect to the `Grad` arguments and the module's parameters."""
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


def module_gradients(module: nn.Module, x: Tensor, grad_output: Tensor) -> Outputs:
    """Gradients of a module's output with respect to its input `x` and its parameters."""
    return forward_backward(module, grad_output, Grad("x", x), module=module)


def raised(fn) -> dict:
    """What calling fn raised, as plain data (the worker must not crash on the learner's error)."""
    try:
        fn()
    except NotImplementedError:
        raise  # an unfinished stub is reported as such
    except Exception as exc:  # noqa: BLE001 - any exception is an answer here
        return {"raised": type(exc).__name__, "message": str(exc)}
    return {"raised": None, "message": ""}


def as_number(what: str, value) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CaseFailed(f"{what} should return a number (a float), not {type(value).__name__}.")
    return float(value)
