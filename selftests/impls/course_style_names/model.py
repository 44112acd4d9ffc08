"""The model: layers from scratch and the transformer language model built from them."""

import math

import torch
import torch.nn as nn
from einops import einsum, rearrange
from jaxtyping import Float, Int
from torch import Tensor

from assignment.transformer import TransformerConfig

from .nn_utils import cross_entropy, gelu, scaled_dot_product_attention, silu


class Linear(nn.Module):
    def __init__(self, d_in: int, d_out: int, device=None, dtype=None):
        super().__init__()
        std = math.sqrt(2.0 / (d_in + d_out))
        self.weight = nn.Parameter(torch.empty(d_out, d_in, device=device, dtype=dtype))
        nn.init.trunc_normal_(self.weight, mean=0.0, std=std, a=-3 * std, b=3 * std)

    def forward(self, in_features: Float[Tensor, " ... d_in"]) -> Float[Tensor, " ... d_out"]:
        return einsum(in_features, self.weight, "... d_in, d_out d_in -> ... d_out")


class Embedding(nn.Module):
    def __init__(self, vocab_size: int, d_model: int, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(vocab_size, d_model, device=device, dtype=dtype))
        nn.init.trunc_normal_(self.weight, mean=0.0, std=1.0, a=-3.0, b=3.0)

    def forward(self, token_ids: Int[Tensor, " ..."]) -> Float[Tensor, " ... d_model"]:
        return self.weight[token_ids]


class RMSNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, in_features: Float[Tensor, " ... d_model"]) -> Float[Tensor, " ... d_model"]:
        in_dtype = in_features.dtype
        x = in_features.to(torch.promote_types(in_dtype, torch.float32))
        rms = torch.sqrt(torch.mean(x**2, dim=-1, keepdim=True) + self.eps)
        result = x / rms * self.weight
        return result.to(in_dtype)


class LayerNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(d_model, device=device, dtype=dtype)) if bias else None

    def forward(self, in_features: Float[Tensor, " ... d_model"]) -> Float[Tensor, " ... d_model"]:
        in_dtype = in_features.dtype
        x = in_features.to(torch.promote_types(in_dtype, torch.float32))
        mean = x.mean(dim=-1, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
        result = (x - mean) / torch.sqrt(var + self.eps) * self.weight
        if self.bias is not None:
            result = result + self.bias
        return result.to(in_dtype)


class BiasedLinear(Linear):
    def __init__(self, d_in: int, d_out: int, device=None, dtype=None):
        super().__init__(d_in, d_out, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(d_out, device=device, dtype=dtype))

    def forward(self, in_features: Float[Tensor, " ... d_in"]) -> Float[Tensor, " ... d_out"]:
        return super().forward(in_features) + self.bias


class SwiGLU(nn.Module):
    def __init__(self, d_model: int, d_ff: int | None = None, device=None, dtype=None):
        super().__init__()
        if d_ff is None:
            d_ff = 64 * math.ceil(8 * d_model / 3 / 64)
        self.d_ff = int(d_ff)
        self.w1 = Linear(d_model, self.d_ff, device=device, dtype=dtype)
        self.w2 = Linear(self.d_ff, d_model, device=device, dtype=dtype)
        self.w3 = Linear(d_model, self.d_ff, device=device, dtype=dtype)

    def forward(self, in_features: Float[Tensor, " ... d_model"]) -> Float[Tensor, " ... d_model"]:
        return self.w2(silu(self.w1(in_features)) * self.w3(in_features))


class GeluMLP(nn.Module):
    def __init__(self, d_model: int, d_ff: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        linear_cls = BiasedLinear if bias else Linear
        self.w1 = linear_cls(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = linear_cls(d_ff, d_model, device=device, dtype=dtype)

    def forward(self, in_features: Float[Tensor, " ... d_model"]) -> Float[Tensor, " ... d_model"]:
        return self.w2(gelu(self.w1(in_features)))


class RotaryPositionalEmbedding(nn.Module):
    def __init__(self, theta: float, d_k: int, max_seq_len: int, device=None):
        super().__init__()
        if d_k % 2 != 0:
            raise ValueError(f"RoPE needs an even d_k, got {d_k}")
        inv_freq = 1.0 / (theta ** (torch.arange(0, d_k, 2, device=device).float() / d_k))
        positions = torch.arange(max_seq_len, device=device).float()
        angles = einsum(positions, inv_freq, "seq, half -> seq half")
        self.register_buffer("cos", torch.cos(angles), persistent=False)
        self.register_buffer("sin", torch.sin(angles), persistent=False)

    def forward(
        self, in_query_or_key: Float[Tensor, " ... seq d_k"], token_positions: Int[Tensor, " ... seq"]
    ) -> Float[Tensor, " ... seq d_k"]:
        cos = self.cos[token_positions]
        sin = self.sin[token_positions]
        pairs = rearrange(in_query_or_key, "... (half two) -> ... half two", two=2)
        x_even, x_odd = pairs[..., 0], pairs[..., 1]
        rotated = torch.stack((x_even * cos - x_odd * sin, x_even * sin + x_odd * cos), dim=-1)
        return rearrange(rotated, "... half two -> ... (half two)").to(in_query_or_key.dtype)


class MultiHeadSelfAttention(nn.Module):
    def __init__(
        self,
        d_model: int,
        num_heads: int,
        bias: bool = False,
        rope: RotaryPositionalEmbedding | None = None,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.num_heads = num_heads
        self.rope = rope
        self.q_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.k_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.v_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.output_proj = (BiasedLinear if bias else Linear)(d_model, d_model, device=device, dtype=dtype)

    def forward(
        self,
        in_features: Float[Tensor, " ... sequence_length d_in"],
        token_positions: Int[Tensor, " ... sequence_length"] | None = None,
    ) -> Float[Tensor, " ... sequence_length d_out"]:
        seq_len = in_features.shape[-2]
        Q = rearrange(self.q_proj(in_features), "... seq (h d) -> ... h seq d", h=self.num_heads)
        K = rearrange(self.k_proj(in_features), "... seq (h d) -> ... h seq d", h=self.num_heads)
        V = rearrange(self.v_proj(in_features), "... seq (h d) -> ... h seq d", h=self.num_heads)
        if self.rope is not None:
            if token_positions is None:
                token_positions = torch.arange(seq_len, device=in_features.device)
            head_positions = rearrange(token_positions, "... seq -> ... 1 seq")
            Q = self.rope(Q, head_positions)
            K = self.rope(K, head_positions)
        causal_mask = torch.tril(torch.ones(seq_len, seq_len, dtype=torch.bool, device=in_features.device))
        attn_output = scaled_dot_product_attention(Q, K, V, causal_mask)
        attn_output = rearrange(attn_output, "... h seq d -> ... seq (h d)")
        return self.output_proj(attn_output)


def make_norm(config: TransformerConfig, device=None, dtype=None) -> nn.Module:
    if config.norm == "rmsnorm":
        return RMSNorm(config.d_model, eps=config.eps, device=device, dtype=dtype)
    return LayerNorm(config.d_model, eps=config.eps, bias=config.bias, device=device, dtype=dtype)


class TransformerBlock(nn.Module):
    def __init__(
        self, config: TransformerConfig, rope: RotaryPositionalEmbedding | None = None, device=None, dtype=None
    ):
        super().__init__()
        self.ln1 = make_norm(config, device=device, dtype=dtype)
        self.attn = MultiHeadSelfAttention(
            config.d_model, config.num_heads, bias=config.bias, rope=rope, device=device, dtype=dtype
        )
        self.ln2 = make_norm(config, device=device, dtype=dtype)
        if config.ffn == "swiglu":
            self.ffn = SwiGLU(config.d_model, config.d_ff, device=device, dtype=dtype)
        else:
            self.ffn = GeluMLP(config.d_model, config.d_ff, bias=config.bias, device=device, dtype=dtype)

    def forward(
        self,
        in_features: Float[Tensor, " batch sequence_length d_model"],
        token_positions: Int[Tensor, " ... sequence_length"] | None = None,
    ) -> Float[Tensor, " batch sequence_length d_model"]:
        y = in_features + self.attn(self.ln1(in_features), token_positions)
        return y + self.ffn(self.ln2(y))


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
            self.rope = RotaryPositionalEmbedding(
                config.rope_theta, config.d_head, config.context_length, device=device
            )
        self.layers = nn.ModuleList(
            [TransformerBlock(config, rope=self.rope, device=device, dtype=dtype) for _ in range(config.num_layers)]
        )
        self.ln_final = make_norm(config, device=device, dtype=dtype)
        lm_head_cls = BiasedLinear if config.bias else Linear
        self.lm_head = lm_head_cls(config.d_model, config.vocab_size, device=device, dtype=dtype)

    def forward(
        self,
        in_indices: Int[Tensor, " batch_size sequence_length"],
        targets: Int[Tensor, " batch_size sequence_length"] | None = None,
    ):
        sequence_length = in_indices.shape[-1]
        if sequence_length > self.config.context_length:
            raise ValueError(
                f"sequence length {sequence_length} is longer than the context length {self.config.context_length}"
            )
        token_positions = torch.arange(sequence_length, device=in_indices.device)
        x = self.token_embeddings(in_indices)
        if self.position_embeddings is not None:
            x = x + self.position_embeddings(token_positions)
        for layer in self.layers:
            x = layer(x, token_positions)
        logits = self.lm_head(self.ln_final(x))
        if targets is None:
            return logits
        return logits, cross_entropy(logits, targets)


def count_parameters(config: TransformerConfig) -> int:
    d_model, vocab_size, d_ff = config.d_model, config.vocab_size, config.d_ff
    norm_params = d_model * (2 if config.norm == "layernorm" and config.bias else 1)
    attn_params = 4 * d_model * d_model + (d_model if config.bias else 0)
    if config.ffn == "swiglu":
        ffn_params = 3 * d_model * d_ff
    else:
        ffn_params = 2 * d_model * d_ff + ((d_ff + d_model) if config.bias else 0)
    block_params = attn_params + ffn_params + 2 * norm_params
    embedding_params = vocab_size * d_model
    if config.positions == "learned":
        embedding_params += config.context_length * d_model
    lm_head_params = d_model * vocab_size + (vocab_size if config.bias else 0)
    return embedding_params + config.num_layers * block_params + norm_params + lm_head_params
