"""Part 2 cases: the transformer, assembled. Points come from course/parts.py.

Attention has d_head != d_model and several heads; sequences are shorter than the context;
both presets (gpt: LayerNorm, GELU MLP, learned positions, biases; llama: RMSNorm, SwiGLU,
RoPE, no biases) run through the same cases.
"""

from __future__ import annotations

import torch

from ..case import Case, CaseFailed
from ..checks import Tol, all_of, close, expect_close, expect_tensor
from .common import FP16, FP32, NO_GRAD, Grad, api, forward_backward, load_weights, randint, randn

# Whole blocks and models sum many float32 products; still a tight bound for float32.
DEEP = Tol(rtol=1e-4, atol=1e-5)
SAME = 1e-6  # "unchanged": the same positions computed twice by the learner's own code

D_MODEL, HEADS, D_HEAD, CONTEXT, T = 32, 4, 8, 16, 6  # attention and blocks: d_head != d_model
D_FF = 48  # != 4 * d_model
LM = {"vocab_size": 29, "context_length": 16, "d_model": 16, "num_layers": 2, "num_heads": 4, "d_ff": 40}
LM_T = 11  # shorter than the context
SEED_GPT = {"vocab_size": 65, "context_length": 8, "d_model": 64, "num_layers": 4, "num_heads": 4, "d_ff": 256}
SEED_GPT_PARAMETERS = 208_193  # the small GPT of Karpathy's "Let's build GPT" lecture


# -- state-dict names and shapes, which the checks pin down --------------------------------------
def norm_shapes(prefix: str, d: int, gpt: bool) -> dict:
    return {f"{prefix}weight": (d,), **({f"{prefix}bias": (d,)} if gpt else {})}


def attention_shapes(prefix: str, d: int, bias: bool) -> dict:
    shapes = {f"{prefix}{p}_proj.weight": (d, d) for p in ("q", "k", "v", "output")}
    return {**shapes, **({f"{prefix}output_proj.bias": (d,)} if bias else {})}


def block_shapes(prefix: str, preset: str, d: int, d_ff: int) -> dict:
    gpt = preset == "gpt"
    ffn = (
        {"w1.weight": (d_ff, d), "w1.bias": (d_ff,), "w2.weight": (d, d_ff), "w2.bias": (d,)}
        if gpt
        else {"w1.weight": (d_ff, d), "w2.weight": (d, d_ff), "w3.weight": (d_ff, d)}
    )
    return {
        **norm_shapes(f"{prefix}ln1.", d, gpt),
        **attention_shapes(f"{prefix}attn.", d, gpt),
        **norm_shapes(f"{prefix}ln2.", d, gpt),
        **{f"{prefix}ffn.{k}": v for k, v in ffn.items()},
    }


def lm_shapes(preset: str) -> dict:
    gpt, d, vocab = preset == "gpt", LM["d_model"], LM["vocab_size"]
    shapes = {"token_embeddings.weight": (vocab, d)}
    if gpt:
        shapes["position_embeddings.weight"] = (LM["context_length"], d)
    for i in range(LM["num_layers"]):
        shapes.update(block_shapes(f"layers.{i}.", preset, d, LM["d_ff"]))
    shapes.update(norm_shapes("ln_final.", d, gpt))
    shapes["lm_head.weight"] = (vocab, d)
    if gpt:
        shapes["lm_head.bias"] = (vocab,)
    return shapes


def random_weights(g, shapes: dict) -> dict:
    """Weights at the scale training would leave them: gains near 1, small biases."""
    weights = {}
    for name, shape in shapes.items():
        if name.endswith("bias"):
            weights[name] = randn(g, *shape, scale=0.1)
        elif len(shape) == 1:  # a norm's gain
            weights[name] = 1 + randn(g, *shape, scale=0.1)
        elif "embeddings" in name:
            weights[name] = randn(g, *shape)
        else:
            weights[name] = randn(g, *shape, scale=shape[1] ** -0.5)
    return weights


ATTENTION_GRADS = ("x.grad", "q_proj.weight.grad", "v_proj.weight.grad", "output_proj.bias.grad")
BLOCK_GRADS = ("x.grad", "ln1.weight.grad", "attn.q_proj.weight.grad", "attn.output_proj.bias.grad", "ln2.bias.grad", "ffn.w2.weight.grad")


