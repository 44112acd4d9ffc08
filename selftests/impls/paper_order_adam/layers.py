"""The model, written with the papers open: each piece cites where its equations come from."""

import math

import torch
from torch import Tensor, nn

from assignment.transformer import TransformerConfig

MASK_VALUE = -1e9  # "setting to -inf" in Vaswani et al. (2017); any score this low gets weight exp(-1e9) = 0


# ---------------------------------------------------------------------------------------------
# Part 1
# ---------------------------------------------------------------------------------------------
class Linear(nn.Module):
    """y = x W^T, W ~ N(0, 2 / (n_in + n_out)) truncated at 3 sigma (Glorot and Bengio, 2010)."""

    def __init__(self, n_in: int, n_out: int, device=None, dtype=None):
        super().__init__()
        sigma = math.sqrt(2.0 / (n_in + n_out))
        self.weight = nn.Parameter(torch.empty((n_out, n_in), device=device, dtype=dtype))
        nn.init.trunc_normal_(self.weight, mean=0.0, std=sigma, a=-3.0 * sigma, b=3.0 * sigma)

    def forward(self, x: Tensor) -> Tensor:
        return torch.matmul(x, self.weight.t())


class Embedding(nn.Module):
    """Row lookup in an (n_vocab, d) table, N(0, 1) truncated at 3."""

    def __init__(self, n_vocab: int, d: int, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty((n_vocab, d), device=device, dtype=dtype))
        nn.init.trunc_normal_(self.weight, mean=0.0, std=1.0, a=-3.0, b=3.0)

    def forward(self, ids: Tensor) -> Tensor:
        return self.weight[ids]


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


class RMSNorm(nn.Module):
    """a_bar_i = a_i / RMS(a) * g_i, RMS(a) = sqrt(1/n sum a_i^2 + eps) (Zhang and Sennrich, 2019, eq. 4)."""

    def __init__(self, d: int, eps: float = 1e-5, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d, device=device, dtype=dtype))

    def forward(self, a: Tensor) -> Tensor:
        a32 = a.to(_compute_dtype(a.dtype))
        inv_rms = torch.rsqrt(a32.pow(2).mean(-1, keepdim=True) + self.eps)
        return (a32 * inv_rms * self.weight).to(a.dtype)


def silu(x: Tensor) -> Tensor:
    """x * sigma(x) (Elfwing et al., 2018; "swish" in Ramachandran et al., 2017)."""
    return x * torch.sigmoid(x)


