"""Part 1 cases: the building blocks. A row is a part, a name, its inputs, what to call and how to judge.

Points come from course/parts.py. Shapes are deliberately awkward: non-square weights, batch dims > 1,
d_ff != 4 * d_model, n_q != n_k, d_k != d_v, softmax over a dim that is not the last.
"""

from __future__ import annotations

import math

import torch

from ..case import Case, CaseFailed
from ..checks import Tol, all_of, close, expect_close, expect_tensor
from .inputs import draw, integers, normal, randint, randn
from .judges import (
    BF16,
    FP16,
    FP32,
    NO_GRAD,
    future_does_not_leak,
    has_state_dict,
    init_statistics,
    starts_as,
)
from .learner import (
    Grad,
    api,
    forward_backward,
    load_weights,
    module_gradients,
    structure,
)

# +1000 inputs: one float32 ulp of 1000 is 6e-5, so exp(x - logsumexp(x)), a valid form,
# is off by up to ~1e-4 relative there; an overflow gives inf/NaN, far outside this.
LARGE_INPUTS = Tol(rtol=3e-4, atol=3e-4)

D_IN, D_OUT = 24, 40  # Linear: non-square on purpose (x W vs x W^T)
VOCAB, D_EMB = 50, 24
D_MODEL = 40
D_SWIGLU, D_FF = 24, 56  # SwiGLU: d_ff != 4 * d_model
BATCH = (3, 5)  # (B, T)
N_Q, N_K, D_K, D_V = 5, 9, 16, 12  # attention: n_q != n_k, d_k != d_v
CAUSAL_T, CHANGED_FROM = 8, 4  # the causal case changes keys and values from position 4 on
DEFAULT_D_FF = {100: 320, 96: 256}  # SwiGLU(d_model) with d_ff left out: 8/3 * d_model rounded up to a multiple of 64
LINEAR_INIT = (256, 192)  # linear/init measures a fresh Linear(in, out): large, so its statistics are steady
EMBEDDING_INIT = (512, 96)  # embedding/init measures a fresh Embedding(num, dim)
FAR_BELOW = 200.0  # cross_entropy/unlikely_targets: how far each target's logit is pushed down

CASES: list[Case] = []


# -- building blocks, given their weights ------------------------------------------------------
def linear(impl, weight):
    return load_weights(api(impl, "Linear")(D_IN, D_OUT, dtype=weight.dtype), "Linear", {"weight": weight})


def embedding(impl, weight):
    return load_weights(api(impl, "Embedding")(VOCAB, D_EMB, dtype=weight.dtype), "Embedding", {"weight": weight})


def rmsnorm(impl, weight):
    return load_weights(api(impl, "RMSNorm")(D_MODEL, dtype=weight.dtype), "RMSNorm", {"weight": weight})


def swiglu(impl, w1, w2, w3):
    module = api(impl, "SwiGLU")(D_SWIGLU, D_FF, dtype=w1.dtype)
    return load_weights(module, "SwiGLU", {"w1.weight": w1, "w2.weight": w2, "w3.weight": w3})


def call(args) -> str:
    return ", ".join(map(str, args))


# -- cases that Linear and Embedding share -----------------------------------------------------
def parameters_case(part, name, args, shape, small) -> Case:
    """One parameter, exactly `weight` of `shape`, created in the dtype asked for."""
    small_args, small_shape = small

    def summaries(impl):
        return {
            "float32": structure(api(impl, name)(*args)),
            "float64": structure(api(impl, name)(*small_args, dtype=torch.float64)),
        }

    judge = all_of(
        has_state_dict("float32", f"{name}({call(args)})", {"weight": shape}),
        has_state_dict(
            "float64", f"{name}({call(small_args)}, dtype=torch.float64)", {"weight": small_shape}, dtype="float64"
        ),
    )
    return Case(part, "parameters", run=summaries, judge=judge, reference=False)


def init_case(part, name, args, std, shape, seed) -> Case:
    """A large fresh `weight` looks like normal(0, std) cut at ±3 std."""

    def fresh_weight(impl):
        return {"weight": api(impl, name)(*args).weight}

    judge = init_statistics("weight", f"{name}({call(args)}).weight", std, shape)
    return Case(part, "init", run=fresh_weight, judge=judge, reference=False, seed=seed)


# -- Linear ------------------------------------------------------------------------------------
def linear_output(impl, x, weight):
    return {"output": linear(impl, weight)(x)}


def linear_gradients(impl, x, weight, grad_output):
    return module_gradients(linear(impl, weight), x, grad_output)


X_AND_WEIGHT = {"x": normal(*BATCH, D_IN), "weight": normal(D_OUT, D_IN, scale=0.2)}

