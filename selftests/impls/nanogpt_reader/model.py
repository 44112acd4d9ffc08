"""
The model, in the spirit of nanoGPT's model.py: building blocks, CausalSelfAttention with a
registered causal-mask buffer, MLP, Block and GPT (which also builds the Llama variant).
"""

import math

import torch
import torch.nn as nn

from assignment.transformer import TransformerConfig


class Linear(nn.Module):
    """y = x W^T, no bias, W initialised from a truncated normal."""

    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features, device=device, dtype=dtype))
        std = math.sqrt(2.0 / (in_features + out_features))
        torch.nn.init.trunc_normal_(self.weight, mean=0.0, std=std, a=-3 * std, b=3 * std)

    def forward(self, x):
        return x @ self.weight.T


class BiasedLinear(Linear):
    """Linear with a bias, like nn.Linear(bias=True)."""

    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))

    def forward(self, x):
        return super().forward(x) + self.bias


class Embedding(nn.Module):
    def __init__(self, num_embeddings, embedding_dim, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim, device=device, dtype=dtype))
        torch.nn.init.trunc_normal_(self.weight, mean=0.0, std=1.0, a=-3.0, b=3.0)

    def forward(self, idx):
        return self.weight[idx]


class LayerNorm(nn.Module):
    """LayerNorm but with an optional bias. PyTorch doesn't support simply bias=False"""

    def __init__(self, ndim, eps=1e-5, bias=True, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(ndim, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(ndim, device=device, dtype=dtype)) if bias else None

    def forward(self, input):
        x = input.float() if input.dtype in (torch.float16, torch.bfloat16) else input
        mean = x.mean(dim=-1, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
        x = (x - mean) / torch.sqrt(var + self.eps)
        x = x * self.weight
        if self.bias is not None:
            x = x + self.bias
        return x.type_as(input)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim, device=device, dtype=dtype))

    def _norm(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)

    def forward(self, x):
        output = self._norm(x.float() if x.dtype in (torch.float16, torch.bfloat16) else x)
        return (output * self.weight).type_as(x)


def silu(x):
    return x * torch.sigmoid(x)


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def softmax(x, dim):
    x = x - x.max(dim=dim, keepdim=True).values
    e = x.exp()
    return e / e.sum(dim=dim, keepdim=True)


def scaled_dot_product_attention(q, k, v, mask=None):
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
    if mask is not None:
        att = att.masked_fill(mask == 0, float('-inf'))
    att = softmax(att, dim=-1)
    return att @ v


def cross_entropy(logits, targets):
    # flatten (B, T, V) -> (B*T, V) as nanoGPT does before F.cross_entropy
    logits = logits.view(-1, logits.size(-1))
    targets = targets.view(-1)
    m = logits.max(dim=-1, keepdim=True).values
    lse = m.squeeze(-1) + torch.log(torch.exp(logits - m).sum(dim=-1))
    return (lse - logits[torch.arange(logits.size(0), device=logits.device), targets]).mean()


