"""
Full definition of a GPT / Llama language model, all of it in this single file,
with plain matrix multiplies and views (no einsum).
"""

import math

import torch
import torch.nn as nn


def _upcast(x):
    # half precision overflows easily: do norm arithmetic in float32 (float64 stays float64)
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


class Linear(nn.Module):
    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features, device=device, dtype=dtype))
        std = math.sqrt(2.0 / (in_features + out_features))
        nn.init.trunc_normal_(self.weight, mean=0.0, std=std, a=-3 * std, b=3 * std)

    def forward(self, x):
        return x @ self.weight.T


class Embedding(nn.Module):
    def __init__(self, num_embeddings, embedding_dim, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim, device=device, dtype=dtype))
        nn.init.trunc_normal_(self.weight, mean=0.0, std=1.0, a=-3.0, b=3.0)

    def forward(self, idx):
        rows = self.weight.index_select(0, idx.reshape(-1))
        return rows.view(*idx.shape, self.weight.size(-1))


class RMSNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, x):
        xf = _upcast(x)
        rms = (xf * xf).mean(dim=-1, keepdim=True).add(self.eps).sqrt()
        return (xf / rms * self.weight).to(x.dtype)


def silu(x):
    return x * torch.sigmoid(x)


class SwiGLU(nn.Module):
    def __init__(self, d_model, d_ff=None, device=None, dtype=None):
        super().__init__()
        if d_ff is None:
            d_ff = 8 * d_model // 3
            d_ff = d_ff if 3 * d_ff == 8 * d_model else d_ff + 1  # ceil(8/3 d_model)
            d_ff = 64 * ((d_ff + 63) // 64)  # and up to a multiple of 64
        self.d_ff = d_ff
        self.w1 = Linear(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = Linear(d_ff, d_model, device=device, dtype=dtype)
        self.w3 = Linear(d_model, d_ff, device=device, dtype=dtype)

    def forward(self, x):
        return self.w2(silu(self.w1(x)) * self.w3(x))


def softmax(x, dim):
    x = x - x.max(dim=dim, keepdim=True)[0]
    e = x.exp()
    return e / e.sum(dim=dim, keepdim=True)


def scaled_dot_product_attention(q, k, v, mask=None):
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
    if mask is not None:
        att = att.masked_fill(mask == 0, float("-inf"))
    att = softmax(att, dim=-1)
    return att @ v


def cross_entropy(logits, targets):
    logits = logits.reshape(-1, logits.size(-1))
    targets = targets.reshape(-1)
    m = logits.max(dim=-1, keepdim=True)[0]
    logsumexp = (logits - m).exp().sum(dim=-1).log() + m.view(-1)
    correct = logits[torch.arange(logits.size(0), device=logits.device), targets]
    return (logsumexp - correct).mean()


class LayerNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5, bias=True, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(d_model, device=device, dtype=dtype)) if bias else None

    def forward(self, x):
        xf = _upcast(x)
        mean = xf.mean(dim=-1, keepdim=True)
        var = (xf - mean).pow(2).mean(dim=-1, keepdim=True)
        y = (xf - mean) / (var + self.eps).sqrt() * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y.to(x.dtype)


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


class BiasedLinear(Linear):
    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))

    def forward(self, x):
        return super().forward(x) + self.bias