def only(keys, outputs: dict) -> dict:
    """A few gradients stand for all of them (keeps the fixtures small)."""
    return {k: v for k, v in outputs.items() if k in keys}


def prefixed(prefix: str, weights: dict) -> dict:
    return {f"{prefix}{k}": v for k, v in weights.items()}


def unprefixed(prefix: str, inputs: dict) -> dict:
    return {k[len(prefix) :]: v for k, v in inputs.items() if k.startswith(prefix)}


# -- building the learner's modules ---------------------------------------------------------------
def config(impl, preset: str, **sizes):
    return api(impl, "TransformerConfig").preset(preset, **sizes)


def block_config(impl, preset: str):
    return config(impl, preset, vocab_size=29, context_length=CONTEXT, d_model=D_MODEL, num_layers=1, num_heads=HEADS, d_ff=D_FF)


def rope(impl, d_k=D_HEAD, max_seq_len=CONTEXT, theta=10000.0):
    return api(impl, "RotaryPositionalEmbedding")(theta, d_k, max_seq_len)


def attention(impl, weights, bias=False, with_rope=False):
    dtype = weights["q_proj.weight"].dtype
    module = api(impl, "MultiHeadSelfAttention")(D_MODEL, HEADS, bias=bias, rope=rope(impl) if with_rope else None, dtype=dtype)
    return load_weights(module, "MultiHeadSelfAttention", weights)


def block(impl, preset, weights):
    dtype = next(iter(weights.values())).dtype
    cfg = block_config(impl, preset)
    module = api(impl, "TransformerBlock")(cfg, rope=rope(impl) if cfg.positions == "rope" else None, dtype=dtype)
    return load_weights(module, f"TransformerBlock ({preset})", weights)


def lm(impl, preset, weights):
    dtype = weights["token_embeddings.weight"].dtype
    return load_weights(api(impl, "TransformerLM")(config(impl, preset, **LM), dtype=dtype), f"TransformerLM ({preset})", weights)


def state_dict_summary(module) -> dict:
    if not isinstance(module, torch.nn.Module):
        raise CaseFailed(f"expected a torch.nn.Module, got a {type(module).__name__}")
    return {name: list(t.shape) for name, t in module.state_dict().items()}


# -- inputs ------------------------------------------------------------------------------------
def attention_weights(g, bias=False):
    return random_weights(g, attention_shapes("", D_MODEL, bias))


def with_future_changed(x, start, replacement):
    return torch.cat([x[:, :start], replacement], dim=1)


def tokens_with_future_changed(g):
    idx = randint(g, LM["vocab_size"], 2, LM_T)
    return {"idx": idx, "idx_future_changed": with_future_changed(idx, 6, randint(g, LM["vocab_size"], 2, LM_T - 6))}


# -- judges ------------------------------------------------------------------------------------
def unchanged(before, after, where, what):
    if before.shape != after.shape or not torch.allclose(before[where], after[where], rtol=0, atol=SAME):
        raise CaseFailed(what)


def no_future_leak(key, tol, start):
    def judge(out, expected):
        expect_close(key, out.get(key), expected[key], tol)
        changed = expect_tensor(f"{key}_future_changed", out.get(f"{key}_future_changed"))
        unchanged(out[key], changed, (slice(None), slice(0, start)),
                  f"changing the input at positions {start} and later changed `{key}` at earlier positions: "
                  "information leaks from the future (check the causal mask: True on and below the diagonal).")
    return judge


def batch_independent(key, tol):
    def judge(out, expected):
        expect_close(key, out.get(key), expected[key], tol)
        other = expect_tensor(f"{key}_others_changed", out.get(f"{key}_others_changed"))
        unchanged(out[key], other, (0,),
                  "changing the other sequences in the batch changed the output for sequence 0: "
                  "sequences must not mix (attend over positions within a sequence, never across the batch).")
    return judge


def same_state_dict(*keys):
    def judge(out, expected):
        for key in keys:
            yours, ref = out.get(key), expected[key]
            if not isinstance(yours, dict):
                raise CaseFailed(f"{key}: could not read the state dict.")
            missing = [n for n in ref if n not in yours]
            extra = [n for n in yours if n not in ref]
            if missing or extra:
                parts = ([f"missing {', '.join(missing)}"] if missing else []) + ([f"unexpected {', '.join(extra)}"] if extra else [])
                raise CaseFailed(f"{key}: the state dict should hold exactly the documented names; " + "; ".join(parts) + ".")
            for name, shape in ref.items():
                if list(yours[name]) != list(shape):
                    raise CaseFailed(f"{key}: {name} has shape {tuple(yours[name])} but should have shape {tuple(shape)}.")
    return judge


