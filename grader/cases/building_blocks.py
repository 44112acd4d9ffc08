"""Part 1 cases: the building blocks. One entry per check; points come from course/parts.py.

Shapes are deliberately awkward: non-square weights, batch dims > 1, d_ff != 4 * d_model,
n_q != n_k, d_k != d_v, softmax over a dim that is not the last.
"""

from __future__ import annotations

import math

import torch

from ..case import Case, CaseFailed
from ..checks import Tol, all_of, expect_close, expect_tensor, matches
from .common import (
    BF16,
    FP16,
    FP32,
    NO_GRAD,
    Grad,
    api,
    forward_backward,
    has_parameters,
    init_statistics,
    load_weights,
    parameter_summary,
    randint,
    randn,
)

# +1000 inputs: one float32 ulp of 1000 is 6e-5, so exp(x - logsumexp(x)), a valid form,
# is off by up to ~1e-4 relative there; an overflow gives inf/NaN, far outside this.
LARGE_INPUTS = Tol(rtol=3e-4, atol=3e-4)

D_IN, D_OUT = 24, 40  # Linear: non-square on purpose (x W vs x W^T)
VOCAB, D_EMB = 50, 24
D_MODEL = 40
D_SWIGLU, D_FF = 24, 56  # SwiGLU: d_ff != 4 * d_model
BATCH = (3, 5)  # (B, T)
LINEAR_INIT = (256, 192)  # linear/init measures a fresh Linear(in, out): large, so its statistics are steady
EMBEDDING_INIT = (512, 96)  # embedding/init measures a fresh Embedding(num, dim)


def linear(impl, weight):
    return load_weights(api(impl, "Linear")(D_IN, D_OUT, dtype=weight.dtype), "Linear", {"weight": weight})


def embedding(impl, weight):
    return load_weights(api(impl, "Embedding")(VOCAB, D_EMB, dtype=weight.dtype), "Embedding", {"weight": weight})


def rmsnorm(impl, weight):
    return load_weights(api(impl, "RMSNorm")(D_MODEL, dtype=weight.dtype), "RMSNorm", {"weight": weight})


def swiglu(impl, w1, w2, w3):
    module = api(impl, "SwiGLU")(D_SWIGLU, D_FF, dtype=w1.dtype)
    return load_weights(module, "SwiGLU", {"w1.weight": w1, "w2.weight": w2, "w3.weight": w3})


def attention_inputs(g, n_q=5, n_k=9, d_k=16, d_v=12):
    return {"q": randn(g, 2, 2, n_q, d_k), "k": randn(g, 2, 2, n_k, d_k), "v": randn(g, 2, 2, n_k, d_v)}


def random_mask(g, n_q=5, n_k=9):
    mask = torch.rand(n_q, n_k, generator=g) < 0.5
    mask[torch.arange(n_q), torch.randint(0, n_k, (n_q,), generator=g)] = True  # no query sees nothing
    return mask


def causal_inputs(g):
    T = 8
    inputs = attention_inputs(g, n_q=T, n_k=T)
    # The same sequence with every key and value from position 4 on replaced.
    inputs["k_future_changed"] = torch.cat([inputs["k"][..., :4, :], randn(g, 2, 2, T - 4, 16)], dim=-2)
    inputs["v_future_changed"] = torch.cat([inputs["v"][..., :4, :], randn(g, 2, 2, T - 4, 12)], dim=-2)
    return inputs


def causal_mask(T=8):
    return torch.ones(T, T, dtype=torch.bool).tril()


def rows_at_many_scales(g):
    x = randn(g, *BATCH, D_MODEL)
    return x * 10 ** torch.empty(*BATCH, 1).uniform_(-3, 2, generator=g)


def swiglu_weights(g):
    return {"w1": randn(g, D_FF, D_SWIGLU, scale=0.2), "w2": randn(g, D_SWIGLU, D_FF, scale=0.15), "w3": randn(g, D_FF, D_SWIGLU, scale=0.2)}


def _fail(message):
    raise CaseFailed(message)


def masked_weights_are_zero(out, expected):
    weights = expect_tensor("weights", out.get("weights"))
    expect_close("weights", weights, expected["weights"], FP32)
    mask = expected["mask"].value.bool().expand_as(weights)
    leaked = weights[~mask]
    if (leaked != 0).any():
        raise CaseFailed(
            f"masked positions got weight up to {leaked.abs().max().item():.3g}; they must get exactly 0 "
            "(set their scores to -inf before the softmax)."
        )


def no_future_leak(out, expected):
    before = expect_tensor("output", out.get("output"))
    after = expect_tensor("output_future_changed", out.get("output_future_changed"))
    expect_close("output", before, expected["output"], FP32)
    if before.shape == after.shape and not torch.allclose(before[..., :4, :], after[..., :4, :], rtol=0, atol=1e-6):
        raise CaseFailed(
            "changing the keys and values at positions 4..7 changed the outputs at positions 0..3: "
            "information leaks from the future through the causal mask."
        )


