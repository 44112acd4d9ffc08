"""Thin nn.Module wrappers: each owns its parameters and calls a pure function from functional.py."""

import math

import torch
from torch import Tensor, nn

from assignment.transformer import TransformerConfig

from . import functional as F


class Linear(nn.Module):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None) -> None:
        super().__init__()
        std = math.sqrt(2 / (in_features + out_features))
        self.weight = nn.Parameter(F.truncated_normal((out_features, in_features), std, device, dtype))

    def forward(self, inputs: Tensor) -> Tensor:
        return F.linear(inputs, self.weight)


class BiasedLinear(Linear):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None) -> None:
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))

    def forward(self, inputs: Tensor) -> Tensor:
        return super().forward(inputs) + self.bias


class Embedding(nn.Module):
    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None) -> None:
        super().__init__()
        self.weight = nn.Parameter(F.truncated_normal((num_embeddings, embedding_dim), 1.0, device, dtype))

    def forward(self, token_ids: Tensor) -> Tensor:
        return F.embed(token_ids, self.weight)


class RMSNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, inputs: Tensor) -> Tensor:
        return F.rms_norm(inputs, self.weight, self.eps)


class LayerNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(d_model, device=device, dtype=dtype)) if bias else None

    def forward(self, inputs: Tensor) -> Tensor:
        return F.layer_norm(inputs, self.weight, self.bias, self.eps)


class SwiGLU(nn.Module):
    def __init__(self, d_model: int, d_ff: int | None = None, device=None, dtype=None) -> None:
        super().__init__()
        self.d_ff = F.default_swiglu_width(d_model) if d_ff is None else d_ff
        self.w1 = Linear(d_model, self.d_ff, device=device, dtype=dtype)
        self.w2 = Linear(self.d_ff, d_model, device=device, dtype=dtype)
        self.w3 = Linear(d_model, self.d_ff, device=device, dtype=dtype)

    def forward(self, inputs: Tensor) -> Tensor:
        return F.swiglu(inputs, self.w1.weight, self.w2.weight, self.w3.weight)


class GeluMLP(nn.Module):
    def __init__(self, d_model: int, d_ff: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        layer = BiasedLinear if bias else Linear
        self.w1 = layer(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = layer(d_ff, d_model, device=device, dtype=dtype)

    def forward(self, inputs: Tensor) -> Tensor:
        return self.w2(F.gelu(self.w1(inputs)))


class RotaryPositionalEmbedding(nn.Module):
    def __init__(self, theta: float, d_k: int, max_seq_len: int, device=None) -> None:
        super().__init__()
        cos, sin = F.rope_tables(theta, d_k, max_seq_len, device)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, inputs: Tensor, token_positions: Tensor) -> Tensor:
        return F.apply_rope(inputs, self.cos[token_positions], self.sin[token_positions])


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model: int, num_heads: int, bias: bool = False,
                 rope: RotaryPositionalEmbedding | None = None, device=None, dtype=None) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.rope = rope
        self.q_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.k_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.v_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        output_layer = BiasedLinear if bias else Linear
        self.output_proj = output_layer(d_model, d_model, device=device, dtype=dtype)

    def forward(self, inputs: Tensor, token_positions: Tensor | None = None) -> Tensor:
        heads = F.multi_head_attention(inputs, self.q_proj.weight, self.k_proj.weight, self.v_proj.weight,
                                       self.num_heads, token_positions, self.rope)
        return self.output_proj(heads)


def make_norm(config: TransformerConfig, device=None, dtype=None) -> nn.Module:
    if config.norm == "rmsnorm":
        return RMSNorm(config.d_model, eps=config.eps, device=device, dtype=dtype)
    return LayerNorm(config.d_model, eps=config.eps, bias=config.bias, device=device, dtype=dtype)


def make_ffn(config: TransformerConfig, device=None, dtype=None) -> nn.Module:
    if config.ffn == "swiglu":
        return SwiGLU(config.d_model, config.d_ff, device=device, dtype=dtype)
    return GeluMLP(config.d_model, config.d_ff, bias=config.bias, device=device, dtype=dtype)


class TransformerBlock(nn.Module):
    def __init__(self, config: TransformerConfig, rope: RotaryPositionalEmbedding | None = None,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.ln1 = make_norm(config, device, dtype)
        self.attn = MultiHeadSelfAttention(config.d_model, config.num_heads, bias=config.bias, rope=rope,
                                           device=device, dtype=dtype)
        self.ln2 = make_norm(config, device, dtype)
        self.ffn = make_ffn(config, device, dtype)

    def forward(self, inputs: Tensor, token_positions: Tensor | None = None) -> Tensor:
        after_attention = inputs + self.attn(self.ln1(inputs), token_positions)
        return after_attention + self.ffn(self.ln2(after_attention))


class TransformerLM(nn.Module):
    def __init__(self, config: TransformerConfig, device=None, dtype=None) -> None:
        super().__init__()
        self.config = config
        self.token_embeddings = Embedding(config.vocab_size, config.d_model, device, dtype)
        self.position_embeddings: Embedding | None = None
        self.rope: RotaryPositionalEmbedding | None = None
        if config.positions == "learned":
            self.position_embeddings = Embedding(config.context_length, config.d_model, device, dtype)
        else:
            self.rope = RotaryPositionalEmbedding(config.rope_theta, config.d_head, config.context_length, device)
        blocks = [TransformerBlock(config, self.rope, device, dtype) for _ in range(config.num_layers)]
        self.layers = nn.ModuleList(blocks)
        self.ln_final = make_norm(config, device, dtype)
        head = BiasedLinear if config.bias else Linear
        self.lm_head = head(config.d_model, config.vocab_size, device, dtype)

    def forward(self, inputs: Tensor, targets: Tensor | None = None) -> Tensor | tuple[Tensor, Tensor]:
        length = inputs.shape[-1]
        if length > self.config.context_length:
            raise ValueError(f"got {length} tokens; this model takes at most {self.config.context_length}")
        positions = torch.arange(length, device=inputs.device)
        hidden = self.token_embeddings(inputs)
        if self.position_embeddings is not None:
            hidden = hidden + self.position_embeddings(positions)
        for layer in self.layers:
            hidden = layer(hidden, positions)
        logits = self.lm_head(self.ln_final(hidden))
        if targets is None:
            return logits
        return logits, F.cross_entropy(logits, targets)


def count_parameters(config: TransformerConfig) -> int:
    return sum(math.prod(shape) for shape in F.parameter_shapes(config).values())


# The Part 1 functions the grader reaches, under the assignment's names.
silu = F.silu
gelu = F.gelu
softmax = F.softmax
cross_entropy = F.cross_entropy
scaled_dot_product_attention = F.attention
