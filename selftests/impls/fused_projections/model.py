"""Parts 1 and 2 in one module: layers and the model, with the projections fused where it pays."""

import math

import torch
from torch import Tensor, nn

from assignment.transformer import TransformerConfig

_NEG = float("-inf")


# ---------------------------------------------------------------------------------------------
# Part 1: building blocks
# ---------------------------------------------------------------------------------------------
class Linear(nn.Module):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty((out_features, in_features), device=device, dtype=dtype))
        std = (2.0 / (in_features + out_features)) ** 0.5
        nn.init.trunc_normal_(self.weight, std=std, a=-3.0 * std, b=3.0 * std)

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.mT


class Embedding(nn.Module):
    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty((num_embeddings, embedding_dim), device=device, dtype=dtype))
        nn.init.trunc_normal_(self.weight, std=1.0, a=-3.0, b=3.0)

    def forward(self, token_ids: Tensor) -> Tensor:
        # One flat index_select is cheaper than advanced indexing with an arbitrary index shape.
        rows = self.weight.index_select(0, token_ids.reshape(-1))
        return rows.view(*token_ids.shape, self.weight.shape[1])


class RMSNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        xf = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        inv_rms = torch.rsqrt(xf.pow(2).mean(-1, keepdim=True).add_(self.eps))
        return (xf * inv_rms * self.weight).to(x.dtype)


def silu(x: Tensor) -> Tensor:
    return x * torch.sigmoid(x)


