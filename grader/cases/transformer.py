"""Part 2 cases: the transformer, assembled, up to the block. A row is a part, a name, its inputs, what to call
and how to judge. The language model's cases are in language_model.py, which shares the helpers here.

Points come from course/parts.py. Attention has d_head != d_model and several heads; sequences are shorter
than the context; both presets (gpt: LayerNorm, GELU MLP, learned positions, biases; llama: RMSNorm, SwiGLU,
RoPE, no biases) run through the same cases.
"""

from __future__ import annotations

import torch

from ..case import Case, CaseFailed
from ..checks import all_of, close, describe, expect_tensor
from .inputs import draw, integers, normal, randn
from .judges import (
    DEEP,
    FP16,
    FP32,
    NO_GRAD,
    batch_independent,
    future_does_not_leak,
    has_state_dict,
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
from .shapes import attention_shapes, block_shapes

D_MODEL, HEADS, D_HEAD, CONTEXT, T = 32, 4, 8, 16, 6  # attention and blocks: d_head != d_model
D_FF = 48  # != 4 * d_model
LEAK_ADVICE = " (check the causal mask: True on and below the diagonal)"

CASES: list[Case] = []


def weights(shapes: dict, prefix: str = "") -> dict:
    """Makers of weights at the scale training would leave them (gains near 1, small biases), one per name."""

    def maker(name: str, shape: tuple[int, ...]):
        if name.endswith("bias"):
            return normal(*shape, scale=0.1)
        if len(shape) == 1:  # a norm's gain
            return normal(*shape, scale=0.1, add=1)
        if "embeddings" in name:
            return normal(*shape)
        return normal(*shape, scale=shape[1] ** -0.5)

    return {f"{prefix}{name}": maker(name, shape) for name, shape in shapes.items()}


def unprefixed(prefix: str, inputs: dict) -> dict:
    return {k[len(prefix) :]: v for k, v in inputs.items() if k.startswith(prefix)}


def only(keys, outputs: dict) -> dict:
    """A few gradients stand for all of them (keeps the fixtures small)."""
    return {k: v for k, v in outputs.items() if k in keys}


# -- building the learner's modules ---------------------------------------------------------------
def config(impl, preset: str, **sizes):
    return api(impl, "TransformerConfig").preset(preset, **sizes)


def block_config(impl, preset: str):
    return config(
        impl, preset, vocab_size=29, context_length=CONTEXT, d_model=D_MODEL, num_layers=1, num_heads=HEADS, d_ff=D_FF
    )


def rope(impl, d_k=D_HEAD, max_seq_len=CONTEXT, theta=10000.0):
    return api(impl, "RotaryPositionalEmbedding")(theta, d_k, max_seq_len)


def attention(impl, weights, bias=False, with_rope=False):
    dtype = weights["q_proj.weight"].dtype
    module = api(impl, "MultiHeadSelfAttention")(
        D_MODEL, HEADS, bias=bias, rope=rope(impl) if with_rope else None, dtype=dtype
    )
    return load_weights(module, "MultiHeadSelfAttention", weights)


def block(impl, preset, weights):
    dtype = next(iter(weights.values())).dtype
    cfg = block_config(impl, preset)
    module = api(impl, "TransformerBlock")(cfg, rope=rope(impl) if cfg.positions == "rope" else None, dtype=dtype)
    return load_weights(module, f"TransformerBlock ({preset})", weights)


def with_future_changed(x, start, replacement):
    return torch.cat([x[:, :start], replacement], dim=1)


# -- LayerNorm ---------------------------------------------------------------------------------
def layernorm(impl, weight, bias):
    return load_weights(api(impl, "LayerNorm")(40), "LayerNorm", {"weight": weight, "bias": bias})


def layernorm_parameters(impl):
    module = api(impl, "LayerNorm")(40)
    state = module.state_dict() if isinstance(module, torch.nn.Module) else {}
    return {
        "with_bias": structure(module),
        "without_bias": structure(api(impl, "LayerNorm")(40, bias=False)),
        "weight": state.get("weight"),
        "bias": state.get("bias"),
    }


def layernorm_output(impl, x, weight, bias):
    return {"output": layernorm(impl, weight, bias)(x)}


def layernorm_gradients(impl, x, weight, bias, grad_output):
    return module_gradients(layernorm(impl, weight, bias), x, grad_output)


def offset_rows_at_many_scales(g):
    return randn(g, 3, 5, 40) * 10 ** torch.empty(3, 5, 1).uniform_(-1, 2, generator=g) + 1


GAIN_AND_BIAS = {"weight": normal(40, scale=0.5, add=1), "bias": normal(40, scale=0.5)}

CASES += [
    Case("layernorm", "parameters", run=layernorm_parameters, reference=False, judge=all_of(
        has_state_dict("with_bias", "LayerNorm(40)", {"weight": (40,), "bias": (40,)}),
        has_state_dict("without_bias", "LayerNorm(40, bias=False)", {"weight": (40,)}),
        starts_as("LayerNorm(40)", weight=1, bias=0),
    )),
    Case("layernorm", "forward",  # rows with an offset and many scales
         inputs=draw(x=offset_rows_at_many_scales, **GAIN_AND_BIAS), run=layernorm_output,
         judge=close("output", tol=FP32)),
    Case("layernorm", "backward", inputs=draw(x=normal(3, 5, 40), **GAIN_AND_BIAS, grad_output=normal(3, 5, 40)),
         run=layernorm_gradients, judge=close("x.grad", "weight.grad", "bias.grad", tol=FP32, none_means=NO_GRAD)),
    Case("layernorm", "float16",
         inputs=draw(x=normal(3, 5, 40, scale=100, add=50, dtype=torch.float16), **GAIN_AND_BIAS),
         run=layernorm_output, judge=close("output", tol=FP16), resemblance=FP16),
]


# -- GELU, biases and the classic MLP ------------------------------------------------------------
def gelu_output(impl, x):
    return {"output": api(impl, "gelu")(x)}


def gelu_gradients(impl, x, grad_output):
    return forward_backward(api(impl, "gelu"), grad_output, Grad("x", x))


def biased_linear_output(impl, x, weight, bias):
    module = api(impl, "BiasedLinear")(24, 40, dtype=x.dtype)
    return {"output": load_weights(module, "BiasedLinear", {"weight": weight, "bias": bias})(x)}


def mlp_parameters(impl):
    return {
        "with_bias": structure(api(impl, "GeluMLP")(24, 56)),
        "without_bias": structure(api(impl, "GeluMLP")(24, 56, bias=False)),
    }


def mlp_output_and_gradients(impl, x, grad_output, **w):
    module = load_weights(api(impl, "GeluMLP")(24, 56, dtype=x.dtype), "GeluMLP", unprefixed("w.", w))
    return {"output": module(x), **module_gradients(module, x, grad_output)}


MLP_SHAPES = {"w1.weight": (56, 24), "w1.bias": (56,), "w2.weight": (24, 56), "w2.bias": (24,)}
MLP_GRADS = ("output", "x.grad", "w1.weight.grad", "w1.bias.grad", "w2.weight.grad", "w2.bias.grad")

CASES += [
    Case("gelu", "forward",  # the exact erf form; the tanh approximation is off by up to ~1e-3
         inputs=draw(x=normal(3, 5, 40, scale=3)), run=gelu_output, judge=close("output", tol=FP32)),
    Case("gelu", "backward", inputs=draw(x=normal(3, 5, 40, scale=3), grad_output=normal(3, 5, 40)), run=gelu_gradients,
         judge=close("x.grad", tol=FP32, none_means=NO_GRAD)),
    Case("gelu", "biased_linear", inputs=draw(x=normal(3, 5, 24), weight=normal(40, 24, scale=0.2), bias=normal(40)),
         run=biased_linear_output, judge=close("output", tol=FP32)),
    Case("gelu", "mlp_parameters", run=mlp_parameters, reference=False, judge=all_of(
        has_state_dict("with_bias", "GeluMLP(24, 56)", MLP_SHAPES),
        has_state_dict(
            "without_bias", "GeluMLP(24, 56, bias=False)", {k: v for k, v in MLP_SHAPES.items() if "bias" not in k}
        ),
    )),
    Case("gelu", "mlp_backward",
         inputs=draw(x=normal(3, 5, 24), **weights(MLP_SHAPES, "w."), grad_output=normal(3, 5, 24)),
         run=mlp_output_and_gradients, judge=close(*MLP_GRADS, tol=FP32, none_means=NO_GRAD)),
]


# -- rotary positions ----------------------------------------------------------------------------
def rope_buffers(impl):
    module = rope(impl)
    return {
        "state_dict": list(module.state_dict()),
        "parameters": [n for n, _ in module.named_parameters()],
        "buffers": [n for n, _ in module.named_buffers()],
    }


def buffers_not_in_state_dict(out, _):
    if out.get("state_dict"):
        raise CaseFailed(
            f"RotaryPositionalEmbedding's state dict holds {', '.join(out['state_dict'])}; the cos/sin tables "
            "are derived from theta, not learned: register them with persistent=False."
        )
    if out.get("parameters"):
        raise CaseFailed("RotaryPositionalEmbedding should have no parameters.")
    if not out.get("buffers"):
        raise CaseFailed("RotaryPositionalEmbedding should precompute its cos/sin tables as buffers (register_buffer).")


def rope_output(impl, x, positions):
    return {"output": rope(impl, d_k=16, max_seq_len=32)(x, positions)}


def rope_one_row_of_positions(impl, x):
    return {"output": rope(impl, d_k=16, max_seq_len=32, theta=500.0)(x, torch.arange(5, 5 + T))}


def rope_distance_matrix(impl, q, k):
    r = rope(impl, d_k=q.shape[-1], max_seq_len=32)
    positions = torch.arange(32)
    rq, rk = r(q.expand(32, -1), positions), r(k.expand(32, -1), positions)  # (32, d_k)
    return {"dots": expect_tensor("rope(x, positions)", rq) @ expect_tensor("rope(x, positions)", rk).T}


def depends_only_on_distance(out, _):
    """The property alone: rotated q·k depends on the distance between the positions, and only on it."""
    dots = expect_tensor("dots", out.get("dots"))
    if dots.shape != (32, 32) or not torch.isfinite(dots).all():
        raise CaseFailed(
            f"rope(x, positions) for 32 positions should give 32 rotated vectors; q·k came out as {describe(dots)}."
        )
    shifted = (dots[1:, 1:] - dots[:-1, :-1]).abs().max().item()
    if shifted > 1e-4:
        raise CaseFailed(
            f"rotated q·k changes by up to {shifted:.3g} when both positions move by one: with rotary "
            "embeddings it should depend only on the distance between the positions."
        )
    by_distance = dots[0]  # q at position 0 against k at every position
    if (by_distance - by_distance[0]).abs().max().item() < 1e-3:
        raise CaseFailed("rotated q·k is the same at every distance: the rotation ignores the positions it is given.")


CASES += [
    Case("rope", "buffers",  # cos/sin are derived, not learned: not in the state dict
         run=rope_buffers, judge=buffers_not_in_state_dict, reference=False),
    Case("rope", "forward",  # positions per sequence, in any order
         inputs=draw(x=normal(3, T, 16), positions=integers(32, 3, T)), run=rope_output,
         judge=close("output", tol=FP32)),
    Case("rope", "broadcast_positions",  # x (B, heads, T, d_k) with one (T,) row of positions
         inputs=draw(x=normal(2, 3, T, 16)), run=rope_one_row_of_positions, judge=close("output", tol=FP32)),
    Case("rope", "relative_positions",  # q·k after rotation depends only on the distance m - n
         inputs=draw(q=normal(16), k=normal(16)), run=rope_distance_matrix, judge=depends_only_on_distance),
]


# -- multi-head self-attention -------------------------------------------------------------------
def mhsa_parameters(impl):
    MultiHeadSelfAttention = api(impl, "MultiHeadSelfAttention")
    return {
        "no_bias": structure(MultiHeadSelfAttention(D_MODEL, HEADS)),
        "bias": structure(MultiHeadSelfAttention(D_MODEL, HEADS, bias=True)),
        "rope": structure(MultiHeadSelfAttention(D_MODEL, HEADS, rope=rope(impl))),
    }


def mhsa_output(bias=False, with_rope=False):
    def run(impl, x, **w):
        return {"output": attention(impl, w, bias=bias, with_rope=with_rope)(x)}

    return run


def rope_needs_a_head_dim(impl, x, positions, error: Exception) -> bool:
    """Whether the learner's RoPE, given (B, heads, T, d_head) queries, accepts (B, 1, T) positions and raises this
    very error on (B, T) ones: then attention passed its positions on without a head dim, and the bug is there."""
    q, rotate = torch.zeros(*x.shape[:-1], HEADS, D_HEAD).transpose(-3, -2), rope(impl)
    try:
        rotate(q, positions.unsqueeze(-2))
    except Exception:  # noqa: BLE001 - their RoPE fails on its own: nothing to say about attention
        return False
    try:
        rotate(q, positions)
    except Exception as direct:  # noqa: BLE001
        return type(direct) is type(error) and str(direct) == str(error)
    return False


def mhsa_output_at_positions(impl, x, positions, **w):
    try:
        return {"output": attention(impl, w, with_rope=True)(x, positions)}
    except Exception as error:  # noqa: BLE001 - re-raised unless it is the missing head dim
        if isinstance(error, NotImplementedError) or not rope_needs_a_head_dim(impl, x, positions, error):
            raise
    raise CaseFailed(
        f"MultiHeadSelfAttention passes token_positions of shape {tuple(positions.shape)} (B, T) on to RoPE as they "
        f"are, where they cannot broadcast against the queries' (B, heads, T, d_head) = ({len(x)}, {HEADS}, "
        f"{x.shape[-2]}, {D_HEAD}): give them a head dim first, token_positions.unsqueeze(-2) (or [..., None, :])."
    )


def mhsa_future_changed(impl, x, x_future_changed, **w):
    module = attention(impl, w)
    return {"output": module(x), "output_future_changed": module(x_future_changed)}


def mhsa_others_changed(impl, x, x_others_changed, **w):
    module = attention(impl, w)
    return {"output": module(x), "output_others_changed": module(x_others_changed)}


def mhsa_gradients(impl, x, grad_output, **w):
    return only(ATTENTION_GRADS, module_gradients(attention(impl, w, bias=True), x, grad_output))


def sequence_and_future_changed(g):
    x = randn(g, 2, T, D_MODEL)
    return {"x": x, "x_future_changed": with_future_changed(x, 4, randn(g, 2, T - 4, D_MODEL))}


def batch_and_others_changed(g):
    x = randn(g, 3, T, D_MODEL)
    return {"x": x, "x_others_changed": torch.cat([x[:1], randn(g, 2, T, D_MODEL)])}


def positions_with_gaps(g):
    """Per sequence: a restart, and gaps. Contiguous positions could not be told apart from 0..T-1, since
    attention with RoPE depends only on the distances between them."""
    return torch.tensor([[0, 1, 2, 0, 1, 2], [3, 5, 6, 9, 13, 15]])  # all below the context, 16


def with_weights(make_inputs, shapes: dict, prefix: str = ""):
    """Inputs made by `make_inputs`, then the weights of `shapes` (their names prefixed)."""
    make_weights = draw(**weights(shapes, prefix))
    return lambda g: {**make_inputs(g), **make_weights(g)}


ATTENTION = attention_shapes("", D_MODEL, bias=False)
ATTENTION_WITH_BIAS = attention_shapes("", D_MODEL, bias=True)
ATTENTION_GRADS = ("x.grad", "q_proj.weight.grad", "v_proj.weight.grad", "output_proj.bias.grad")
X = normal(2, T, D_MODEL)

CASES += [
    Case("multihead_attention", "parameters", run=mhsa_parameters, reference=False, judge=all_of(
        has_state_dict("no_bias", f"MultiHeadSelfAttention({D_MODEL}, {HEADS})", ATTENTION),
        has_state_dict("bias", f"MultiHeadSelfAttention({D_MODEL}, {HEADS}, bias=True)", ATTENTION_WITH_BIAS),
        # the tables are not state
        has_state_dict("rope", f"MultiHeadSelfAttention({D_MODEL}, {HEADS}, rope=...)", ATTENTION),
    )),
    Case("multihead_attention", "forward",  # 4 heads of 8: scale by sqrt(8), not sqrt(32)
         inputs=draw(x=X, **weights(ATTENTION_WITH_BIAS)), run=mhsa_output(bias=True), judge=close("output", tol=FP32)),
    Case("multihead_attention", "rope", inputs=draw(x=X, **weights(ATTENTION)), run=mhsa_output(with_rope=True),
         judge=close("output", tol=FP32)),
    Case("multihead_attention", "rope_positions",  # explicit (B, T) positions, with a restart and gaps
         inputs=draw(x=X, positions=positions_with_gaps, **weights(ATTENTION)), run=mhsa_output_at_positions,
         judge=close("output", tol=FP32)),
    Case("multihead_attention", "causal_no_leak", inputs=with_weights(sequence_and_future_changed, ATTENTION),
         run=mhsa_future_changed, judge=future_does_not_leak("output", 4, "input", LEAK_ADVICE)),
    Case("multihead_attention", "batch_independent", inputs=with_weights(batch_and_others_changed, ATTENTION),
         run=mhsa_others_changed, judge=batch_independent("output")),
    Case("multihead_attention", "backward",
         inputs=draw(x=X, **weights(ATTENTION_WITH_BIAS), grad_output=normal(2, T, D_MODEL)), run=mhsa_gradients,
         judge=close(*ATTENTION_GRADS, tol=FP32, none_means=NO_GRAD)),
]


# -- the transformer block -----------------------------------------------------------------------
def block_parameters(impl):
    TransformerBlock = api(impl, "TransformerBlock")
    return {p: structure(TransformerBlock(block_config(impl, p), rope=rope(impl) if p == "llama" else None))
            for p in ("llama", "gpt")}


def block_output(preset: str):
    def run(impl, x, **w):
        return {"output": block(impl, preset, unprefixed("w.", w))(x)}

    return run


def block_gradients(impl, x, grad_output, **w):
    return only(BLOCK_GRADS, module_gradients(block(impl, "gpt", unprefixed("w.", w)), x, grad_output))


BLOCK_GRADS = ("x.grad", "ln1.weight.grad", "attn.q_proj.weight.grad", "attn.output_proj.bias.grad", "ln2.bias.grad",
               "ffn.w2.weight.grad")

CASES += [
    Case("transformer_block", "parameters", run=block_parameters, reference=False, judge=all_of(
        *(has_state_dict(p, f"TransformerBlock ({p})", block_shapes("", p, D_MODEL, D_FF)) for p in ("llama", "gpt")),
    )),
    *(
        Case("transformer_block", f"forward_{preset}",
             inputs=draw(x=X, **weights(block_shapes("", preset, D_MODEL, D_FF), "w.")), run=block_output(preset),
             judge=close("output", tol=DEEP))
        for preset in ("llama", "gpt")
    ),
    Case("transformer_block", "backward",
         inputs=draw(x=X, **weights(block_shapes("", "gpt", D_MODEL, D_FF), "w."), grad_output=normal(2, T, D_MODEL)),
         run=block_gradients, judge=close(*BLOCK_GRADS, tol=DEEP, none_means=NO_GRAD)),
]
