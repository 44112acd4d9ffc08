"""Attention heads, transformer blocks and the language model."""

import torch
from einops import rearrange
from torch import Tensor, nn

from .components import BiasedLinear, Embedding, GeluMLP, LayerNorm, Linear, RMSNorm, RotaryPositionalEmbedding, SwiGLU
from .probability import cross_entropy, scaled_dot_product_attention


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model: int, num_heads: int, bias: bool = False, rope: RotaryPositionalEmbedding | None = None,
                 device=None, dtype=None):
        super().__init__()
        self.num_heads, self.rope = num_heads, rope
        self.q_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.k_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.v_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.output_proj = (BiasedLinear if bias else Linear)(d_model, d_model, device=device, dtype=dtype)

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        T = x.shape[-2]
        q, k, v = (rearrange(proj(x), "... t (h d) -> ... h t d", h=self.num_heads)
                   for proj in (self.q_proj, self.k_proj, self.v_proj))
        if self.rope is not None:
            positions = torch.arange(T, device=x.device) if token_positions is None else token_positions
            positions = rearrange(positions, "... t -> ... 1 t")
            q, k = self.rope(q, positions), self.rope(k, positions)
        future = torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), diagonal=1)
        out = scaled_dot_product_attention(q, k, v, ~future)
        return self.output_proj(rearrange(out, "... h t d -> ... t (h d)"))


def make_norm(config, device=None, dtype=None) -> nn.Module:
    if config.norm == "layernorm":
        return LayerNorm(config.d_model, config.eps, bias=config.bias, device=device, dtype=dtype)
    return RMSNorm(config.d_model, config.eps, device=device, dtype=dtype)


class TransformerBlock(nn.Module):
    def __init__(self, config, rope: RotaryPositionalEmbedding | None = None, device=None, dtype=None):
        super().__init__()
        self.ln1, self.ln2 = make_norm(config, device, dtype), make_norm(config, device, dtype)
        self.attn = MultiHeadSelfAttention(config.d_model, config.num_heads, bias=config.bias, rope=rope,
                                           device=device, dtype=dtype)
        self.ffn = (
            SwiGLU(config.d_model, config.d_ff, device=device, dtype=dtype) if config.ffn == "swiglu"
            else GeluMLP(config.d_model, config.d_ff, bias=config.bias, device=device, dtype=dtype)
        )

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        h = x + self.attn(self.ln1(x), token_positions)
        return h + self.ffn(self.ln2(h))


class TransformerLM(nn.Module):
    def __init__(self, config, device=None, dtype=None):
        super().__init__()
        self.config = config
        self.token_embeddings = Embedding(config.vocab_size, config.d_model, device=device, dtype=dtype)
        learned = config.positions == "learned"
        self.position_embeddings = (
            Embedding(config.context_length, config.d_model, device=device, dtype=dtype) if learned else None)
        rope = None
        if not learned:
            rope = RotaryPositionalEmbedding(config.rope_theta, config.d_head, config.context_length, device=device)
        self.rope = rope
        self.layers = nn.ModuleList(TransformerBlock(config, rope, device, dtype) for _ in range(config.num_layers))
        self.ln_final = make_norm(config, device, dtype)
        Head = BiasedLinear if config.bias else Linear
        self.lm_head = Head(config.d_model, config.vocab_size, device=device, dtype=dtype)

    def forward(self, idx: Tensor, targets: Tensor | None = None):
        T = idx.shape[1]
        if T > self.config.context_length:
            raise ValueError(f"idx has {T} positions; the model sees at most {self.config.context_length}")
        positions = torch.arange(T, device=idx.device)
        h = self.token_embeddings(idx)
        if self.position_embeddings is not None:
            h = h + self.position_embeddings(positions)
        for layer in self.layers:
            h = layer(h, positions)
        logits = self.lm_head(self.ln_final(h))
        return logits if targets is None else (logits, cross_entropy(logits, targets))


def count_parameters(config) -> int:
    C, V, F, L = config.d_model, config.vocab_size, config.d_ff, config.num_layers
    b = int(config.bias)
    norm = C * (1 + b * (config.norm == "layernorm"))
    ffn = 3 * C * F if config.ffn == "swiglu" else 2 * C * F + b * (F + C)
    block = 4 * C * C + b * C + 2 * norm + ffn
    positions = config.context_length * C if config.positions == "learned" else 0
    return V * C + positions + L * block + norm + C * V + b * V