def every_parameter_gets_a_gradient(out, _):
    for preset in ("llama", "gpt"):
        result = out.get(preset)
        if not isinstance(result, dict) or not result.get("parameters"):
            raise CaseFailed(f"{preset}: the model has no parameters.")
        if result["without_gradient"]:
            raise CaseFailed(f"{preset}: these parameters got no gradient from the loss: {', '.join(result['without_gradient'])}.")


def gradient_report(impl, preset):
    torch.manual_seed(0)
    model = api(impl, "TransformerLM")(config(impl, preset, **LM))
    g = torch.Generator().manual_seed(1)
    idx, targets = randint(g, LM["vocab_size"], 2, LM_T), randint(g, LM["vocab_size"], 2, LM_T)
    out = model(idx, targets)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise CaseFailed("model(idx, targets) should return (logits, loss).")
    out[1].backward()
    params = dict(model.named_parameters())
    missing = [n for n, p in params.items() if p.grad is None or not p.grad.abs().sum() > 0]
    return {"parameters": len(params), "without_gradient": missing}


def loss_of(out):
    if not (isinstance(out, tuple) and len(out) == 2):
        raise CaseFailed(f"model(idx, targets) should return a tuple (logits, loss), not {type(out).__name__}.")
    return {"logits": out[0], "loss": out[1]}


def rope_distance_matrix(impl, q, k):
    r = rope(impl, d_k=q.shape[-1], max_seq_len=32)
    positions = torch.arange(32)
    rq, rk = r(q.expand(32, -1), positions), r(k.expand(32, -1), positions)  # (32, d_k)
    return {"dots": expect_tensor("rope(x, positions)", rq) @ expect_tensor("rope(x, positions)", rk).T}


def depends_only_on_distance(out, expected):
    dots = expect_tensor("dots", out.get("dots"))
    expect_close("dots", dots, expected["dots"], FP32)
    shifted = (dots[1:, 1:] - dots[:-1, :-1]).abs().max().item()
    if shifted > 1e-4:
        raise CaseFailed(
            f"rotated q·k changes by up to {shifted:.3g} when both positions move by one: with rotary "
            "embeddings it should depend only on the distance between the positions."
        )


def counts_match(out, expected):
    for name, count in expected.items():
        yours = out.get(name)
        if yours != count:
            raise CaseFailed(f"count_parameters({name}) gave {yours!r}; the model has {count} parameters.")
    if expected.get("seed_gpt") != SEED_GPT_PARAMETERS:
        raise CaseFailed("internal: the seed configuration's reference count is off")


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