CASES += [
    parameters_case("linear", "Linear", (D_IN, D_OUT), (D_OUT, D_IN), small=((3, 5), (5, 3))),
    init_case("linear", "Linear", LINEAR_INIT, std=math.sqrt(2 / sum(LINEAR_INIT)), shape=LINEAR_INIT[::-1], seed=1),
    Case("linear", "forward", inputs=draw(**X_AND_WEIGHT), run=linear_output, judge=close("output", tol=FP32)),
    Case("linear", "backward", inputs=draw(**X_AND_WEIGHT, grad_output=normal(*BATCH, D_OUT)), run=linear_gradients,
         judge=close("x.grad", "weight.grad", tol=FP32, none_means=NO_GRAD)),
]


# -- Embedding ---------------------------------------------------------------------------------
def embedding_output(impl, token_ids, weight):
    return {"output": embedding(impl, weight)(token_ids)}


def embedding_gradients(impl, token_ids, weight, grad_output):
    module = embedding(impl, weight)
    return forward_backward(module, grad_output, token_ids, module=module)


CASES += [
    parameters_case("embedding", "Embedding", (VOCAB, D_EMB), (VOCAB, D_EMB), small=((7, 3), (7, 3))),
    init_case("embedding", "Embedding", EMBEDDING_INIT, std=1.0, shape=EMBEDDING_INIT, seed=2),
    Case("embedding", "forward", inputs=draw(token_ids=integers(VOCAB, 3, 4, 6), weight=normal(VOCAB, D_EMB)),
         run=embedding_output, judge=close("output", tol=FP32)),
    Case("embedding", "backward",  # ids repeat: their gradients must add up in the same row
         inputs=draw(token_ids=integers(9, *BATCH), weight=normal(VOCAB, D_EMB), grad_output=normal(*BATCH, D_EMB)),
         run=embedding_gradients, judge=close("weight.grad", tol=FP32, none_means=NO_GRAD)),
]


# -- RMSNorm -----------------------------------------------------------------------------------
def rmsnorm_parameters(impl):
    module = api(impl, "RMSNorm")(D_MODEL)
    return {
        "float32": structure(module),
        "weight": module.weight,
        "float64": structure(api(impl, "RMSNorm")(3, dtype=torch.float64)),
    }


def rmsnorm_output(impl, x, weight):
    return {"output": rmsnorm(impl, weight)(x)}


def rmsnorm_gradients(impl, x, weight, grad_output):
    return module_gradients(rmsnorm(impl, weight), x, grad_output)


def rows_at_many_scales(g):
    x = randn(g, *BATCH, D_MODEL)
    return x * 10 ** torch.empty(*BATCH, 1).uniform_(-3, 2, generator=g)


GAIN = normal(D_MODEL, scale=0.5, add=1)

CASES += [
    Case("rmsnorm", "parameters", run=rmsnorm_parameters, reference=False, judge=all_of(
        has_state_dict("float32", "RMSNorm(40)", {"weight": (D_MODEL,)}),
        has_state_dict("float64", "RMSNorm(3, dtype=torch.float64)", {"weight": (3,)}, dtype="float64"),
        starts_as("RMSNorm(40)", weight=1),
    )),
    Case("rmsnorm", "forward",  # rows from rms 1e-3 to 1e2: eps must sit inside the square root
         inputs=draw(x=rows_at_many_scales, weight=GAIN), run=rmsnorm_output, judge=close("output", tol=FP32)),
    Case("rmsnorm", "backward",
         inputs=draw(x=normal(*BATCH, D_MODEL), weight=GAIN, grad_output=normal(*BATCH, D_MODEL)),
         run=rmsnorm_gradients, judge=close("x.grad", "weight.grad", tol=FP32, none_means=NO_GRAD)),
    Case("rmsnorm", "float16",  # values ~300: squaring them overflows float16 (max 65504)
         inputs=draw(x=normal(*BATCH, D_MODEL, scale=100, dtype=torch.float16), weight=GAIN),
         run=rmsnorm_output, judge=close("output", tol=FP16), resemblance=FP16),  # low precision: one rounding step
    Case("rmsnorm", "bfloat16", inputs=draw(x=normal(*BATCH, D_MODEL, scale=50, dtype=torch.bfloat16), weight=GAIN),
         run=rmsnorm_output, judge=close("output", tol=BF16), resemblance=BF16),
]


# -- SiLU --------------------------------------------------------------------------------------
def silu_output(impl, x):
    return {"output": api(impl, "silu")(x)}


def silu_gradients(impl, x, grad_output):
    return forward_backward(api(impl, "silu"), grad_output, Grad("x", x))