class SwiGLU(nn.Module):
    """FFN_SwiGLU(x) = (Swish(x W1) * x W3) W2 (Shazeer, 2020, eq. 6)."""

    def __init__(self, d: int, d_ff: int | None = None, device=None, dtype=None):
        super().__init__()
        if d_ff is None:
            # 2/3 of 4d keeps the parameter count of the two-matrix FFN; rounded up to a multiple of 64
            d_ff = -(-8 * d // (3 * 64)) * 64
        self.d_ff = int(d_ff)
        self.w1 = Linear(d, self.d_ff, device=device, dtype=dtype)
        self.w3 = Linear(d, self.d_ff, device=device, dtype=dtype)
        self.w2 = Linear(self.d_ff, d, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(silu(self.w1(x)) * self.w3(x))


def softmax(x: Tensor, dim: int) -> Tensor:
    """exp(x_i - max x) / sum_j exp(x_j - max x): the max cancels, and nothing overflows."""
    z = torch.exp(x - x.max(dim=dim, keepdim=True).values)
    return z / z.sum(dim=dim, keepdim=True)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V (Vaswani et al., 2017, eq. 1)."""
    d_k = q.shape[-1]
    scores = torch.einsum("...id,...jd->...ij", q, k) / math.sqrt(d_k)
    if mask is not None:
        scores = scores.masked_fill(mask.logical_not(), MASK_VALUE)
    return torch.einsum("...ij,...jd->...id", softmax(scores, dim=-1), v)


def _logsumexp(z: Tensor) -> Tensor:
    """log sum_j exp(z_j) over the last dim, as m + log sum_j exp(z_j - m) with m = max_j z_j."""
    m = z.max(dim=-1, keepdim=True).values
    return (m + torch.log(torch.exp(z - m).sum(dim=-1, keepdim=True))).squeeze(-1)


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean over positions of -log softmax(z)[y] = logsumexp(z) - z_y."""
    z_y = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return (_logsumexp(logits) - z_y).mean()


# ---------------------------------------------------------------------------------------------
# Part 2
# ---------------------------------------------------------------------------------------------
class LayerNorm(nn.Module):
    """y = (x - mu) / sqrt(sigma^2 + eps) * g + b (Ba et al., 2016, eq. 4), sigma^2 the biased variance."""

    def __init__(self, d: int, eps: float = 1e-5, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d, device=device, dtype=dtype))
        if bias:
            self.bias = nn.Parameter(torch.zeros(d, device=device, dtype=dtype))
        else:
            self.bias = None

    def forward(self, x: Tensor) -> Tensor:
        x32 = x.to(_compute_dtype(x.dtype))
        mu = x32.mean(-1, keepdim=True)
        centred = x32 - mu
        sigma2 = centred.pow(2).mean(-1, keepdim=True)
        y = centred * torch.rsqrt(sigma2 + self.eps) * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y.to(x.dtype)


def gelu(x: Tensor) -> Tensor:
    """x Phi(x) = x/2 (1 + erf(x / sqrt 2)) (Hendrycks and Gimpel, 2016), the exact form."""
    return 0.5 * x * (1.0 + torch.erf(x * (1.0 / math.sqrt(2.0))))


class BiasedLinear(Linear):
    """y = x W^T + b."""

    def __init__(self, n_in: int, n_out: int, device=None, dtype=None):
        super().__init__(n_in, n_out, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(n_out, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x) + self.bias


class GeluMLP(nn.Module):
    """FFN(x) = GELU(x W1 + b1) W2 + b2 (Radford et al., 2018)."""

    def __init__(self, d: int, d_ff: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        make_linear = BiasedLinear if bias else Linear
        self.w1 = make_linear(d, d_ff, device=device, dtype=dtype)
        self.w2 = make_linear(d_ff, d, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(gelu(self.w1(x)))


class RotaryPositionalEmbedding(nn.Module):
    """RoPE (Su et al., 2021, eq. 34): pair (x_2i, x_2i+1) is the complex number x_2i + i x_2i+1,
    multiplied by e^{i m theta_i} with theta_i = base^(-2i/d).
    """

    def __init__(self, theta: float, d_k: int, max_seq_len: int, device=None):
        super().__init__()
        if d_k % 2:
            raise ValueError(f"rotary embeddings rotate pairs of features, so d_k must be even, not {d_k}")
        exponents = torch.arange(0, d_k, 2, dtype=torch.float64, device=device) / d_k
        frequencies = theta ** (-exponents)
        m = torch.arange(max_seq_len, dtype=torch.float64, device=device)
        angles = torch.outer(m, frequencies)
        self.register_buffer("cos", angles.cos().float(), persistent=False)
        self.register_buffer("sin", angles.sin().float(), persistent=False)

    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        work = _compute_dtype(x.dtype)
        rotation = torch.complex(self.cos[token_positions].to(work), self.sin[token_positions].to(work))
        pairs = torch.view_as_complex(x.to(work).reshape(*x.shape[:-1], -1, 2).contiguous())
        return torch.view_as_real(pairs * rotation).flatten(-2).to(x.dtype)


class MultiHeadSelfAttention(nn.Module):
    """MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W^O (Vaswani et al., 2017, section 3.2.2), causal."""

    def __init__(self, d: int, h: int, bias: bool = False, rope: RotaryPositionalEmbedding | None = None,
                 device=None, dtype=None):
        super().__init__()
        self.num_heads = h
        self.rope = rope
        self.q_proj = Linear(d, d, device=device, dtype=dtype)
        self.k_proj = Linear(d, d, device=device, dtype=dtype)
        self.v_proj = Linear(d, d, device=device, dtype=dtype)
        self.output_proj = (BiasedLinear if bias else Linear)(d, d, device=device, dtype=dtype)

    def _split(self, x: Tensor) -> Tensor:  # (..., n, h * d_k) -> (..., h, n, d_k)
        return x.unflatten(-1, (self.num_heads, -1)).transpose(-3, -2)

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        n = x.shape[-2]
        q, k, v = self._split(self.q_proj(x)), self._split(self.k_proj(x)), self._split(self.v_proj(x))
        if self.rope is not None:
            if token_positions is None:
                token_positions = torch.arange(n, device=x.device)
            per_head = token_positions.unsqueeze(-2)  # broadcast over the head dim
            q, k = self.rope(q, per_head), self.rope(k, per_head)
        causal = torch.ones(n, n, dtype=torch.bool, device=x.device).tril()
        heads = scaled_dot_product_attention(q, k, v, causal)
        return self.output_proj(heads.transpose(-3, -2).flatten(-2))


def make_norm(config: TransformerConfig, device=None, dtype=None) -> nn.Module:
    if config.norm == "rmsnorm":
        return RMSNorm(config.d_model, config.eps, device=device, dtype=dtype)
    return LayerNorm(config.d_model, config.eps, bias=config.bias, device=device, dtype=dtype)


class TransformerBlock(nn.Module):
    """Pre-LN block (Xiong et al., 2020): x + Attn(LN(x)), then x + FFN(LN(x))."""

    def __init__(self, config: TransformerConfig, rope: RotaryPositionalEmbedding | None = None,
                 device=None, dtype=None):
        super().__init__()
        self.ln1 = make_norm(config, device, dtype)
        self.attn = MultiHeadSelfAttention(config.d_model, config.num_heads, bias=config.bias, rope=rope,
                                           device=device, dtype=dtype)
        self.ln2 = make_norm(config, device, dtype)
        if config.ffn == "swiglu":
            self.ffn = SwiGLU(config.d_model, config.d_ff, device=device, dtype=dtype)
        else:
            self.ffn = GeluMLP(config.d_model, config.d_ff, bias=config.bias, device=device, dtype=dtype)

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.ln1(x), token_positions)
        x = x + self.ffn(self.ln2(x))
        return x


class TransformerLM(nn.Module):
    """A decoder-only language model: GPT-2 (Radford et al., 2019) or Llama (Touvron et al., 2023)."""

    def __init__(self, config: TransformerConfig, device=None, dtype=None):
        super().__init__()
        self.config = config
        self.token_embeddings = Embedding(config.vocab_size, config.d_model, device=device, dtype=dtype)
        learned = config.positions == "learned"
        self.position_embeddings = (
            Embedding(config.context_length, config.d_model, device=device, dtype=dtype) if learned else None
        )
        self.rope = (
            None if learned
            else RotaryPositionalEmbedding(config.rope_theta, config.d_head, config.context_length, device=device)
        )
        self.layers = nn.ModuleList(
            TransformerBlock(config, self.rope, device=device, dtype=dtype) for _ in range(config.num_layers)
        )
        self.ln_final = make_norm(config, device, dtype)
        self.lm_head = (BiasedLinear if config.bias else Linear)(config.d_model, config.vocab_size,
                                                                  device=device, dtype=dtype)

    def forward(self, idx: Tensor, targets: Tensor | None = None):
        n = idx.shape[1]
        if n > self.config.context_length:
            raise ValueError(f"got {n} tokens but the model's context_length is {self.config.context_length}")
        positions = torch.arange(n, device=idx.device)
        h = self.token_embeddings(idx)
        if self.position_embeddings is not None:
            h = h + self.position_embeddings(positions)
        for block in self.layers:
            h = block(h, positions)
        logits = self.lm_head(self.ln_final(h))
        return logits if targets is None else (logits, cross_entropy(logits, targets))


def count_parameters(config: TransformerConfig) -> int:
    """Term by term, as in Kaplan et al. (2020), table 1, but counting every bias and gain too."""
    d, n_vocab, d_ff, bias = config.d_model, config.vocab_size, config.d_ff, int(config.bias)
    norm = d * (2 if config.norm == "layernorm" and config.bias else 1)
    ffn = 3 * d * d_ff if config.ffn == "swiglu" else 2 * d * d_ff + bias * (d_ff + d)
    terms = {
        "token embedding": n_vocab * d,
        "position embedding": config.context_length * d if config.positions == "learned" else 0,
        "attention": config.num_layers * (4 * d * d + bias * d),
        "feed-forward": config.num_layers * ffn,
        "block norms": config.num_layers * 2 * norm,
        "final norm": norm,
        "lm head": d * n_vocab + bias * n_vocab,
    }
    return sum(terms.values())
