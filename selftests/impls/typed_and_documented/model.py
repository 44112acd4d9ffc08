"""Part 2: the transformer, GPT-2 or Llama depending on the config."""

from __future__ import annotations

import math
from typing import Final

import torch
from einops import rearrange
from jaxtyping import Bool, Float, Int
from torch import Tensor, nn

from assignment.transformer import TransformerConfig

from .blocks import Embedding, Linear, RMSNorm, SwiGLU, cross_entropy, scaled_dot_product_attention, widened

INV_SQRT_2: Final[float] = 1.0 / math.sqrt(2.0)
ATTENTION_PROJECTIONS: Final[int] = 4
"""q, k, v and output: each d_model x d_model."""


class LayerNorm(nn.Module):
    """y = (x - mean) / sqrt(var + eps) * g + b, with the biased variance."""

    eps: float
    weight: nn.Parameter
    bias: nn.Parameter | None

    def __init__(self, d_model: int, eps: float = 1e-5, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(d_model, device=device, dtype=dtype)) if bias else None

    def forward(self, x: Float[Tensor, "*batch d_model"]) -> Float[Tensor, "*batch d_model"]:
        wide: Float[Tensor, "*batch d_model"] = x.to(widened(x.dtype))
        centred: Float[Tensor, "*batch d_model"] = wide - wide.mean(dim=-1, keepdim=True)
        variance: Float[Tensor, "*batch 1"] = centred.square().mean(dim=-1, keepdim=True)
        y: Float[Tensor, "*batch d_model"] = centred / torch.sqrt(variance + self.eps) * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y.to(x.dtype)


def gelu(x: Float[Tensor, "*shape"]) -> Float[Tensor, "*shape"]:
    """x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), the exact form."""
    return 0.5 * x * (1.0 + torch.erf(x * INV_SQRT_2))


class BiasedLinear(Linear):
    """y = x W^T + b."""

    bias: nn.Parameter

    def __init__(self, in_features: int, out_features: int, device=None, dtype=None) -> None:
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))

    def forward(self, x: Float[Tensor, "*batch d_in"]) -> Float[Tensor, "*batch d_out"]:
        return super().forward(x) + self.bias


def linear_layer(in_features: int, out_features: int, bias: bool, device=None, dtype=None) -> Linear:
    """A BiasedLinear if `bias`, else a plain Linear."""
    cls: type[Linear] = BiasedLinear if bias else Linear
    return cls(in_features, out_features, device=device, dtype=dtype)


