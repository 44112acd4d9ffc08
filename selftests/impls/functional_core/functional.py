"""Pure functions: every computation of Parts 1 and 2, taking its weights as arguments.

Nothing here holds state; the modules in modules.py own the parameters and call these.
"""

import math
from typing import Callable

import torch
from einops import rearrange
from torch import Tensor

Rotation = Callable[[Tensor, Tensor], Tensor]


def truncated_normal(shape: tuple[int, ...], std: float, device=None, dtype=None) -> Tensor:
    """A fresh tensor drawn from N(0, std^2), cut at +-3 std."""
    weights = torch.empty(shape, device=device, dtype=dtype)
    return torch.nn.init.trunc_normal_(weights, mean=0.0, std=std, a=-3.0 * std, b=3.0 * std)


def linear(inputs: Tensor, weights: Tensor) -> Tensor:
    """inputs (..., d_in) times weights (d_out, d_in) transposed."""
    return torch.matmul(inputs, weights.transpose(-1, -2))


def embed(token_ids: Tensor, table: Tensor) -> Tensor:
    return table[token_ids]


def _widened(inputs: Tensor) -> Tensor:
    """At least float32, for the statistics of the norms."""
    return inputs.float() if torch.finfo(inputs.dtype).bits < 32 else inputs


def rms_norm(inputs: Tensor, weights: Tensor, eps: float) -> Tensor:
    x = _widened(inputs)
    return (x * torch.rsqrt(torch.mean(x * x, dim=-1, keepdim=True) + eps) * weights).to(inputs.dtype)


def layer_norm(inputs: Tensor, weights: Tensor, bias: Tensor | None, eps: float) -> Tensor:
    x = _widened(inputs)
    centred = x - torch.mean(x, dim=-1, keepdim=True)
    variance = torch.mean(centred * centred, dim=-1, keepdim=True)
    out = centred * torch.rsqrt(variance + eps) * weights
    return (out if bias is None else out + bias).to(inputs.dtype)


def silu(inputs: Tensor) -> Tensor:
    return inputs * torch.sigmoid(inputs)


def gelu(inputs: Tensor) -> Tensor:
    return 0.5 * inputs * (1.0 + torch.erf(inputs * (2.0**-0.5)))


def swiglu(inputs: Tensor, w1: Tensor, w2: Tensor, w3: Tensor) -> Tensor:
    return linear(silu(linear(inputs, w1)) * linear(inputs, w3), w2)


def default_swiglu_width(d_model: int) -> int:
    """8/3 d_model, rounded up to a multiple of 64."""
    return 64 * math.ceil(8 * d_model / (3 * 64))


def softmax(inputs: Tensor, dim: int) -> Tensor:
    shifted = inputs - torch.max(inputs, dim=dim, keepdim=True).values
    numerators = torch.exp(shifted)
    return numerators / torch.sum(numerators, dim=dim, keepdim=True)


def additive_mask(attn_mask: Tensor, dtype: torch.dtype) -> Tensor:
    """0 where attending is allowed, -inf where it is not: added to the scores."""
    return torch.zeros(attn_mask.shape, dtype=dtype, device=attn_mask.device).masked_fill(~attn_mask, -math.inf)


def attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None) -> Tensor:
    scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(query.shape[-1])
    if attn_mask is not None:
        scores = scores + additive_mask(attn_mask, scores.dtype)
    return torch.matmul(softmax(scores, dim=-1), value)


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    shifted = logits - torch.max(logits, dim=-1, keepdim=True).values
    log_probs = shifted - torch.log(torch.sum(torch.exp(shifted), dim=-1, keepdim=True))
    is_target = targets.unsqueeze(-1) == torch.arange(logits.shape[-1], device=logits.device)
    return -torch.sum(log_probs * is_target, dim=-1).mean()


