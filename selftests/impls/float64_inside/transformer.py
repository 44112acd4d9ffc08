"""Part 2. Norms in float64; the rotary tables are computed and kept in float64 too."""

import math

import torch
from torch import Tensor, nn

from assignment.transformer import TransformerConfig

from .building_blocks import Embedding, Linear, RMSNorm, SwiGLU, cross_entropy, scaled_dot_product_attention
from .precision import narrow, wide


class LayerNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(d_model, device=device, dtype=dtype)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        x64 = wide(x)
        mean = x64.mean(dim=-1, keepdim=True)
        deviation = x64 - mean
        variance = deviation.square().mean(dim=-1, keepdim=True)  # biased: divided by d_model
        y = deviation / torch.sqrt(variance + self.eps) * wide(self.weight)
        if self.bias is not None:
            y = y + wide(self.bias)
        return narrow(y, x)


def gelu(x: Tensor) -> Tensor:
    return 0.5 * x * (1.0 + torch.erf(x * math.sqrt(0.5)))


class BiasedLinear(Linear):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x) + self.bias


class GeluMLP(nn.Module):
    def __init__(self, d_model: int, d_ff: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        layer = BiasedLinear if bias else Linear
        self.w1 = layer(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = layer(d_ff, d_model, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(gelu(self.w1(x)))


class RotaryPositionalEmbedding(nn.Module):
    def __init__(self, theta: float, d_k: int, max_seq_len: int, device=None):
        super().__init__()
        if d_k % 2 == 1:
            raise ValueError(f"RotaryPositionalEmbedding needs an even d_k, but d_k = {d_k}")
        pair = torch.arange(d_k // 2, dtype=torch.float64, device=device)
        position = torch.arange(max_seq_len, dtype=torch.float64, device=device)
        angle = position[:, None] * theta ** (-2.0 * pair / d_k)[None, :]  # (max_seq_len, d_k // 2)
        self.register_buffer("cos", torch.cos(angle), persistent=False)
        self.register_buffer("sin", torch.sin(angle), persistent=False)

    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        cos = wide(self.cos[token_positions])
        sin = wide(self.sin[token_positions])
        pairs = wide(x).unflatten(-1, (-1, 2))
        first, second = pairs[..., 0], pairs[..., 1]
        rotated = torch.stack([first * cos - second * sin, first * sin + second * cos], dim=-1)
        return narrow(rotated.flatten(-2), x)


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model: int, num_heads: int, bias: bool = False,
                 rope: RotaryPositionalEmbedding | None = None, device=None, dtype=None):
        super().__init__()
        if d_model % num_heads:
            raise ValueError(f"d_model = {d_model} is not divisible by num_heads = {num_heads}")
        self.num_heads = num_heads
        self.d_head = d_model // num_heads
        self.rope = rope
        self.q_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.k_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.v_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.output_proj = (BiasedLinear if bias else Linear)(d_model, d_model, device=device, dtype=dtype)

    def split_heads(self, x: Tensor) -> Tensor:
        """(..., T, h * d_head) -> (..., h, T, d_head)"""
        return x.reshape(*x.shape[:-1], self.num_heads, self.d_head).movedim(-2, -3)

    def merge_heads(self, x: Tensor) -> Tensor:
        """(..., h, T, d_head) -> (..., T, h * d_head)"""
        return x.movedim(-3, -2).flatten(-2)

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        seq_len = x.shape[-2]
        q = self.split_heads(self.q_proj(x))
        k = self.split_heads(self.k_proj(x))
        v = self.split_heads(self.v_proj(x))
        if self.rope is not None:
            if token_positions is None:
                token_positions = torch.arange(seq_len, device=x.device)
            q = self.rope(q, token_positions[..., None, :])
            k = self.rope(k, token_positions[..., None, :])
        allowed = torch.ones(seq_len, seq_len, dtype=torch.bool, device=x.device).tril()
        return self.output_proj(self.merge_heads(scaled_dot_product_attention(q, k, v, allowed)))


def make_norm(config: TransformerConfig, device=None, dtype=None) -> nn.Module:
    if config.norm == "layernorm":
        return LayerNorm(config.d_model, config.eps, bias=config.bias, device=device, dtype=dtype)
    return RMSNorm(config.d_model, config.eps, device=device, dtype=dtype)


class TransformerBlock(nn.Module):
    def __init__(self, config: TransformerConfig, rope: RotaryPositionalEmbedding | None = None,
                 device=None, dtype=None):
        super().__init__()
        self.ln1 = make_norm(config, device=device, dtype=dtype)
        self.ln2 = make_norm(config, device=device, dtype=dtype)
        self.attn = MultiHeadSelfAttention(config.d_model, config.num_heads, bias=config.bias, rope=rope,
                                           device=device, dtype=dtype)
        if config.ffn == "gelu":
            self.ffn = GeluMLP(config.d_model, config.d_ff, bias=config.bias, device=device, dtype=dtype)
        else:
            self.ffn = SwiGLU(config.d_model, config.d_ff, device=device, dtype=dtype)

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        attended = x + self.attn(self.ln1(x), token_positions)
        return attended + self.ffn(self.ln2(attended))


class TransformerLM(nn.Module):
    def __init__(self, config: TransformerConfig, device=None, dtype=None):
        super().__init__()
        self.config = config
        self.token_embeddings = Embedding(config.vocab_size, config.d_model, device=device, dtype=dtype)
        if config.positions == "learned":
            self.position_embeddings = Embedding(config.context_length, config.d_model, device=device, dtype=dtype)
            self.rope = None
        else:
            self.position_embeddings = None
            self.rope = RotaryPositionalEmbedding(config.rope_theta, config.d_head, config.context_length,
                                                  device=device)
        self.layers = nn.ModuleList()
        for _ in range(config.num_layers):
            self.layers.append(TransformerBlock(config, rope=self.rope, device=device, dtype=dtype))
        self.ln_final = make_norm(config, device=device, dtype=dtype)
        head = BiasedLinear if config.bias else Linear
        self.lm_head = head(config.d_model, config.vocab_size, device=device, dtype=dtype)

    def forward(self, idx: Tensor, targets: Tensor | None = None):
        seq_len = idx.shape[-1]
        if seq_len > self.config.context_length:
            raise ValueError(f"the input has {seq_len} tokens, more than context_length = "
                             f"{self.config.context_length}; crop it to the last {self.config.context_length}")
        positions = torch.arange(seq_len, device=idx.device)
        hidden = self.token_embeddings(idx)
        if self.position_embeddings is not None:
            hidden = hidden + self.position_embeddings(positions)
        for layer in self.layers:
            hidden = layer(hidden, positions)
        logits = self.lm_head(self.ln_final(hidden))
        if targets is None:
            return logits
        return logits, cross_entropy(logits, targets)


def count_parameters(config: TransformerConfig) -> int:
    C, V, F = config.d_model, config.vocab_size, config.d_ff
    has_bias = config.bias
    norm = C + (C if config.norm == "layernorm" and has_bias else 0)
    attention = 4 * C * C + (C if has_bias else 0)
    feed_forward = 3 * C * F if config.ffn == "swiglu" else 2 * C * F + ((F + C) if has_bias else 0)
    embeddings = V * C + (config.context_length * C if config.positions == "learned" else 0)
    head = C * V + (V if has_bias else 0)
    return embeddings + config.num_layers * (attention + feed_forward + 2 * norm) + norm + head