def default_d_ff(out, _):
    for d_model, d_ff in ((100, 320), (96, 256)):
        has_parameters(
            f"d_model={d_model}",
            f"SwiGLU({d_model}) with d_ff left out",
            {"w1.weight": (d_ff, d_model), "w2.weight": (d_model, d_ff), "w3.weight": (d_ff, d_model)},
        )(out, {})


def call(args) -> str:
    return ", ".join(map(str, args))


def parameters_case(part, name, args, shape, small) -> Case:
    """One parameter, exactly `weight` of `shape`, created in the dtype asked for."""
    small_args, small_shape = small
    return Case(
        part, "parameters",
        run=lambda impl: {
            "float32": parameter_summary(api(impl, name)(*args)),
            "float64": parameter_summary(api(impl, name)(*small_args, dtype=torch.float64)),
        },
        judge=all_of(
            has_parameters("float32", f"{name}({call(args)})", {"weight": shape}),
            has_parameters("float64", f"{name}({call(small_args)}, dtype=torch.float64)", {"weight": small_shape}, dtype="float64"),
        ),
        reference=False,
    )


def init_case(part, name, args, std, shape, seed) -> Case:
    """A large fresh `weight` looks like normal(0, std) cut at ±3 std."""
    return Case(
        part, "init",
        run=lambda impl: {"weight": api(impl, name)(*args).weight},
        judge=init_statistics("weight", f"{name}({call(args)}).weight", std, shape),
        reference=False, seed=seed,
    )