CASES += [
    Case("silu", "forward", inputs=draw(x=normal(*BATCH, D_MODEL, scale=4)), run=silu_output,
         judge=close("output", tol=FP32)),
    Case("silu", "backward", inputs=draw(x=normal(*BATCH, D_MODEL, scale=4), grad_output=normal(*BATCH, D_MODEL)),
         run=silu_gradients, judge=close("x.grad", tol=FP32, none_means=NO_GRAD)),
]


# -- SwiGLU ------------------------------------------------------------------------------------
def swiglu_parameters(impl):
    return {"module": structure(api(impl, "SwiGLU")(D_SWIGLU, D_FF))}


def swiglu_default_d_ff(impl):
    return {f"d_model={d}": structure(api(impl, "SwiGLU")(d)) for d in DEFAULT_D_FF}


def rounded_up_to_64(out, _):
    for d_model, d_ff in DEFAULT_D_FF.items():
        has_state_dict(
            f"d_model={d_model}",
            f"SwiGLU({d_model}) with d_ff left out",
            {"w1.weight": (d_ff, d_model), "w2.weight": (d_model, d_ff), "w3.weight": (d_ff, d_model)},
        )(out, {})


def swiglu_output(impl, x, w1, w2, w3):
    return {"output": swiglu(impl, w1, w2, w3)(x)}


def swiglu_gradients(impl, x, w1, w2, w3, grad_output):
    return module_gradients(swiglu(impl, w1, w2, w3), x, grad_output)


SWIGLU_INPUTS = {"x": normal(*BATCH, D_SWIGLU), "w1": normal(D_FF, D_SWIGLU, scale=0.2),
                 "w2": normal(D_SWIGLU, D_FF, scale=0.15), "w3": normal(D_FF, D_SWIGLU, scale=0.2)}
SWIGLU_SHAPES = {"w1.weight": (D_FF, D_SWIGLU), "w2.weight": (D_SWIGLU, D_FF), "w3.weight": (D_FF, D_SWIGLU)}

CASES += [
    Case("swiglu", "parameters", run=swiglu_parameters, reference=False,
         judge=has_state_dict("module", "SwiGLU(24, 56)", SWIGLU_SHAPES)),
    Case("swiglu", "default_d_ff",  # 8/3 * d_model, rounded up to a multiple of 64
         run=swiglu_default_d_ff, judge=rounded_up_to_64, reference=False),
    Case("swiglu", "forward", inputs=draw(**SWIGLU_INPUTS), run=swiglu_output, judge=close("output", tol=FP32)),
    Case("swiglu", "backward", inputs=draw(**SWIGLU_INPUTS, grad_output=normal(*BATCH, D_SWIGLU)), run=swiglu_gradients,
         judge=close("x.grad", "w1.weight.grad", "w2.weight.grad", "w3.weight.grad", tol=FP32, none_means=NO_GRAD)),
]


# -- softmax -----------------------------------------------------------------------------------
def softmax_over(dim: int):
    def run(impl, x):
        return {"output": api(impl, "softmax")(x, dim)}

    return run


def softmax_gradients(impl, x, grad_output):
    return forward_backward(api(impl, "softmax"), grad_output, Grad("x", x), -1)


SCORES = normal(*BATCH, 11, scale=3)

CASES += [
    Case("softmax", "last_dim", inputs=draw(x=SCORES), run=softmax_over(-1), judge=close("output", tol=FP32)),
    Case("softmax", "middle_dim", inputs=draw(x=SCORES), run=softmax_over(1), judge=close("output", tol=FP32)),
    Case("softmax", "large_inputs",  # exp(1000) overflows: subtract the max first
         inputs=draw(x=normal(*BATCH, 11, scale=30, add=1000)), run=softmax_over(-1),
         judge=close("output", tol=LARGE_INPUTS)),
    Case("softmax", "backward", inputs=draw(x=SCORES, grad_output=normal(*BATCH, 11)), run=softmax_gradients,
         judge=close("x.grad", tol=FP32, none_means=NO_GRAD)),
]


# -- scaled dot-product attention --------------------------------------------------------------
def random_mask(g):
    mask = torch.rand(N_Q, N_K, generator=g) < 0.5
    mask[torch.arange(N_Q), torch.randint(0, N_K, (N_Q,), generator=g)] = True  # no query sees nothing
    return mask


def causal_inputs(g):
    """A sequence, and the same sequence with every key and value from position 4 on replaced."""
    q, k, v = (randn(g, 2, 2, CAUSAL_T, d) for d in (D_K, D_K, D_V))
    changed = {name: torch.cat([t[..., :CHANGED_FROM, :], randn(g, 2, 2, CAUSAL_T - CHANGED_FROM, t.shape[-1])], dim=-2)
               for name, t in (("k_future_changed", k), ("v_future_changed", v))}
    return {"q": q, "k": k, "v": v, **changed}