class GeluMLP(nn.Module):
    """out = W2 gelu(W1 x)."""

    w1: Linear
    w2: Linear

    def __init__(self, d_model: int, d_ff: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.w1 = linear_layer(d_model, d_ff, bias, device, dtype)
        self.w2 = linear_layer(d_ff, d_model, bias, device, dtype)

    def forward(self, x: Float[Tensor, "*batch d_model"]) -> Float[Tensor, "*batch d_model"]:
        return self.w2(gelu(self.w1(x)))


def rotation_angles(theta: float, d_k: int, max_seq_len: int) -> Float[Tensor, "max_seq_len half"]:
    """angle(pos, i) = pos * theta^(-2i / d_k), in float64."""
    exponents: Float[Tensor, " half"] = torch.arange(0, d_k, 2, dtype=torch.float64) / d_k
    inverse_frequencies: Float[Tensor, " half"] = 1.0 / (theta**exponents)
    positions: Float[Tensor, " max_seq_len"] = torch.arange(max_seq_len, dtype=torch.float64)
    return positions[:, None] * inverse_frequencies[None, :]


class RotaryPositionalEmbedding(nn.Module):
    """Rotates adjacent pairs (x[2i], x[2i+1]) by pos * theta^(-2i / d_k)."""

    cos: Float[Tensor, "max_seq_len half"]
    sin: Float[Tensor, "max_seq_len half"]

    def __init__(self, theta: float, d_k: int, max_seq_len: int, device=None) -> None:
        super().__init__()
        if d_k % 2:
            raise ValueError(f"d_k must be even for rotary embeddings (pairs of features), got {d_k}")
        angles = rotation_angles(theta, d_k, max_seq_len)
        self.register_buffer("cos", angles.cos().float().to(device), persistent=False)
        self.register_buffer("sin", angles.sin().float().to(device), persistent=False)

    def forward(
        self, x: Float[Tensor, "*batch seq d_k"], token_positions: Int[Tensor, "*batch seq"]
    ) -> Float[Tensor, "*batch seq d_k"]:
        cos: Float[Tensor, "*batch seq half"] = self.cos[token_positions]
        sin: Float[Tensor, "*batch seq half"] = self.sin[token_positions]
        pairs: Float[Tensor, "*batch seq half 2"] = rearrange(x, "... (half two) -> ... half two", two=2)
        first, second = pairs.unbind(dim=-1)
        rotated: Float[Tensor, "*batch seq half 2"] = torch.stack(
            (first * cos - second * sin, first * sin + second * cos), dim=-1
        )
        return rearrange(rotated, "... half two -> ... (half two)").to(x.dtype)


def causal_mask(length: int, device: torch.device) -> Bool[Tensor, "seq seq"]:
    """True on and below the diagonal: query t sees keys 0..t."""
    rows: Int[Tensor, "seq 1"] = torch.arange(length, device=device)[:, None]
    columns: Int[Tensor, "1 seq"] = torch.arange(length, device=device)[None, :]
    return columns <= rows


class MultiHeadSelfAttention(nn.Module):
    """Causal self-attention over num_heads heads of width d_model / num_heads."""

    num_heads: int
    rope: RotaryPositionalEmbedding | None

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        bias: bool = False,
        rope: RotaryPositionalEmbedding | None = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.rope = rope
        self.q_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.k_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.v_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.output_proj = linear_layer(d_model, d_model, bias, device, dtype)

    def split_heads(self, x: Float[Tensor, "*batch seq d_model"]) -> Float[Tensor, "*batch heads seq d_head"]:
        return rearrange(x, "... seq (heads d_head) -> ... heads seq d_head", heads=self.num_heads)

    def forward(
        self, x: Float[Tensor, "*batch seq d_model"], token_positions: Int[Tensor, "*batch seq"] | None = None
    ) -> Float[Tensor, "*batch seq d_model"]:
        seq: int = x.shape[-2]
        q = self.split_heads(self.q_proj(x))
        k = self.split_heads(self.k_proj(x))
        v = self.split_heads(self.v_proj(x))
        if self.rope is not None:
            positions: Int[Tensor, "*batch seq"] = (
                torch.arange(seq, device=x.device) if token_positions is None else token_positions
            )
            per_head: Int[Tensor, "*batch 1 seq"] = rearrange(positions, "... seq -> ... 1 seq")
            q, k = self.rope(q, per_head), self.rope(k, per_head)
        mask: Bool[Tensor, "seq seq"] = causal_mask(seq, x.device)
        heads: Float[Tensor, "*batch heads seq d_head"] = scaled_dot_product_attention(q, k, v, mask)
        merged: Float[Tensor, "*batch seq d_model"] = rearrange(heads, "... heads seq d_head -> ... seq (heads d_head)")
        return self.output_proj(merged)


def make_norm(config: TransformerConfig, device=None, dtype=None) -> RMSNorm | LayerNorm:
    """RMSNorm or LayerNorm of width d_model, as the config says."""
    if config.norm == "rmsnorm":
        return RMSNorm(config.d_model, config.eps, device=device, dtype=dtype)
    return LayerNorm(config.d_model, config.eps, bias=config.bias, device=device, dtype=dtype)


def make_ffn(config: TransformerConfig, device=None, dtype=None) -> SwiGLU | GeluMLP:
    """SwiGLU or the GELU MLP, as the config says."""
    if config.ffn == "swiglu":
        return SwiGLU(config.d_model, config.d_ff, device=device, dtype=dtype)
    return GeluMLP(config.d_model, config.d_ff, bias=config.bias, device=device, dtype=dtype)


class TransformerBlock(nn.Module):
    """x + attn(ln1(x)), then + ffn(ln2(x)): pre-norm residual sub-layers."""

    def __init__(
        self, config: TransformerConfig, rope: RotaryPositionalEmbedding | None = None, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.ln1 = make_norm(config, device, dtype)
        self.attn = MultiHeadSelfAttention(
            config.d_model, config.num_heads, bias=config.bias, rope=rope, device=device, dtype=dtype
        )
        self.ln2 = make_norm(config, device, dtype)
        self.ffn = make_ffn(config, device, dtype)

    def forward(
        self, x: Float[Tensor, "*batch seq d_model"], token_positions: Int[Tensor, "*batch seq"] | None = None
    ) -> Float[Tensor, "*batch seq d_model"]:
        after_attention: Float[Tensor, "*batch seq d_model"] = x + self.attn(self.ln1(x), token_positions)
        return after_attention + self.ffn(self.ln2(after_attention))


class TransformerLM(nn.Module):
    """Token ids in, next-token logits (and optionally the loss) out."""

    config: TransformerConfig
    position_embeddings: Embedding | None
    rope: RotaryPositionalEmbedding | None

    def __init__(self, config: TransformerConfig, device=None, dtype=None) -> None:
        super().__init__()
        self.config = config
        learned: bool = config.positions == "learned"
        self.token_embeddings = Embedding(config.vocab_size, config.d_model, device=device, dtype=dtype)
        self.position_embeddings = (
            Embedding(config.context_length, config.d_model, device=device, dtype=dtype) if learned else None
        )
        self.rope = (
            None
            if learned
            else RotaryPositionalEmbedding(config.rope_theta, config.d_head, config.context_length, device=device)
        )
        self.layers = nn.ModuleList(
            [TransformerBlock(config, rope=self.rope, device=device, dtype=dtype) for _ in range(config.num_layers)]
        )
        self.ln_final = make_norm(config, device, dtype)
        self.lm_head = linear_layer(config.d_model, config.vocab_size, config.bias, device, dtype)

    def forward(
        self, idx: Int[Tensor, "batch seq"], targets: Int[Tensor, "batch seq"] | None = None
    ) -> Float[Tensor, "batch seq vocab"] | tuple[Float[Tensor, "batch seq vocab"], Float[Tensor, ""]]:
        seq: int = idx.shape[-1]
        if seq > self.config.context_length:
            raise ValueError(f"input of {seq} tokens is longer than the context length {self.config.context_length}")
        positions: Int[Tensor, " seq"] = torch.arange(seq, device=idx.device)
        hidden: Float[Tensor, "batch seq d_model"] = self.token_embeddings(idx)
        if self.position_embeddings is not None:
            hidden = hidden + self.position_embeddings(positions)
        for layer in self.layers:
            hidden = layer(hidden, positions)
        logits: Float[Tensor, "batch seq vocab"] = self.lm_head(self.ln_final(hidden))
        if targets is None:
            return logits
        return logits, cross_entropy(logits, targets)


def norm_parameters(config: TransformerConfig) -> int:
    """A gain, plus a bias for LayerNorm with biases."""
    has_bias: bool = config.norm == "layernorm" and config.bias
    return config.d_model * (2 if has_bias else 1)


def ffn_parameters(config: TransformerConfig) -> int:
    C, F = config.d_model, config.d_ff
    if config.ffn == "swiglu":
        return 3 * C * F
    return 2 * C * F + ((F + C) if config.bias else 0)


def block_parameters(config: TransformerConfig) -> int:
    C: int = config.d_model
    attention: int = ATTENTION_PROJECTIONS * C * C + (C if config.bias else 0)
    return attention + 2 * norm_parameters(config) + ffn_parameters(config)


def count_parameters(config: TransformerConfig) -> int:
    """The parameter count of TransformerLM(config), from the shapes alone."""
    C, V = config.d_model, config.vocab_size
    embeddings: int = V * C + (config.context_length * C if config.positions == "learned" else 0)
    head: int = C * V + (V if config.bias else 0)
    return embeddings + config.num_layers * block_parameters(config) + norm_parameters(config) + head