CASES: list[Case] = [
    # -- Linear ------------------------------------------------------------------------------
    parameters_case("linear", "Linear", (D_IN, D_OUT), (D_OUT, D_IN), small=((3, 5), (5, 3))),
    init_case("linear", "Linear", LINEAR_INIT, std=math.sqrt(2 / sum(LINEAR_INIT)), shape=LINEAR_INIT[::-1], seed=1),
    Case(
        "linear", "forward",
        inputs=lambda g: {"x": randn(g, *BATCH, D_IN), "weight": randn(g, D_OUT, D_IN, scale=0.2)},
        run=lambda impl, x, weight: {"output": linear(impl, weight)(x)},
        judge=matches("output", tol=FP32),
    ),
    Case(
        "linear", "backward",
        inputs=lambda g: {"x": randn(g, *BATCH, D_IN), "weight": randn(g, D_OUT, D_IN, scale=0.2), "grad_output": randn(g, *BATCH, D_OUT)},
        run=lambda impl, x, weight, grad_output: forward_backward(m := linear(impl, weight), grad_output, Grad("x", x), module=m),
        judge=matches("x.grad", "weight.grad", tol=FP32, none_means=NO_GRAD),
    ),
    # -- Embedding ---------------------------------------------------------------------------
    parameters_case("embedding", "Embedding", (VOCAB, D_EMB), (VOCAB, D_EMB), small=((7, 3), (7, 3))),
    init_case("embedding", "Embedding", EMBEDDING_INIT, std=1.0, shape=EMBEDDING_INIT, seed=2),
    Case(
        "embedding", "forward",
        inputs=lambda g: {"token_ids": randint(g, VOCAB, 3, 4, 6), "weight": randn(g, VOCAB, D_EMB)},
        run=lambda impl, token_ids, weight: {"output": embedding(impl, weight)(token_ids)},
        judge=matches("output", tol=FP32),
    ),
    Case(
        "embedding", "backward",  # ids repeat: their gradients must add up in the same row
        inputs=lambda g: {"token_ids": randint(g, 9, *BATCH), "weight": randn(g, VOCAB, D_EMB), "grad_output": randn(g, *BATCH, D_EMB)},
        run=lambda impl, token_ids, weight, grad_output: forward_backward(m := embedding(impl, weight), grad_output, token_ids, module=m),
        judge=matches("weight.grad", tol=FP32, none_means=NO_GRAD),
    ),
    # -- RMSNorm -----------------------------------------------------------------------------
    Case(
        "rmsnorm", "parameters",
        run=lambda impl: {
            "float32": parameter_summary(m := api(impl, "RMSNorm")(D_MODEL)),
            "weight": m.weight,
            "float64": parameter_summary(api(impl, "RMSNorm")(3, dtype=torch.float64)),
        },
        judge=all_of(
            has_parameters("float32", "RMSNorm(40)", {"weight": (D_MODEL,)}),
            has_parameters("float64", "RMSNorm(3, dtype=torch.float64)", {"weight": (3,)}, dtype="float64"),
            lambda out, _: None if torch.equal(out["weight"], torch.ones(D_MODEL)) else _fail("RMSNorm.weight should start as all ones."),
        ),
        reference=False,
    ),
    Case(
        "rmsnorm", "forward",  # rows from rms 1e-3 to 1e2: eps must sit inside the square root
        inputs=lambda g: {"x": rows_at_many_scales(g), "weight": 1 + randn(g, D_MODEL, scale=0.5)},
        run=lambda impl, x, weight: {"output": rmsnorm(impl, weight)(x)},
        judge=matches("output", tol=FP32),
    ),
    Case(
        "rmsnorm", "backward",
        inputs=lambda g: {"x": randn(g, *BATCH, D_MODEL), "weight": 1 + randn(g, D_MODEL, scale=0.5), "grad_output": randn(g, *BATCH, D_MODEL)},
        run=lambda impl, x, weight, grad_output: forward_backward(m := rmsnorm(impl, weight), grad_output, Grad("x", x), module=m),
        judge=matches("x.grad", "weight.grad", tol=FP32, none_means=NO_GRAD),
    ),
    Case(
        "rmsnorm", "float16",  # values ~300: squaring them overflows float16 (max 65504)
        inputs=lambda g: {"x": randn(g, *BATCH, D_MODEL, scale=100).half(), "weight": 1 + randn(g, D_MODEL, scale=0.5)},
        run=lambda impl, x, weight: {"output": rmsnorm(impl, weight)(x)},
        judge=matches("output", tol=FP16),
    ),
    Case(
        "rmsnorm", "bfloat16",
        inputs=lambda g: {"x": randn(g, *BATCH, D_MODEL, scale=50).bfloat16(), "weight": 1 + randn(g, D_MODEL, scale=0.5)},
        run=lambda impl, x, weight: {"output": rmsnorm(impl, weight)(x)},
        judge=matches("output", tol=BF16),
    ),
    # -- SiLU --------------------------------------------------------------------------------
    Case(
        "silu", "forward",
        inputs=lambda g: {"x": randn(g, *BATCH, D_MODEL, scale=4)},
        run=lambda impl, x: {"output": api(impl, "silu")(x)},
        judge=matches("output", tol=FP32),
    ),
    Case(
        "silu", "backward",
        inputs=lambda g: {"x": randn(g, *BATCH, D_MODEL, scale=4), "grad_output": randn(g, *BATCH, D_MODEL)},
        run=lambda impl, x, grad_output: forward_backward(api(impl, "silu"), grad_output, Grad("x", x)),
        judge=matches("x.grad", tol=FP32, none_means=NO_GRAD),
    ),
    # -- SwiGLU ------------------------------------------------------------------------------
    Case(
        "swiglu", "parameters",
        run=lambda impl: {"module": parameter_summary(api(impl, "SwiGLU")(D_SWIGLU, D_FF))},
        judge=has_parameters("module", "SwiGLU(24, 56)", {"w1.weight": (D_FF, D_SWIGLU), "w2.weight": (D_SWIGLU, D_FF), "w3.weight": (D_FF, D_SWIGLU)}),
        reference=False,
    ),
    Case(
        "swiglu", "default_d_ff",  # 8/3 * d_model, rounded up to a multiple of 64
        run=lambda impl: {f"d_model={d}": parameter_summary(api(impl, "SwiGLU")(d)) for d in (100, 96)},
        judge=default_d_ff,
        reference=False,
    ),
    Case(
        "swiglu", "forward",
        inputs=lambda g: {"x": randn(g, *BATCH, D_SWIGLU), **swiglu_weights(g)},
        run=lambda impl, x, w1, w2, w3: {"output": swiglu(impl, w1, w2, w3)(x)},
        judge=matches("output", tol=FP32),
    ),
    Case(
        "swiglu", "backward",
        inputs=lambda g: {"x": randn(g, *BATCH, D_SWIGLU), **swiglu_weights(g), "grad_output": randn(g, *BATCH, D_SWIGLU)},
        run=lambda impl, x, w1, w2, w3, grad_output: forward_backward(m := swiglu(impl, w1, w2, w3), grad_output, Grad("x", x), module=m),
        judge=matches("x.grad", "w1.weight.grad", "w2.weight.grad", "w3.weight.grad", tol=FP32, none_means=NO_GRAD),
    ),
    # -- softmax -----------------------------------------------------------------------------
    Case(
        "softmax", "last_dim",
        inputs=lambda g: {"x": randn(g, *BATCH, 11, scale=3)},
        run=lambda impl, x: {"output": api(impl, "softmax")(x, -1)},
        judge=matches("output", tol=FP32),
    ),
    Case(
        "softmax", "middle_dim",
        inputs=lambda g: {"x": randn(g, *BATCH, 11, scale=3)},
        run=lambda impl, x: {"output": api(impl, "softmax")(x, 1)},
        judge=matches("output", tol=FP32),
    ),
    Case(
        "softmax", "large_inputs",  # exp(1000) overflows: subtract the max first
        inputs=lambda g: {"x": randn(g, *BATCH, 11, scale=30) + 1000},
        run=lambda impl, x: {"output": api(impl, "softmax")(x, -1)},
        judge=matches("output", tol=LARGE_INPUTS),
    ),
    Case(
        "softmax", "backward",
        inputs=lambda g: {"x": randn(g, *BATCH, 11, scale=3), "grad_output": randn(g, *BATCH, 11)},
        run=lambda impl, x, grad_output: forward_backward(api(impl, "softmax"), grad_output, Grad("x", x), -1),
        judge=matches("x.grad", tol=FP32, none_means=NO_GRAD),
    ),
    # -- scaled dot-product attention ------------------------------------------------------------
    Case(
        "attention", "no_mask",  # n_q != n_k, d_k != d_v, two batch dims
        inputs=attention_inputs,
        run=lambda impl, q, k, v: {"output": api(impl, "scaled_dot_product_attention")(q, k, v)},
        judge=matches("output", tol=FP32),
    ),
    Case(
        "attention", "mask",  # a (n_q, n_k) mask broadcast over the batch dims
        inputs=lambda g: {**attention_inputs(g), "mask": random_mask(g)},
        run=lambda impl, q, k, v, mask: {"output": api(impl, "scaled_dot_product_attention")(q, k, v, mask)},
        judge=matches("output", tol=FP32),
    ),
    Case(
        "attention", "masked_weights_are_zero",  # with v = identity, the output is the weight matrix
        inputs=lambda g: {"q": randn(g, 2, 2, 5, 16), "k": randn(g, 2, 2, 9, 16), "mask": random_mask(g)},
        run=lambda impl, q, k, mask: {
            "weights": api(impl, "scaled_dot_product_attention")(q, k, torch.eye(9, dtype=q.dtype).expand(2, 2, 9, 9), mask),
            "mask": mask,
        },
        judge=masked_weights_are_zero,
    ),
    Case(
        "attention", "causal_no_leak",
        inputs=causal_inputs,
        run=lambda impl, q, k, v, k_future_changed, v_future_changed: {
            "output": api(impl, "scaled_dot_product_attention")(q, k, v, causal_mask()),
            "output_future_changed": api(impl, "scaled_dot_product_attention")(q, k_future_changed, v_future_changed, causal_mask()),
        },
        judge=no_future_leak,
    ),
    Case(
        "attention", "backward",
        inputs=lambda g: {**attention_inputs(g), "mask": random_mask(g), "grad_output": randn(g, 2, 2, 5, 12)},
        run=lambda impl, q, k, v, mask, grad_output: forward_backward(
            api(impl, "scaled_dot_product_attention"), grad_output, Grad("q", q), Grad("k", k), Grad("v", v), mask),
        judge=matches("q.grad", "k.grad", "v.grad", tol=FP32, none_means=NO_GRAD),
    ),
    # -- cross-entropy -----------------------------------------------------------------------
    Case(
        "cross_entropy", "forward",  # (B, T, V) logits: the mean runs over B and T
        inputs=lambda g: {"logits": randn(g, *BATCH, 11, scale=2), "targets": randint(g, 11, *BATCH)},
        run=lambda impl, logits, targets: {"loss": api(impl, "cross_entropy")(logits, targets)},
        judge=matches("loss", tol=FP32),
    ),
    Case(
        "cross_entropy", "two_dims",
        inputs=lambda g: {"logits": randn(g, 6, 11, scale=2), "targets": randint(g, 11, 6)},
        run=lambda impl, logits, targets: {"loss": api(impl, "cross_entropy")(logits, targets)},
        judge=matches("loss", tol=FP32),
    ),
    Case(
        "cross_entropy", "large_logits",
        inputs=lambda g: {"logits": randn(g, *BATCH, 11, scale=30) + 1000, "targets": randint(g, 11, *BATCH)},
        run=lambda impl, logits, targets: {"loss": api(impl, "cross_entropy")(logits, targets)},
        judge=matches("loss", tol=LARGE_INPUTS),
    ),
    Case(
        "cross_entropy", "backward",
        inputs=lambda g: {"logits": randn(g, *BATCH, 11, scale=2), "targets": randint(g, 11, *BATCH), "grad_output": torch.tensor(1.0)},
        run=lambda impl, logits, targets, grad_output: forward_backward(
            api(impl, "cross_entropy"), grad_output, Grad("logits", logits), targets),
        judge=matches("logits.grad", tol=FP32, none_means=NO_GRAD),
    ),
]