def attention_output(impl, q, k, v, mask=None):
    attention = api(impl, "scaled_dot_product_attention")
    return {"output": attention(q, k, v) if mask is None else attention(q, k, v, mask)}


def attention_weights(impl, q, k, mask):
    """With v = identity, the output is the attention weight matrix itself."""
    identity = torch.eye(N_K, dtype=q.dtype).expand(2, 2, N_K, N_K)
    return {"weights": api(impl, "scaled_dot_product_attention")(q, k, identity, mask), "mask": mask}


def masked_weights_are_zero(out, expected):
    weights = expect_tensor("weights", out.get("weights"))
    expect_close("weights", weights, expected["weights"], FP32)
    leaked = weights[~expected["mask"].value.bool().expand_as(weights)]
    if (leaked != 0).any():
        raise CaseFailed(
            f"masked positions got weight up to {leaked.abs().max().item():.3g}; they must get exactly 0 "
            "(set their scores to -inf before the softmax)."
        )


def causal_outputs(impl, q, k, v, k_future_changed, v_future_changed):
    attention, mask = api(impl, "scaled_dot_product_attention"), torch.ones(CAUSAL_T, CAUSAL_T, dtype=torch.bool).tril()
    return {
        "output": attention(q, k, v, mask),
        "output_future_changed": attention(q, k_future_changed, v_future_changed, mask),
    }


def attention_gradients(impl, q, k, v, mask, grad_output):
    attention = api(impl, "scaled_dot_product_attention")
    return forward_backward(attention, grad_output, Grad("q", q), Grad("k", k), Grad("v", v), mask)


QKV = {"q": normal(2, 2, N_Q, D_K), "k": normal(2, 2, N_K, D_K), "v": normal(2, 2, N_K, D_V)}

CASES += [
    Case("attention", "no_mask",  # n_q != n_k, d_k != d_v, two batch dims
         inputs=draw(**QKV), run=attention_output, judge=close("output", tol=FP32)),
    Case("attention", "mask",  # a (n_q, n_k) mask broadcast over the batch dims
         inputs=draw(**QKV, mask=random_mask), run=attention_output, judge=close("output", tol=FP32)),
    Case("attention", "masked_weights_are_zero",
         inputs=draw(q=QKV["q"], k=QKV["k"], mask=random_mask), run=attention_weights, judge=masked_weights_are_zero),
    Case("attention", "causal_no_leak", inputs=causal_inputs, run=causal_outputs,
         judge=future_does_not_leak("output", CHANGED_FROM, "keys and values", " through the causal mask")),
    Case("attention", "backward", inputs=draw(**QKV, mask=random_mask, grad_output=normal(2, 2, N_Q, D_V)),
         run=attention_gradients, judge=close("q.grad", "k.grad", "v.grad", tol=FP32, none_means=NO_GRAD)),
]


# -- cross-entropy -----------------------------------------------------------------------------
def loss(impl, logits, targets):
    return {"loss": api(impl, "cross_entropy")(logits, targets)}


def loss_gradients(impl, logits, targets, grad_output):
    return forward_backward(api(impl, "cross_entropy"), grad_output, Grad("logits", logits), targets)


def one(g):
    return torch.tensor(1.0)


def targets_far_below(g):
    """Each target's logit FAR_BELOW under its own value: its probability, about e^-200, underflows float32 to 0, so
    log(softmax(x)) is inf even with the max subtracted, while logits - logsumexp(logits) stays finite."""
    logits, targets = randn(g, *BATCH, 11, scale=2), randint(g, 11, *BATCH)
    pushed_down = logits.scatter_add(-1, targets[..., None], torch.full((*BATCH, 1), -FAR_BELOW))
    return {"logits": pushed_down, "targets": targets}


LOGITS = {"logits": normal(*BATCH, 11, scale=2), "targets": integers(11, *BATCH)}

CASES += [
    Case("cross_entropy", "forward",  # (B, T, V) logits: the mean runs over B and T
         inputs=draw(**LOGITS), run=loss, judge=close("loss", tol=FP32)),
    Case("cross_entropy", "two_dims", inputs=draw(logits=normal(6, 11, scale=2), targets=integers(11, 6)), run=loss,
         judge=close("loss", tol=FP32)),
    Case("cross_entropy", "large_logits",
         inputs=draw(logits=normal(*BATCH, 11, scale=30, add=1000), targets=integers(11, *BATCH)), run=loss,
         judge=close("loss", tol=LARGE_INPUTS)),
    Case("cross_entropy", "unlikely_targets", inputs=targets_far_below, run=loss, judge=close("loss", tol=FP32)),
    Case("cross_entropy", "backward", inputs=draw(**LOGITS, grad_output=one), run=loss_gradients,
         judge=close("logits.grad", tol=FP32, none_means=NO_GRAD)),
]