CASES: list[Case] = [
    # -- LayerNorm ---------------------------------------------------------------------------
    Case(
        "layernorm", "parameters",
        run=lambda impl: {
            "bias": state_dict_summary(api(impl, "LayerNorm")(40)),
            "no_bias": state_dict_summary(api(impl, "LayerNorm")(40, bias=False)),
            "values": torch.cat([t for t in api(impl, "LayerNorm")(40).state_dict().values()]),
        },
        judge=all_of(same_state_dict("bias", "no_bias"), close("values", tol=FP32)),
    ),
    Case(
        "layernorm", "forward",  # rows with an offset and many scales
        inputs=lambda g: {"x": randn(g, 3, 5, 40) * 10 ** torch.empty(3, 5, 1).uniform_(-1, 2, generator=g) + 1,
                          "weight": 1 + randn(g, 40, scale=0.5), "bias": randn(g, 40, scale=0.5)},
        run=lambda impl, x, weight, bias: {"output": load_weights(api(impl, "LayerNorm")(40), "LayerNorm", {"weight": weight, "bias": bias})(x)},
        judge=close("output", tol=FP32),
    ),
    Case(
        "layernorm", "backward",
        inputs=lambda g: {"x": randn(g, 3, 5, 40), "weight": 1 + randn(g, 40, scale=0.5), "bias": randn(g, 40, scale=0.5), "grad_output": randn(g, 3, 5, 40)},
        run=lambda impl, x, weight, bias, grad_output: forward_backward(
            m := load_weights(api(impl, "LayerNorm")(40), "LayerNorm", {"weight": weight, "bias": bias}), grad_output, Grad("x", x), module=m),
        judge=close("x.grad", "weight.grad", "bias.grad", tol=FP32, none_means=NO_GRAD),
    ),
    Case(
        "layernorm", "float16",
        inputs=lambda g: {"x": (randn(g, 3, 5, 40, scale=100) + 50).half(), "weight": 1 + randn(g, 40, scale=0.5), "bias": randn(g, 40, scale=0.5)},
        run=lambda impl, x, weight, bias: {"output": load_weights(api(impl, "LayerNorm")(40), "LayerNorm", {"weight": weight, "bias": bias})(x)},
        judge=close("output", tol=FP16),
    ),
    # -- GELU, biases and the classic MLP ------------------------------------------------------
    Case(
        "gelu", "forward",  # the exact erf form; the tanh approximation is off by up to ~1e-3
        inputs=lambda g: {"x": randn(g, 3, 5, 40, scale=3)},
        run=lambda impl, x: {"output": api(impl, "gelu")(x)},
        judge=close("output", tol=FP32),
    ),
    Case(
        "gelu", "backward",
        inputs=lambda g: {"x": randn(g, 3, 5, 40, scale=3), "grad_output": randn(g, 3, 5, 40)},
        run=lambda impl, x, grad_output: forward_backward(api(impl, "gelu"), grad_output, Grad("x", x)),
        judge=close("x.grad", tol=FP32, none_means=NO_GRAD),
    ),
    Case(
        "gelu", "biased_linear",
        inputs=lambda g: {"x": randn(g, 3, 5, 24), "weight": randn(g, 40, 24, scale=0.2), "bias": randn(g, 40)},
        run=lambda impl, x, weight, bias: {
            "output": load_weights(api(impl, "BiasedLinear")(24, 40, dtype=x.dtype), "BiasedLinear", {"weight": weight, "bias": bias})(x)},
        judge=close("output", tol=FP32),
    ),
    Case(
        "gelu", "mlp_parameters",
        run=lambda impl: {
            "bias": state_dict_summary(api(impl, "GeluMLP")(24, 56)),
            "no_bias": state_dict_summary(api(impl, "GeluMLP")(24, 56, bias=False)),
        },
        judge=same_state_dict("bias", "no_bias"),
    ),
    Case(
        "gelu", "mlp_backward",
        inputs=lambda g: {"x": randn(g, 3, 5, 24), **prefixed("w.", random_weights(g, {"w1.weight": (56, 24), "w1.bias": (56,), "w2.weight": (24, 56), "w2.bias": (24,)})),
                          "grad_output": randn(g, 3, 5, 24)},
        run=lambda impl, x, grad_output, **w: {
            "output": (m := load_weights(api(impl, "GeluMLP")(24, 56, dtype=x.dtype), "GeluMLP", unprefixed("w.", w)))(x),
            **forward_backward(m, grad_output, Grad("x", x), module=m),
        },
        judge=close("output", "x.grad", "w1.weight.grad", "w1.bias.grad", "w2.weight.grad", "w2.bias.grad", tol=FP32, none_means=NO_GRAD),
    ),
    # -- rotary positions --------------------------------------------------------------------------
    Case(
        "rope", "buffers",  # cos/sin are derived, not learned: not in the state dict
        run=lambda impl: {
            "state_dict": list((r := rope(impl)).state_dict()),
            "parameters": [n for n, _ in r.named_parameters()],
            "buffers": [n for n, _ in r.named_buffers()],
        },
        judge=buffers_not_in_state_dict,
        reference=False,
    ),
    Case(
        "rope", "forward",  # positions per sequence, in any order
        inputs=lambda g: {"x": randn(g, 3, T, 16), "positions": randint(g, 32, 3, T)},
        run=lambda impl, x, positions: {"output": rope(impl, d_k=16, max_seq_len=32)(x, positions)},
        judge=close("output", tol=FP32),
    ),
    Case(
        "rope", "broadcast_positions",  # x (B, heads, T, d_k) with one (T,) row of positions
        inputs=lambda g: {"x": randn(g, 2, 3, T, 16)},
        run=lambda impl, x: {"output": rope(impl, d_k=16, max_seq_len=32, theta=500.0)(x, torch.arange(5, 5 + T))},
        judge=close("output", tol=FP32),
    ),
    Case(
        "rope", "relative_positions",  # q·k after rotation depends only on the distance m - n
        inputs=lambda g: {"q": randn(g, 16), "k": randn(g, 16)},
        run=rope_distance_matrix,
        judge=depends_only_on_distance,
    ),
    # -- multi-head self-attention ------------------------------------------------------------------
    Case(
        "multihead_attention", "parameters",
        run=lambda impl: {
            "no_bias": state_dict_summary(api(impl, "MultiHeadSelfAttention")(D_MODEL, HEADS)),
            "bias": state_dict_summary(api(impl, "MultiHeadSelfAttention")(D_MODEL, HEADS, bias=True)),
            "rope": state_dict_summary(api(impl, "MultiHeadSelfAttention")(D_MODEL, HEADS, rope=rope(impl))),
        },
        judge=same_state_dict("no_bias", "bias", "rope"),
    ),
    Case(
        "multihead_attention", "forward",  # 4 heads of 8: scale by sqrt(8), not sqrt(32)
        inputs=lambda g: {"x": randn(g, 2, T, D_MODEL), **attention_weights(g, bias=True)},
        run=lambda impl, x, **w: {"output": attention(impl, w, bias=True)(x)},
        judge=close("output", tol=FP32),
    ),
    Case(
        "multihead_attention", "rope",
        inputs=lambda g: {"x": randn(g, 2, T, D_MODEL), **attention_weights(g)},
        run=lambda impl, x, **w: {"output": attention(impl, w, with_rope=True)(x)},
        judge=close("output", tol=FP32),
    ),
    Case(
        "multihead_attention", "rope_positions",  # explicit (B, T) positions, shifted per sequence
        inputs=lambda g: {"x": randn(g, 2, T, D_MODEL), "positions": torch.stack([torch.arange(T), torch.arange(4, 4 + T)]), **attention_weights(g)},
        run=lambda impl, x, positions, **w: {"output": attention(impl, w, with_rope=True)(x, positions)},
        judge=close("output", tol=FP32),
    ),
    Case(
        "multihead_attention", "causal_no_leak",
        inputs=lambda g: {"x": (x := randn(g, 2, T, D_MODEL)), "x_future_changed": with_future_changed(x, 4, randn(g, 2, T - 4, D_MODEL)), **attention_weights(g)},
        run=lambda impl, x, x_future_changed, **w: {
            "output": (m := attention(impl, w))(x), "output_future_changed": m(x_future_changed)},
        judge=no_future_leak("output", FP32, 4),
    ),
    Case(
        "multihead_attention", "batch_independent",
        inputs=lambda g: {"x": (x := randn(g, 3, T, D_MODEL)), "x_others_changed": torch.cat([x[:1], randn(g, 2, T, D_MODEL)]), **attention_weights(g)},
        run=lambda impl, x, x_others_changed, **w: {
            "output": (m := attention(impl, w))(x), "output_others_changed": m(x_others_changed)},
        judge=batch_independent("output", FP32),
    ),
    Case(
        "multihead_attention", "backward",
        inputs=lambda g: {"x": randn(g, 2, T, D_MODEL), **attention_weights(g, bias=True), "grad_output": randn(g, 2, T, D_MODEL)},
        run=lambda impl, x, grad_output, **w: only(
            ATTENTION_GRADS, forward_backward(m := attention(impl, w, bias=True), grad_output, Grad("x", x), module=m)),
        judge=close(*ATTENTION_GRADS, tol=FP32, none_means=NO_GRAD),
    ),
    # -- the transformer block ------------------------------------------------------------------------
    Case(
        "transformer_block", "parameters",
        run=lambda impl: {p: state_dict_summary(api(impl, "TransformerBlock")(block_config(impl, p), rope=rope(impl) if p == "llama" else None)) for p in ("llama", "gpt")},
        judge=same_state_dict("llama", "gpt"),
    ),
    *(
        Case(
            "transformer_block", f"forward_{preset}",
            inputs=lambda g, preset=preset: {"x": randn(g, 2, T, D_MODEL), **prefixed("w.", random_weights(g, block_shapes("", preset, D_MODEL, D_FF)))},
            run=lambda impl, x, preset=preset, **w: {"output": block(impl, preset, unprefixed("w.", w))(x)},
            judge=close("output", tol=DEEP),
        )
        for preset in ("llama", "gpt")
    ),
    Case(
        "transformer_block", "backward",
        inputs=lambda g: {"x": randn(g, 2, T, D_MODEL), **prefixed("w.", random_weights(g, block_shapes("", "gpt", D_MODEL, D_FF))), "grad_output": randn(g, 2, T, D_MODEL)},
        run=lambda impl, x, grad_output, **w: only(
            BLOCK_GRADS, forward_backward(m := block(impl, "gpt", unprefixed("w.", w)), grad_output, Grad("x", x), module=m)),
        judge=close(*BLOCK_GRADS, tol=DEEP, none_means=NO_GRAD),
    ),
    # -- the language model ---------------------------------------------------------------------------
    Case(
        "transformer_lm", "state_dict",  # the documented names, and no RoPE tables
        run=lambda impl: {p: state_dict_summary(api(impl, "TransformerLM")(config(impl, p, **LM))) for p in ("llama", "gpt")},
        judge=same_state_dict("llama", "gpt"),
    ),
    *(
        Case(
            "transformer_lm", f"forward_{preset}",  # T = 11 < context 16
            inputs=lambda g, preset=preset: {"idx": randint(g, LM["vocab_size"], 2, LM_T), **prefixed("w.", random_weights(g, lm_shapes(preset)))},
            run=lambda impl, idx, preset=preset, **w: {"logits": lm(impl, preset, unprefixed("w.", w))(idx)},
            judge=close("logits", tol=DEEP),
        )
        for preset in ("llama", "gpt")
    ),
    Case(
        "transformer_lm", "loss",  # model(idx, targets) -> (logits, loss)
        inputs=lambda g: {"idx": randint(g, LM["vocab_size"], 2, LM_T), "targets": randint(g, LM["vocab_size"], 2, LM_T), **prefixed("w.", random_weights(g, lm_shapes("gpt")))},
        run=lambda impl, idx, targets, **w: loss_of(lm(impl, "gpt", unprefixed("w.", w))(idx, targets)),
        judge=close("logits", "loss", tol=DEEP),
    ),
    Case(
        "transformer_lm", "causal_no_leak",
        inputs=lambda g: {**tokens_with_future_changed(g), **prefixed("w.", random_weights(g, lm_shapes("llama")))},
        run=lambda impl, idx, idx_future_changed, **w: {
            "logits": (m := lm(impl, "llama", unprefixed("w.", w)))(idx), "logits_future_changed": m(idx_future_changed)},
        judge=no_future_leak("logits", DEEP, 6),
    ),
    Case(
        "transformer_lm", "batch_independent",
        inputs=lambda g: {"idx": (idx := randint(g, LM["vocab_size"], 3, LM_T)), "idx_others_changed": torch.cat([idx[:1], randint(g, LM["vocab_size"], 2, LM_T)]),
                          **prefixed("w.", random_weights(g, lm_shapes("gpt")))},
        run=lambda impl, idx, idx_others_changed, **w: {
            "logits": (m := lm(impl, "gpt", unprefixed("w.", w)))(idx), "logits_others_changed": m(idx_others_changed)},
        judge=batch_independent("logits", DEEP),
    ),
    Case(
        "transformer_lm", "every_parameter_learns",
        run=lambda impl: {p: gradient_report(impl, p) for p in ("llama", "gpt")},
        judge=every_parameter_gets_a_gradient,
        reference=False,
    ),
    Case(
        "transformer_lm", "count_parameters",  # by formula; the seed GPT has exactly 208,193
        run=lambda impl: {
            "seed_gpt": api(impl, "count_parameters")(config(impl, "gpt", **SEED_GPT)),
            "llama": api(impl, "count_parameters")(config(impl, "llama", **LM)),
            "gpt": api(impl, "count_parameters")(config(impl, "gpt", **LM)),
            "gpt_no_bias": api(impl, "count_parameters")(config(impl, "gpt", **LM, bias=False)),
            "llama_with_bias_and_layernorm": api(impl, "count_parameters")(config(impl, "llama", **LM, bias=True, norm="layernorm")),
        },
        judge=counts_match,
    ),
]
