"""The network, piece by piece, from the smallest layer to the whole language model."""

import math

import torch
import torch.nn as nn

# ---------------------------------------------------------------- layers with weights

class Linear(nn.Module):
    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__()
        std = math.sqrt(2 / (in_features + out_features))
        self.weight = nn.Parameter(torch.empty(out_features, in_features, device=device, dtype=dtype))
        nn.init.trunc_normal_(self.weight, mean=0.0, std=std, a=-3 * std, b=3 * std)

    def forward(self, x):
        return x @ self.weight.T


class BiasedLinear(Linear):
    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))

    def forward(self, x):
        return super().forward(x) + self.bias


class Embedding(nn.Module):
    def __init__(self, num_embeddings, embedding_dim, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim, device=device, dtype=dtype))
        nn.init.trunc_normal_(self.weight, mean=0.0, std=1.0, a=-3.0, b=3.0)

    def forward(self, token_ids):
        return self.weight[token_ids]


class RMSNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, x):
        in_dtype = x.dtype
        if in_dtype != torch.float64:
            x = x.float()
        rms = torch.sqrt((x * x).mean(dim=-1, keepdim=True) + self.eps)
        return (x / rms * self.weight).to(in_dtype)


class LayerNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5, bias=True, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        if bias:
            self.bias = nn.Parameter(torch.zeros(d_model, device=device, dtype=dtype))
        else:
            self.bias = None

    def forward(self, x):
        in_dtype = x.dtype
        if in_dtype != torch.float64:
            x = x.float()
        mean = x.mean(dim=-1, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
        y = (x - mean) / torch.sqrt(var + self.eps) * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y.to(in_dtype)


# ---------------------------------------------------------------- activations and MLPs

def silu(x):
    return x * torch.sigmoid(x)


def gelu(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


class SwiGLU(nn.Module):
    def __init__(self, d_model, d_ff=None, device=None, dtype=None):
        super().__init__()
        if d_ff is None:
            d_ff = 64
            while 3 * d_ff < 8 * d_model:  # the first multiple of 64 that reaches 8/3 * d_model
                d_ff += 64
        self.d_ff = d_ff
        self.w1 = Linear(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = Linear(d_ff, d_model, device=device, dtype=dtype)
        self.w3 = Linear(d_model, d_ff, device=device, dtype=dtype)

    def forward(self, x):
        return self.w2(silu(self.w1(x)) * self.w3(x))


class GeluMLP(nn.Module):
    def __init__(self, d_model, d_ff, bias=True, device=None, dtype=None):
        super().__init__()
        if bias:
            self.w1 = BiasedLinear(d_model, d_ff, device=device, dtype=dtype)
            self.w2 = BiasedLinear(d_ff, d_model, device=device, dtype=dtype)
        else:
            self.w1 = Linear(d_model, d_ff, device=device, dtype=dtype)
            self.w2 = Linear(d_ff, d_model, device=device, dtype=dtype)

    def forward(self, x):
        return self.w2(gelu(self.w1(x)))


# ---------------------------------------------------------------- softmax, attention, loss

def softmax(x, dim):
    biggest = x.max(dim=dim, keepdim=True).values
    e = torch.exp(x - biggest)
    return e / e.sum(dim=dim, keepdim=True)


def scaled_dot_product_attention(q, k, v, mask=None):
    d_k = q.shape[-1]
    scores = q @ k.transpose(-1, -2) / math.sqrt(d_k)
    if mask is not None:
        scores = scores.masked_fill(mask == False, float("-inf"))  # noqa: E712 - False = not allowed
    return softmax(scores, dim=-1) @ v


def cross_entropy(logits, targets):
    vocab = logits.shape[-1]
    flat = logits.reshape(-1, vocab)
    flat_targets = targets.reshape(-1)
    biggest = flat.max(dim=-1, keepdim=True).values
    log_sum_exp = biggest[:, 0] + torch.log(torch.exp(flat - biggest).sum(dim=-1))
    rows = torch.arange(flat.shape[0], device=flat.device)
    return (log_sum_exp - flat[rows, flat_targets]).mean()


# ---------------------------------------------------------------- positions

class RotaryPositionalEmbedding(nn.Module):
    def __init__(self, theta, d_k, max_seq_len, device=None):
        super().__init__()
        if d_k % 2 == 1:
            raise ValueError(f"RoPE needs an even d_k to make pairs, got {d_k}")
        cos_rows, sin_rows = [], []
        for pos in range(max_seq_len):
            cos_row, sin_row = [], []
            for i in range(d_k // 2):
                angle = pos * theta ** (-2 * i / d_k)
                cos_row.append(math.cos(angle))
                sin_row.append(math.sin(angle))
            cos_rows.append(cos_row)
            sin_rows.append(sin_row)
        self.register_buffer("cos", torch.tensor(cos_rows, device=device), persistent=False)
        self.register_buffer("sin", torch.tensor(sin_rows, device=device), persistent=False)

    def forward(self, x, token_positions):
        cos = self.cos[token_positions]
        sin = self.sin[token_positions]
        x_even = x[..., 0::2]
        x_odd = x[..., 1::2]
        out_even = x_even * cos - x_odd * sin
        out_odd = x_even * sin + x_odd * cos
        # put the pairs back side by side: (e0, o0, e1, o1, ...)
        return torch.stack([out_even, out_odd], dim=-1).flatten(-2).to(x.dtype)


# ---------------------------------------------------------------- attention with heads

class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model, num_heads, bias=False, rope=None, device=None, dtype=None):
        super().__init__()
        self.num_heads = num_heads
        self.head_size = d_model // num_heads
        self.rope = rope
        self.q_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.k_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.v_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        if bias:
            self.output_proj = BiasedLinear(d_model, d_model, device=device, dtype=dtype)
        else:
            self.output_proj = Linear(d_model, d_model, device=device, dtype=dtype)

    def forward(self, x, token_positions=None):
        T = x.shape[-2]
        q = self.q_proj(x)
        k = self.k_proj(x)
        v = self.v_proj(x)
        if token_positions is None:
            token_positions = torch.arange(T, device=x.device)
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool, device=x.device))
        outputs = []
        for h in range(self.num_heads):
            # head h owns features h*head_size .. (h+1)*head_size - 1 of each projection
            start, end = h * self.head_size, (h + 1) * self.head_size
            q_h, k_h, v_h = q[..., start:end], k[..., start:end], v[..., start:end]
            if self.rope is not None:  # one head at a time: the positions need no head dim
                q_h = self.rope(q_h, token_positions)
                k_h = self.rope(k_h, token_positions)
            outputs.append(scaled_dot_product_attention(q_h, k_h, v_h, mask))
        return self.output_proj(torch.cat(outputs, dim=-1))


# ---------------------------------------------------------------- blocks and the model

def make_norm(config, device=None, dtype=None):
    if config.norm == "rmsnorm":
        return RMSNorm(config.d_model, config.eps, device=device, dtype=dtype)
    return LayerNorm(config.d_model, config.eps, bias=config.bias, device=device, dtype=dtype)


class TransformerBlock(nn.Module):
    def __init__(self, config, rope=None, device=None, dtype=None):
        super().__init__()
        self.ln1 = make_norm(config, device, dtype)
        self.attn = MultiHeadSelfAttention(config.d_model, config.num_heads, bias=config.bias, rope=rope,
                                           device=device, dtype=dtype)
        self.ln2 = make_norm(config, device, dtype)
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
            head_size = config.d_model // config.num_heads
            self.rope = RotaryPositionalEmbedding(config.rope_theta, head_size, config.context_length, device=device)
        self.layers = nn.ModuleList()
        for _ in range(config.num_layers):
            self.layers.append(TransformerBlock(config, rope=self.rope, device=device, dtype=dtype))
        self.ln_final = make_norm(config, device, dtype)
        if config.bias:
            self.lm_head = BiasedLinear(config.d_model, config.vocab_size, device=device, dtype=dtype)
        else:
            self.lm_head = Linear(config.d_model, config.vocab_size, device=device, dtype=dtype)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        if T > self.config.context_length:
            raise ValueError(f"got {T} tokens but the context length is only {self.config.context_length}")
        positions = torch.arange(T, device=idx.device)
        x = self.token_embeddings(idx)
        if self.position_embeddings is not None:
            x = x + self.position_embeddings(positions)
        for layer in self.layers:
            x = layer(x, positions)
        logits = self.lm_head(self.ln_final(x))
        if targets is None:
            return logits
        return logits, cross_entropy(logits, targets)


def count_parameters(config):
    C, V, F = config.d_model, config.vocab_size, config.d_ff
    norm_size = 2 * C if (config.norm == "layernorm" and config.bias) else C
    total = V * C  # token embeddings
    if config.positions == "learned":
        total += config.context_length * C
    for _ in range(config.num_layers):
        total += 4 * C * C  # q, k, v, output
        if config.bias:
            total += C  # output projection's bias
        total += 2 * norm_size  # ln1, ln2
        if config.ffn == "swiglu":
            total += 3 * C * F
        else:
            total += 2 * C * F
            if config.bias:
                total += F + C
    total += norm_size  # ln_final
    total += C * V  # lm_head
    if config.bias:
        total += V
    return total