class SwiGLU(nn.Module):
    """The Llama feed-forward: w2(silu(w1(x)) * w3(x))."""

    def __init__(self, d_model, d_ff=None, device=None, dtype=None):
        super().__init__()
        if d_ff is None:
            # as in llama's FeedForward: 2/3 of 4 * d_model, rounded up to multiple_of = 64
            d_ff = int(2 * (4 * d_model) / 3)
            d_ff = 64 * ((d_ff + 64 - 1) // 64)
        self.d_ff = d_ff
        self.w1 = Linear(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = Linear(d_ff, d_model, device=device, dtype=dtype)
        self.w3 = Linear(d_model, d_ff, device=device, dtype=dtype)

    def forward(self, x):
        return self.w2(silu(self.w1(x)) * self.w3(x))


class MLP(nn.Module):
    """GPT-2's MLP: c_fc -> gelu -> c_proj, here named w1 and w2."""

    def __init__(self, d_model, d_ff, bias=True, device=None, dtype=None):
        super().__init__()
        linear = BiasedLinear if bias else Linear
        self.w1 = linear(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = linear(d_ff, d_model, device=device, dtype=dtype)

    def forward(self, x):
        x = self.w1(x)
        x = gelu(x)
        x = self.w2(x)
        return x


class RotaryPositionalEmbedding(nn.Module):
    """Rotary embeddings as in llama2.c: precomputed cos/sin, pairs rotated as (real, imag)."""

    def __init__(self, theta, d_k, max_seq_len, device=None):
        super().__init__()
        if d_k % 2 != 0:
            raise ValueError(f"RotaryPositionalEmbedding needs an even head size, got d_k={d_k}")
        freqs = 1.0 / (theta ** (torch.arange(0, d_k, 2, device=device)[: (d_k // 2)].float() / d_k))
        t = torch.arange(max_seq_len, device=device).float()
        freqs = torch.outer(t, freqs)
        self.register_buffer("cos", torch.cos(freqs), persistent=False)
        self.register_buffer("sin", torch.sin(freqs), persistent=False)

    def forward(self, x, token_positions):
        cos = self.cos[token_positions]
        sin = self.sin[token_positions]
        x_r, x_i = x.float().reshape(x.shape[:-1] + (-1, 2)).unbind(-1)
        out_r = x_r * cos - x_i * sin
        out_i = x_r * sin + x_i * cos
        return torch.stack([out_r, out_i], dim=-1).flatten(-2).type_as(x)


class CausalSelfAttention(nn.Module):

    def __init__(self, d_model, num_heads, bias=False, rope=None, device=None, dtype=None, block_size=1024):
        super().__init__()
        assert d_model % num_heads == 0
        self.num_heads = num_heads
        self.d_model = d_model
        self.rope = rope
        # key, query, value projections for all heads
        self.q_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.k_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        self.v_proj = Linear(d_model, d_model, device=device, dtype=dtype)
        # output projection
        self.output_proj = (BiasedLinear if bias else Linear)(d_model, d_model, device=device, dtype=dtype)
        # causal mask to ensure that attention is only applied to the left in the input sequence;
        # not persistent: it is rebuilt from block_size, so it stays out of the state dict
        self.register_buffer("mask", self._causal_mask(block_size, device), persistent=False)

    @staticmethod
    def _causal_mask(size, device):
        return torch.tril(torch.ones(size, size, dtype=torch.bool, device=device))

    def forward(self, x, token_positions=None):
        *B, T, C = x.size()  # batch size(s), sequence length, embedding dimensionality (d_model)
        if T > self.mask.size(0):  # longer than any sequence seen so far: grow the mask
            self.mask = self._causal_mask(T, x.device)

        # calculate query, key, values for all heads and move head forward to be the batch dim
        q = self.q_proj(x).view(*B, T, self.num_heads, C // self.num_heads).transpose(-3, -2)  # (B, nh, T, hs)
        k = self.k_proj(x).view(*B, T, self.num_heads, C // self.num_heads).transpose(-3, -2)  # (B, nh, T, hs)
        v = self.v_proj(x).view(*B, T, self.num_heads, C // self.num_heads).transpose(-3, -2)  # (B, nh, T, hs)

        if self.rope is not None:
            if token_positions is None:
                token_positions = torch.arange(T, device=x.device)
            q = self.rope(q, token_positions.unsqueeze(-2))
            k = self.rope(k, token_positions.unsqueeze(-2))

        # causal self-attention; Self-attend: (B, nh, T, hs) x (B, nh, hs, T) -> (B, nh, T, T)
        y = scaled_dot_product_attention(q, k, v, self.mask[:T, :T])
        y = y.transpose(-3, -2).contiguous().view(*B, T, C)  # re-assemble all head outputs side by side

        # output projection
        return self.output_proj(y)


def make_norm(config, device=None, dtype=None):
    if config.norm == "rmsnorm":
        return RMSNorm(config.d_model, eps=config.eps, device=device, dtype=dtype)
    return LayerNorm(config.d_model, eps=config.eps, bias=config.bias, device=device, dtype=dtype)


class Block(nn.Module):

    def __init__(self, config, rope=None, device=None, dtype=None):
        super().__init__()
        self.ln1 = make_norm(config, device, dtype)
        self.attn = CausalSelfAttention(config.d_model, config.num_heads, bias=config.bias, rope=rope,
                                        device=device, dtype=dtype, block_size=config.context_length)
        self.ln2 = make_norm(config, device, dtype)
        if config.ffn == "swiglu":
            self.ffn = SwiGLU(config.d_model, config.d_ff, device=device, dtype=dtype)
        else:
            self.ffn = MLP(config.d_model, config.d_ff, bias=config.bias, device=device, dtype=dtype)

    def forward(self, x, token_positions=None):
        x = x + self.attn(self.ln1(x), token_positions)
        x = x + self.ffn(self.ln2(x))
        return x


class GPT(nn.Module):

    def __init__(self, config: TransformerConfig, device=None, dtype=None):
        super().__init__()
        assert config.vocab_size is not None
        assert config.context_length is not None
        self.config = config

        self.token_embeddings = Embedding(config.vocab_size, config.d_model, device=device, dtype=dtype)
        self.position_embeddings = None
        self.rope = None
        if config.positions == "learned":
            self.position_embeddings = Embedding(config.context_length, config.d_model, device=device, dtype=dtype)
        else:
            self.rope = RotaryPositionalEmbedding(config.rope_theta, config.d_head, config.context_length, device)
        self.layers = nn.ModuleList([Block(config, self.rope, device, dtype) for _ in range(config.num_layers)])
        self.ln_final = make_norm(config, device, dtype)
        self.lm_head = (BiasedLinear if config.bias else Linear)(config.d_model, config.vocab_size,
                                                                 device=device, dtype=dtype)

        # report number of parameters
        print("number of parameters: %.2fM" % (self.get_num_params() / 1e6,))

    def get_num_params(self, non_embedding=True):
        """
        Return the number of parameters in the model.
        For non-embedding count (default), the position embeddings get subtracted.
        """
        n_params = sum(p.numel() for p in self.parameters())
        if non_embedding and self.position_embeddings is not None:
            n_params -= self.position_embeddings.weight.numel()
        return n_params

    def forward(self, idx, targets=None):
        device = idx.device
        b, t = idx.size()
        if t > self.config.context_length:
            raise ValueError(f"Cannot forward sequence of length {t}, block size is only {self.config.context_length}")
        pos = torch.arange(0, t, dtype=torch.long, device=device)  # shape (t)

        # forward the GPT model itself
        x = self.token_embeddings(idx)  # token embeddings of shape (b, t, n_embd)
        if self.position_embeddings is not None:
            x = x + self.position_embeddings(pos)  # position embeddings of shape (t, n_embd)
        for block in self.layers:
            x = block(x, pos)
        x = self.ln_final(x)
        logits = self.lm_head(x)

        if targets is not None:
            # if we are given some desired targets also calculate the loss
            loss = cross_entropy(logits, targets)
            return logits, loss
        return logits


def count_parameters(config):
    n_embd, vocab, ff = config.d_model, config.vocab_size, config.d_ff
    ln = n_embd * (2 if (config.norm == "layernorm" and config.bias) else 1)
    attn = 4 * n_embd * n_embd + (n_embd if config.bias else 0)
    if config.ffn == "swiglu":
        mlp = 3 * n_embd * ff
    else:
        mlp = 2 * n_embd * ff + ((ff + n_embd) if config.bias else 0)
    wte = vocab * n_embd
    wpe = config.context_length * n_embd if config.positions == "learned" else 0
    lm_head = n_embd * vocab + (vocab if config.bias else 0)
    return wte + wpe + config.num_layers * (2 * ln + attn + mlp) + ln + lm_head