class SwiGLU(nn.Module):
    def __init__(self, d_model: int, d_ff: int | None = None, device=None, dtype=None):
        super().__init__()
        if d_ff is None:
            d_ff = -(-8 * d_model // (3 * 64)) * 64  # ceil(8/3 d / 64) * 64 in integers
        self.d_ff = d_ff
        self.w1 = Linear(d_model, d_ff, device=device, dtype=dtype)
        self.w3 = Linear(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = Linear(d_ff, d_model, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        # w1 and w3 read the same input: one (2 d_ff, d_model) matmul instead of two.
        gate_and_value = x @ torch.cat((self.w1.weight, self.w3.weight)).mT
        gate, value = gate_and_value.split(self.d_ff, dim=-1)
        return self.w2(silu(gate) * value)


def softmax(x: Tensor, dim: int) -> Tensor:
    e = torch.exp(x - x.amax(dim=dim, keepdim=True).detach())
    return e / e.sum(dim=dim, keepdim=True)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = torch.matmul(q, k.mT).mul_(1.0 / math.sqrt(q.shape[-1]))
    if mask is not None:
        # The most negative finite number: exp of it (minus the row max) is exactly 0 as well.
        scores = scores.masked_fill(mask.logical_not(), torch.finfo(scores.dtype).min)
    return softmax(scores, -1) @ v


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    logits = logits.reshape(-1, logits.shape[-1])
    peak = logits.amax(dim=-1, keepdim=True).detach()
    log_norm = peak + (logits - peak).exp().sum(dim=-1, keepdim=True).log()  # (N, 1)
    target_logit = logits.gather(-1, targets.reshape(-1, 1))  # (N, 1)
    return (log_norm - target_logit).mean()


# ---------------------------------------------------------------------------------------------
# Part 2: the transformer
# ---------------------------------------------------------------------------------------------
class LayerNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(d_model, device=device, dtype=dtype)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        xf = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        var, mean = torch.var_mean(xf, dim=-1, keepdim=True, correction=0)
        y = (xf - mean) * torch.rsqrt(var + self.eps) * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y.to(x.dtype)


def gelu(x: Tensor) -> Tensor:
    return x * 0.5 * (1.0 + torch.erf(x * (1.0 / math.sqrt(2.0))))


class BiasedLinear(Linear):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x) + self.bias


class GeluMLP(nn.Module):
    def __init__(self, d_model: int, d_ff: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        cls = BiasedLinear if bias else Linear
        self.w1 = cls(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = cls(d_ff, d_model, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(gelu(self.w1(x)))


class RotaryPositionalEmbedding(nn.Module):
    def __init__(self, theta: float, d_k: int, max_seq_len: int, device=None):
        super().__init__()
        if d_k % 2 != 0:
            raise ValueError(f"d_k must be even for rotary embeddings, got {d_k}")
        inv_freq = 1.0 / theta ** (torch.arange(0, d_k, 2, dtype=torch.float64) / d_k)
        angles = torch.outer(torch.arange(max_seq_len, dtype=torch.float64), inv_freq)
        self.register_buffer("cos", angles.cos().float().to(device), persistent=False)
        self.register_buffer("sin", angles.sin().float().to(device), persistent=False)

    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        cos, sin = self.cos[token_positions], self.sin[token_positions]
        x_even, x_odd = x[..., 0::2], x[..., 1::2]
        out = torch.stack((x_even * cos - x_odd * sin, x_even * sin + x_odd * cos), dim=-1)
        return out.flatten(-2).to(x.dtype)


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model: int, num_heads: int, bias: bool = False,
                 rope: RotaryPositionalEmbedding | None = None, device=None, dtype=None):
        super().__init__()
        self.num_heads = num_heads
        self.d_model = d_model
        self.rope = rope
        self.q_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.k_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.v_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.output_proj = (BiasedLinear if bias else Linear)(d_model, d_model, device=device, dtype=dtype)

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        T, h = x.shape[-2], self.num_heads
        # One matmul for all three projections; autograd splits the gradient back onto each weight.
        w_qkv = torch.cat((self.q_proj.weight, self.k_proj.weight, self.v_proj.weight), dim=0)
        q, k, v = (x @ w_qkv.mT).split(self.d_model, dim=-1)
        # (..., T, h*d) -> (..., h, T, d), heads outermost in the feature dim
        q, k, v = (t.unflatten(-1, (h, -1)).transpose(-3, -2) for t in (q, k, v))
        if self.rope is not None:
            if token_positions is None:
                token_positions = torch.arange(T, device=x.device)
            pos = token_positions.unsqueeze(-2)  # a head dim to broadcast over
            q, k = self.rope(q, pos), self.rope(k, pos)
        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril_()
        out = scaled_dot_product_attention(q, k, v, causal)
        return self.output_proj(out.transpose(-3, -2).flatten(-2))


def make_norm(config: TransformerConfig, device=None, dtype=None) -> nn.Module:
    if config.norm == "rmsnorm":
        return RMSNorm(config.d_model, config.eps, device=device, dtype=dtype)
    return LayerNorm(config.d_model, config.eps, bias=config.bias, device=device, dtype=dtype)


class TransformerBlock(nn.Module):
    def __init__(self, config: TransformerConfig, rope: RotaryPositionalEmbedding | None = None,
                 device=None, dtype=None):
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.ln1 = make_norm(config, **factory)
        self.attn = MultiHeadSelfAttention(config.d_model, config.num_heads, bias=config.bias, rope=rope, **factory)
        self.ln2 = make_norm(config, **factory)
        self.ffn = (SwiGLU(config.d_model, config.d_ff, **factory) if config.ffn == "swiglu"
                    else GeluMLP(config.d_model, config.d_ff, bias=config.bias, **factory))

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.ln1(x), token_positions)
        x = x + self.ffn(self.ln2(x))
        return x


class TransformerLM(nn.Module):
    def __init__(self, config: TransformerConfig, device=None, dtype=None):
        super().__init__()
        self.config = config
        factory = {"device": device, "dtype": dtype}
        self.token_embeddings = Embedding(config.vocab_size, config.d_model, **factory)
        self.position_embeddings = None
        self.rope = None
        if config.positions == "learned":
            self.position_embeddings = Embedding(config.context_length, config.d_model, **factory)
        else:
            self.rope = RotaryPositionalEmbedding(config.rope_theta, config.d_head, config.context_length,
                                                  device=device)
        self.layers = nn.ModuleList([TransformerBlock(config, self.rope, **factory) for _ in range(config.num_layers)])
        self.ln_final = make_norm(config, **factory)
        self.lm_head = (BiasedLinear if config.bias else Linear)(config.d_model, config.vocab_size, **factory)

    def forward(self, idx: Tensor, targets: Tensor | None = None):
        T = idx.shape[1]
        if T > self.config.context_length:
            raise ValueError(f"input has {T} tokens but the model's context_length is {self.config.context_length}")
        pos = torch.arange(T, device=idx.device)
        h = self.token_embeddings(idx)
        if self.position_embeddings is not None:
            h = h + self.position_embeddings(pos)
        for layer in self.layers:
            h = layer(h, pos)
        logits = self.lm_head(self.ln_final(h))
        return logits if targets is None else (logits, cross_entropy(logits, targets))


def count_parameters(config: TransformerConfig) -> int:
    d, V, F, L = config.d_model, config.vocab_size, config.d_ff, config.num_layers
    b = int(config.bias)
    norm = d * (2 if config.norm == "layernorm" and config.bias else 1)
    attention = 4 * d * d + b * d
    mlp = 3 * d * F if config.ffn == "swiglu" else 2 * d * F + b * (F + d)
    positions = config.context_length * d if config.positions == "learned" else 0
    return V * d + positions + L * (attention + mlp + 2 * norm) + norm + d * V + b * V