class GeluMLP(nn.Module):
    def __init__(self, d_model, d_ff, bias=True, device=None, dtype=None):
        super().__init__()
        Lin = BiasedLinear if bias else Linear
        self.w1 = Lin(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = Lin(d_ff, d_model, device=device, dtype=dtype)

    def forward(self, x):
        return self.w2(gelu(self.w1(x)))


class RotaryPositionalEmbedding(nn.Module):
    def __init__(self, theta, d_k, max_seq_len, device=None):
        super().__init__()
        if d_k % 2 != 0:
            raise ValueError(f"d_k must be even for rotary embeddings, got {d_k}")
        inv_freq = 1.0 / (theta ** (torch.arange(0, d_k, 2, device=device, dtype=torch.float64) / d_k))
        t = torch.arange(max_seq_len, device=device, dtype=torch.float64)
        freqs = t.view(-1, 1) @ inv_freq.view(1, -1)  # (max_seq_len, d_k // 2), an outer product
        self.register_buffer("cos", freqs.cos().float(), persistent=False)
        self.register_buffer("sin", freqs.sin().float(), persistent=False)

    def forward(self, x, token_positions):
        cos = self.cos[token_positions].to(x.dtype)
        sin = self.sin[token_positions].to(x.dtype)
        x1 = x[..., 0::2]  # even features
        x2 = x[..., 1::2]  # odd features
        out = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
        return out.view(*x.shape)


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model, num_heads, bias=False, rope=None, device=None, dtype=None):
        super().__init__()
        assert d_model % num_heads == 0
        self.num_heads = num_heads
        self.rope = rope
        self.q_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.k_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.v_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.output_proj = (BiasedLinear if bias else Linear)(d_model, d_model, device=device, dtype=dtype)

    def forward(self, x, token_positions=None):
        B, T, C = x.size()  # batch size, sequence length, embedding dimensionality (d_model)
        hs = C // self.num_heads

        q = self.q_proj(x).view(B, T, self.num_heads, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = self.k_proj(x).view(B, T, self.num_heads, hs).transpose(1, 2)  # (B, nh, T, hs)
        v = self.v_proj(x).view(B, T, self.num_heads, hs).transpose(1, 2)  # (B, nh, T, hs)

        if self.rope is not None:
            if token_positions is None:
                token_positions = torch.arange(T, device=x.device)
            pos = token_positions.unsqueeze(-2)  # (..., 1, T): the same positions for every head
            q = self.rope(q, pos)
            k = self.rope(k, pos)

        causal = torch.arange(T, device=x.device).view(T, 1) >= torch.arange(T, device=x.device).view(1, T)
        y = scaled_dot_product_attention(q, k, v, causal)  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble all head outputs side by side
        return self.output_proj(y)


def make_norm(config, device=None, dtype=None):
    if config.norm == "rmsnorm":
        return RMSNorm(config.d_model, eps=config.eps, device=device, dtype=dtype)
    return LayerNorm(config.d_model, eps=config.eps, bias=config.bias, device=device, dtype=dtype)


class TransformerBlock(nn.Module):
    def __init__(self, config, rope=None, device=None, dtype=None):
        super().__init__()
        self.ln1 = make_norm(config, device=device, dtype=dtype)
        self.attn = MultiHeadSelfAttention(config.d_model, config.num_heads, bias=config.bias, rope=rope,
                                           device=device, dtype=dtype)
        self.ln2 = make_norm(config, device=device, dtype=dtype)
        if config.ffn == "swiglu":
            self.ffn = SwiGLU(config.d_model, config.d_ff, device=device, dtype=dtype)
        else:
            self.ffn = GeluMLP(config.d_model, config.d_ff, bias=config.bias, device=device, dtype=dtype)

    def forward(self, x, token_positions=None):
        x = x + self.attn(self.ln1(x), token_positions)
        x = x + self.ffn(self.ln2(x))
        return x


class TransformerLM(nn.Module):
    def __init__(self, config, device=None, dtype=None):
        super().__init__()
        self.config = config
        self.token_embeddings = Embedding(config.vocab_size, config.d_model, device=device, dtype=dtype)
        self.position_embeddings = None
        self.rope = None
        if config.positions == "learned":
            self.position_embeddings = Embedding(config.context_length, config.d_model, device=device, dtype=dtype)
        else:
            self.rope = RotaryPositionalEmbedding(config.rope_theta, config.d_model // config.num_heads,
                                                  config.context_length, device=device)
        self.layers = nn.ModuleList([TransformerBlock(config, self.rope, device=device, dtype=dtype)
                                     for _ in range(config.num_layers)])
        self.ln_final = make_norm(config, device=device, dtype=dtype)
        self.lm_head = (BiasedLinear if config.bias else Linear)(config.d_model, config.vocab_size,
                                                                  device=device, dtype=dtype)

    def forward(self, idx, targets=None):
        b, t = idx.size()
        if t > self.config.context_length:
            raise ValueError(f"Cannot forward sequence of length {t}, block size is only {self.config.context_length}")
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)  # shape (t)

        x = self.token_embeddings(idx)  # token embeddings of shape (b, t, n_embd)
        if self.position_embeddings is not None:
            x = x + self.position_embeddings(pos)  # position embeddings of shape (t, n_embd)
        for block in self.layers:
            x = block(x, pos)
        x = self.ln_final(x)
        logits = self.lm_head(x)
        if targets is None:
            return logits
        loss = cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss


def count_parameters(config):
    C, V, F, L = config.d_model, config.vocab_size, config.d_ff, config.num_layers
    n = V * C  # token embedding
    if config.positions == "learned":
        n += config.context_length * C
    per_norm = 2 * C if (config.norm == "layernorm" and config.bias) else C
    per_attn = 4 * C * C + (C if config.bias else 0)
    if config.ffn == "swiglu":
        per_ffn = 3 * C * F
    else:
        per_ffn = C * F + C * F + ((F + C) if config.bias else 0)
    n += L * (per_attn + per_ffn + 2 * per_norm)
    n += per_norm  # final norm
    n += C * V + (V if config.bias else 0)  # lm_head
    return n
