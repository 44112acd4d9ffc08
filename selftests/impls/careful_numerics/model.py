"""The transformer: multi-head causal attention, pre-norm blocks and the language model."""

import torch
from einops import rearrange
from torch import Tensor, nn

from assignment.transformer import TransformerConfig

from .layers import BiasedLinear, Embedding, GeluMLP, LayerNorm, Linear, RMSNorm, RotaryPositionalEmbedding, SwiGLU
from .numerics import cross_entropy, scaled_dot_product_attention


def causal_mask(length: int, device=None) -> Tensor:
    """True where query t may look at key s: s <= t."""
    return torch.ones(length, length, dtype=torch.bool, device=device).tril()


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model: int, num_heads: int, bias: bool = False,
                 rope: RotaryPositionalEmbedding | None = None, device=None, dtype=None):
        super().__init__()
        if d_model % num_heads != 0:
            raise ValueError(f"d_model ({d_model}) must be divisible by num_heads ({num_heads})")
        self.num_heads = num_heads
        self.rope = rope
        self.q_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.k_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.v_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.output_proj = (BiasedLinear if bias else Linear)(d_model, d_model, device=device, dtype=dtype)

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        length = x.shape[-2]
        q, k, v = (rearrange(proj(x), "... t (h d) -> ... h t d", h=self.num_heads)
                   for proj in (self.q_proj, self.k_proj, self.v_proj))
        if self.rope is not None:
            if token_positions is None:
                token_positions = torch.arange(length, device=x.device)
            positions = token_positions.unsqueeze(-2)  # a head dim, to broadcast over the heads
            q, k = self.rope(q, positions), self.rope(k, positions)
        heads = scaled_dot_product_attention(q, k, v, causal_mask(length, device=x.device))
        return self.output_proj(rearrange(heads, "... h t d -> ... t (h d)"))


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

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.ln1(x), token_positions)
        return x + self.ffn(self.ln2(x))


class TransformerLM(nn.Module):
    def __init__(self, config: TransformerConfig, device=None, dtype=None):
        super().__init__()
        self.config = config
        self.token_embeddings = Embedding(config.vocab_size, config.d_model, device=device, dtype=dtype)
        self.position_embeddings = (
            Embedding(config.context_length, config.d_model, device=device, dtype=dtype)
            if config.positions == "learned" else None
        )
        self.rope = (
            RotaryPositionalEmbedding(config.rope_theta, config.d_head, config.context_length, device=device)
            if config.positions == "rope" else None
        )
        self.layers = nn.ModuleList(
            TransformerBlock(config, rope=self.rope, device=device, dtype=dtype) for _ in range(config.num_layers)
        )
        self.ln_final = make_norm(config, device=device, dtype=dtype)
        head = BiasedLinear if config.bias else Linear
        self.lm_head = head(config.d_model, config.vocab_size, device=device, dtype=dtype)

    def forward(self, idx: Tensor, targets: Tensor | None = None):
        length = idx.shape[-1]
        if length > self.config.context_length:
            raise ValueError(
                f"the sequence has {length} tokens but the model's context_length is {self.config.context_length}; "
                "crop it to the last context_length tokens"
            )
        positions = torch.arange(length, device=idx.device)
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
    C, V, F = config.d_model, config.vocab_size, config.d_ff
    norm = C + (C if config.norm == "layernorm" and config.bias else 0)
    attention = 4 * C * C + (C if config.bias else 0)
    if config.ffn == "swiglu":
        ffn = 3 * C * F
    else:
        ffn = 2 * C * F + ((F + C) if config.bias else 0)
    embeddings = V * C + (config.context_length * C if config.positions == "learned" else 0)
    head = V * C + (V if config.bias else 0)
    return embeddings + config.num_layers * (attention + 2 * norm + ffn) + norm + head
