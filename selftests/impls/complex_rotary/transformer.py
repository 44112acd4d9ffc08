"""Part 2: the transformer, with RoPE as multiplication by unit complex numbers."""

import math

import torch
import torch.nn as nn
from einops import rearrange
from torch import Tensor

from assignment.transformer import TransformerConfig

from .building_blocks import Embedding, Linear, RMSNorm, SwiGLU, cross_entropy, scaled_dot_product_attention


class LayerNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(d_model, device=device, dtype=dtype)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        wide = x.to(torch.promote_types(x.dtype, torch.float32))
        mu = wide.mean(dim=-1, keepdim=True)
        sigma2 = wide.var(dim=-1, unbiased=False, keepdim=True)  # the population variance, 1/d
        y = (wide - mu) / torch.sqrt(sigma2 + self.eps) * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y.to(x.dtype)


def gelu(x: Tensor) -> Tensor:
    """x Phi(x), with Phi(x) = (1 + erf(x / sqrt 2)) / 2 the standard normal CDF."""
    phi = 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))
    return x * phi


class BiasedLinear(Linear):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x) + self.bias


class GeluMLP(nn.Module):
    def __init__(self, d_model: int, d_ff: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        Layer = BiasedLinear if bias else Linear
        self.w1 = Layer(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = Layer(d_ff, d_model, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(gelu(self.w1(x)))


class RotaryPositionalEmbedding(nn.Module):
    """Pair (x_2i, x_2i+1) is the complex number x_2i + i x_2i+1; RoPE multiplies it by e^{i pos w_i}.

    Multiplying by a unit complex number is a rotation, and e^{i a} e^{i b} = e^{i (a + b)} is
    why the dot product of a rotated query and key depends only on their distance.
    """

    def __init__(self, theta: float, d_k: int, max_seq_len: int, device=None):
        super().__init__()
        if d_k % 2 == 1:
            raise ValueError(f"rotary embedding pairs up features, so d_k must be even (got {d_k})")
        i = torch.arange(d_k // 2, dtype=torch.float64)
        omega = theta ** (-2.0 * i / d_k)  # w_i
        pos = torch.arange(max_seq_len, dtype=torch.float64)
        angles = pos[:, None] * omega[None, :]  # (max_seq_len, d_k / 2)
        unit = torch.polar(torch.ones_like(angles), angles)  # e^{i angle} = cos + i sin
        self.register_buffer("cos", unit.real.float().to(device), persistent=False)
        self.register_buffer("sin", unit.imag.float().to(device), persistent=False)

    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        rotation = torch.complex(self.cos[token_positions], self.sin[token_positions])  # (..., T, d_k / 2)
        wide = x.to(torch.promote_types(x.dtype, torch.float32))
        z = torch.view_as_complex(rearrange(wide, "... (half two) -> ... half two", two=2).contiguous())
        rotated = torch.view_as_real(z * rotation)  # (..., T, d_k / 2, 2)
        return rearrange(rotated, "... half two -> ... (half two)").to(x.dtype)


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model: int, num_heads: int, bias: bool = False,
                 rope: RotaryPositionalEmbedding | None = None, device=None, dtype=None):
        super().__init__()
        self.num_heads = num_heads
        self.rope = rope
        self.q_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.k_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.v_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.output_proj = (BiasedLinear if bias else Linear)(d_model, d_model, device=device, dtype=dtype)

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        T = x.shape[-2]
        q, k, v = (rearrange(proj(x), "... t (h d) -> ... h t d", h=self.num_heads)
                   for proj in (self.q_proj, self.k_proj, self.v_proj))
        if self.rope is not None:
            if token_positions is None:
                token_positions = torch.arange(T, device=x.device)
            positions = token_positions[..., None, :]  # (..., 1, T): the same rotation for every head
            q = self.rope(q, positions)
            k = self.rope(k, positions)
        # M_ij = [j <= i]: query i sees keys 0..i
        i = torch.arange(T, device=x.device)
        lower_triangle = i[None, :] <= i[:, None]
        heads = scaled_dot_product_attention(q, k, v, lower_triangle)
        return self.output_proj(rearrange(heads, "... h t d -> ... t (h d)"))


def make_norm(config: TransformerConfig, device=None, dtype=None) -> nn.Module:
    if config.norm == "layernorm":
        return LayerNorm(config.d_model, config.eps, bias=config.bias, device=device, dtype=dtype)
    return RMSNorm(config.d_model, config.eps, device=device, dtype=dtype)


class TransformerBlock(nn.Module):
    def __init__(self, config: TransformerConfig, rope: RotaryPositionalEmbedding | None = None,
                 device=None, dtype=None):
        super().__init__()
        self.ln1 = make_norm(config, device, dtype)
        self.attn = MultiHeadSelfAttention(config.d_model, config.num_heads, bias=config.bias, rope=rope,
                                           device=device, dtype=dtype)
        self.ln2 = make_norm(config, device, dtype)
        if config.ffn == "gelu":
            self.ffn = GeluMLP(config.d_model, config.d_ff, bias=config.bias, device=device, dtype=dtype)
        else:
            self.ffn = SwiGLU(config.d_model, config.d_ff, device=device, dtype=dtype)

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        h = x + self.attn(self.ln1(x), token_positions)
        return h + self.ffn(self.ln2(h))


class TransformerLM(nn.Module):
    def __init__(self, config: TransformerConfig, device=None, dtype=None):
        super().__init__()
        self.config = config
        C, V = config.d_model, config.vocab_size
        self.token_embeddings = Embedding(V, C, device=device, dtype=dtype)
        self.position_embeddings = (
            Embedding(config.context_length, C, device=device, dtype=dtype) if config.positions == "learned" else None
        )
        self.rope = (
            RotaryPositionalEmbedding(config.rope_theta, config.d_head, config.context_length, device=device)
            if config.positions == "rope" else None
        )
        self.layers = nn.ModuleList(
            [TransformerBlock(config, rope=self.rope, device=device, dtype=dtype) for _ in range(config.num_layers)]
        )
        self.ln_final = make_norm(config, device, dtype)
        self.lm_head = (BiasedLinear if config.bias else Linear)(C, V, device=device, dtype=dtype)

    def forward(self, idx: Tensor, targets: Tensor | None = None):
        T = idx.size(1)
        if T > self.config.context_length:
            raise ValueError(
                f"the model reads at most context_length = {self.config.context_length} tokens; got T = {T}"
            )
        positions = torch.arange(T, device=idx.device)
        x = self.token_embeddings(idx)
        if self.position_embeddings is not None:
            x = x + self.position_embeddings(positions)
        for block in self.layers:
            x = block(x, positions)
        logits = self.lm_head(self.ln_final(x))
        if targets is None:
            return logits
        return logits, cross_entropy(logits, targets)


def count_parameters(config: TransformerConfig) -> int:
    """N = V C [+ L_ctx C] + n (4 C^2 [+ C] + 2 g + f) + g + C V [+ V]

    with g the parameters of one norm (C, or 2C for LayerNorm with bias) and f those of the
    feed-forward (3 C F for SwiGLU; 2 C F [+ F + C] for the GELU MLP). [...] are the bias
    terms, and L_ctx C the learned position table.
    """
    C, V, F, n = config.d_model, config.vocab_size, config.d_ff, config.num_layers
    beta = 1 if config.bias else 0
    g = C * (1 + beta) if config.norm == "layernorm" else C
    f = 3 * C * F if config.ffn == "swiglu" else 2 * C * F + beta * (F + C)
    position_table = config.context_length * C if config.positions == "learned" else 0
    return V * C + position_table + n * (4 * C * C + beta * C + 2 * g + f) + g + C * V + beta * V
