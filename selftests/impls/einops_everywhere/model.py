"""The transformer: GPT-2 or Llama from the same parts, with einops for every reshape."""

import math

import torch
import torch.nn as nn
from einops import einsum, rearrange, reduce
from torch import Tensor

from assignment.transformer import TransformerConfig

from .layers import Embedding, Linear, RMSNorm, SwiGLU, cross_entropy, scaled_dot_product_attention


class LayerNorm(nn.Module):
    """(x - mean) / sqrt(var + eps) * g + b, with the biased variance."""

    def __init__(self, d: int, eps: float = 1e-5, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(d, device=device, dtype=dtype)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        in_dtype = x.dtype
        x = x.to(torch.promote_types(x.dtype, torch.float32))
        centred = x - reduce(x, "... d -> ... 1", "mean")
        var = reduce(centred * centred, "... d -> ... 1", "mean")
        y = centred / torch.sqrt(var + self.eps) * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y.to(in_dtype)


def gelu(x: Tensor) -> Tensor:
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


class BiasedLinear(Linear):
    def __init__(self, d_in: int, d_out: int, device=None, dtype=None):
        super().__init__(d_in, d_out, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(d_out, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x) + self.bias


class GeluMLP(nn.Module):
    def __init__(self, d: int, d_ff: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        layer = BiasedLinear if bias else Linear
        self.w1 = layer(d, d_ff, device=device, dtype=dtype)
        self.w2 = layer(d_ff, d, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(gelu(self.w1(x)))


class RotaryPositionalEmbedding(nn.Module):
    """Rotates adjacent pairs (x[2i], x[2i+1]) by pos * theta^(-2i/d_k)."""

    def __init__(self, theta: float, d_k: int, max_seq_len: int, device=None):
        super().__init__()
        if d_k % 2:
            raise ValueError(f"RoPE needs an even d_k, got {d_k}")
        freqs = theta ** (-torch.arange(0, d_k, 2, device=device, dtype=torch.float32) / d_k)
        seq = torch.arange(max_seq_len, device=device, dtype=torch.float32)
        angles = einsum(seq, freqs, "pos, half -> pos half")
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def forward(self, x: Tensor, positions: Tensor) -> Tensor:
        cos = self.cos[positions].to(x.dtype)  # (..., T, half)
        sin = self.sin[positions].to(x.dtype)
        pairs = rearrange(x, "... (half two) -> ... half two", two=2)
        even, odd = pairs[..., 0], pairs[..., 1]
        rotated = torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1)
        return rearrange(rotated, "... half two -> ... (half two)")


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d: int, n_heads: int, bias: bool = False, rope: RotaryPositionalEmbedding | None = None,
                 device=None, dtype=None):
        super().__init__()
        self.num_heads = n_heads
        self.rope = rope
        self.q_proj = Linear(d, d, device=device, dtype=dtype)
        self.k_proj = Linear(d, d, device=device, dtype=dtype)
        self.v_proj = Linear(d, d, device=device, dtype=dtype)
        self.output_proj = (BiasedLinear if bias else Linear)(d, d, device=device, dtype=dtype)

    def forward(self, x: Tensor, positions: Tensor | None = None) -> Tensor:
        seq = x.shape[-2]
        q, k, v = (rearrange(proj(x), "... t (h d) -> ... h t d", h=self.num_heads)
                   for proj in (self.q_proj, self.k_proj, self.v_proj))
        if self.rope is not None:
            if positions is None:
                positions = torch.arange(seq, device=x.device)
            positions = rearrange(positions, "... t -> ... 1 t")  # broadcast over the heads
            q, k = self.rope(q, positions), self.rope(k, positions)
        causal = torch.ones(seq, seq, dtype=torch.bool, device=x.device).tril()
        out = scaled_dot_product_attention(q, k, v, causal)
        return self.output_proj(rearrange(out, "... h t d -> ... t (h d)"))


def make_norm(config: TransformerConfig, device=None, dtype=None) -> nn.Module:
    if config.norm == "rmsnorm":
        return RMSNorm(config.d_model, config.eps, device=device, dtype=dtype)
    return LayerNorm(config.d_model, config.eps, bias=config.bias, device=device, dtype=dtype)


class TransformerBlock(nn.Module):
    def __init__(self, config: TransformerConfig, rope: RotaryPositionalEmbedding | None = None,
                 device=None, dtype=None):
        super().__init__()
        self.ln1 = make_norm(config, device=device, dtype=dtype)
        self.attn = MultiHeadSelfAttention(config.d_model, config.num_heads, bias=config.bias, rope=rope,
                                           device=device, dtype=dtype)
        self.ln2 = make_norm(config, device=device, dtype=dtype)
        if config.ffn == "swiglu":
            self.ffn = SwiGLU(config.d_model, config.d_ff, device=device, dtype=dtype)
        else:
            self.ffn = GeluMLP(config.d_model, config.d_ff, bias=config.bias, device=device, dtype=dtype)

    def forward(self, x: Tensor, positions: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.ln1(x), positions)
        return x + self.ffn(self.ln2(x))


class TransformerLM(nn.Module):
    def __init__(self, config: TransformerConfig, device=None, dtype=None):
        super().__init__()
        self.config = config
        c, kw = config, {"device": device, "dtype": dtype}
        self.token_embeddings = Embedding(c.vocab_size, c.d_model, **kw)
        learned = c.positions == "learned"
        self.position_embeddings = Embedding(c.context_length, c.d_model, **kw) if learned else None
        self.rope = None if learned else RotaryPositionalEmbedding(c.rope_theta, c.d_head, c.context_length, device)
        self.layers = nn.ModuleList(TransformerBlock(c, self.rope, **kw) for _ in range(c.num_layers))
        self.ln_final = make_norm(c, **kw)
        self.lm_head = (BiasedLinear if c.bias else Linear)(c.d_model, c.vocab_size, **kw)

    def forward(self, seq: Tensor, targets: Tensor | None = None):
        T = seq.shape[-1]
        if T > self.config.context_length:
            raise ValueError(f"sequence of length {T} is longer than the context length {self.config.context_length}")
        positions = torch.arange(T, device=seq.device)
        x = self.token_embeddings(seq)
        if self.position_embeddings is not None:
            x = x + self.position_embeddings(positions)
        for block in self.layers:
            x = block(x, positions)
        logits = self.lm_head(self.ln_final(x))
        if targets is None:
            return logits
        return logits, cross_entropy(logits, targets)


def count_parameters(config: TransformerConfig) -> int:
    C, V, F = config.d_model, config.vocab_size, config.d_ff
    norm = C + (C if config.norm == "layernorm" and config.bias else 0)
    attn = 4 * C * C + (C if config.bias else 0)
    if config.ffn == "swiglu":
        ffn = 3 * C * F
    else:
        ffn = 2 * C * F + ((F + C) if config.bias else 0)
    embeddings = V * C + (config.context_length * C if config.positions == "learned" else 0)
    head = V * C + (V if config.bias else 0)
    return embeddings + config.num_layers * (attn + 2 * norm + ffn) + norm + head