def rope_tables(theta: float, d_k: int, max_seq_len: int, device=None) -> tuple[Tensor, Tensor]:
    """cos and sin of pos * theta^(-2i/d_k), each (max_seq_len, d_k // 2)."""
    if d_k % 2 != 0:
        raise ValueError(f"rotary embeddings need an even d_k, not {d_k}")
    exponents = torch.arange(0, d_k, 2, device=device, dtype=torch.float32) / d_k
    angles = torch.arange(max_seq_len, device=device, dtype=torch.float32)[:, None] / theta ** exponents
    return torch.cos(angles), torch.sin(angles)


def apply_rope(inputs: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """x * cos + partner(x) * sin, where partner(x) = (-x1, x0, -x3, x2, ...)."""
    evens, odds = inputs[..., 0::2], inputs[..., 1::2]
    partner = torch.stack((-odds, evens), dim=-1).reshape(inputs.shape)
    cos_full = torch.repeat_interleave(cos, 2, dim=-1)  # each angle covers both features of its pair
    sin_full = torch.repeat_interleave(sin, 2, dim=-1)
    return (inputs * cos_full + partner * sin_full).to(inputs.dtype)


def causal_mask(length: int, device=None) -> Tensor:
    """True on and below the diagonal: query t may see keys 0..t."""
    return torch.tril(torch.ones(length, length, dtype=torch.bool, device=device))


def multi_head_attention(inputs: Tensor, wq: Tensor, wk: Tensor, wv: Tensor, num_heads: int,
                         token_positions: Tensor | None = None, rotate: Rotation | None = None) -> Tensor:
    """Causal attention of every head, merged back to (..., T, d_model); the output projection is the caller's."""
    split = [rearrange(linear(inputs, w), "... t (h d) -> ... h t d", h=num_heads) for w in (wq, wk, wv)]
    query, key, value = split
    length = inputs.shape[-2]
    if rotate is not None:
        if token_positions is None:
            token_positions = torch.arange(length, device=inputs.device)
        per_head = token_positions.unsqueeze(-2)
        query, key = rotate(query, per_head), rotate(key, per_head)
    heads = attention(query, key, value, causal_mask(length, inputs.device))
    return rearrange(heads, "... h t d -> ... t (h d)")


def parameter_shapes(config) -> dict[str, tuple[int, ...]]:
    """Every parameter of TransformerLM(config), by state-dict name."""
    C, V, F = config.d_model, config.vocab_size, config.d_ff
    with_bias = config.bias

    def norm(prefix: str) -> dict[str, tuple[int, ...]]:
        shapes = {f"{prefix}.weight": (C,)}
        if config.norm == "layernorm" and with_bias:
            shapes[f"{prefix}.bias"] = (C,)
        return shapes

    def block(prefix: str) -> dict[str, tuple[int, ...]]:
        shapes = {**norm(f"{prefix}.ln1"), **norm(f"{prefix}.ln2")}
        shapes.update({f"{prefix}.attn.{p}_proj.weight": (C, C) for p in ("q", "k", "v", "output")})
        if with_bias:
            shapes[f"{prefix}.attn.output_proj.bias"] = (C,)
        if config.ffn == "swiglu":
            shapes.update({f"{prefix}.ffn.w1.weight": (F, C), f"{prefix}.ffn.w3.weight": (F, C),
                           f"{prefix}.ffn.w2.weight": (C, F)})
        else:
            shapes.update({f"{prefix}.ffn.w1.weight": (F, C), f"{prefix}.ffn.w2.weight": (C, F)})
            if with_bias:
                shapes.update({f"{prefix}.ffn.w1.bias": (F,), f"{prefix}.ffn.w2.bias": (C,)})
        return shapes

    shapes = {"token_embeddings.weight": (V, C)}
    if config.positions == "learned":
        shapes["position_embeddings.weight"] = (config.context_length, C)
    for i in range(config.num_layers):
        shapes.update(block(f"layers.{i}"))
    shapes.update(norm("ln_final"))
    shapes["lm_head.weight"] = (V, C)
    if with_bias:
        shapes["lm_head.bias"] = (V,)
    return shapes
