"""Alternative implementations of single public names, for the grader's self-tests.

An implementation under test is the reference package with one `Variant.replaces` applied on
top. Every VALID variant is a different but correct way to write that name and must score full
marks; every MISTAKE carries one error seen in real learner code and must lose points in its
`part`, and only there.

Part 1's replacements are standalone (torch only, nothing from the repo), so they stay
meaningful whatever the reference looks like; so are Part 2's LayerNorm, gelu and RoPE ones.
Part 2's composite modules subclass the reference and override only `forward` (see the note
at the top of the Part 2 section).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass(frozen=True)
class Variant:
    name: str  # short snake_case id, e.g. "linear_matmul"
    part: str | None  # for a mistake: the part that must lose points; None for a valid variant
    description: str  # one sentence: what this variant does
    replaces: dict[str, object] = field(default_factory=dict)  # public name -> replacement object


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _trunc_normal_(w: Tensor, std: float) -> Tensor:
    """Correct init: N(0, std²) truncated at ±3 std."""
    return nn.init.trunc_normal_(w, mean=0.0, std=std, a=-3 * std, b=3 * std)


def _default_d_ff(d_model: int) -> int:
    """8/3 d_model rounded up to a multiple of 64 (integer arithmetic)."""
    return 64 * ((8 * d_model + 191) // 192)


class _Linear(nn.Module):
    """A correct Linear; the base class of the Linear variants and the layer inside the SwiGLU ones."""

    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _trunc_normal_(self.weight.data, math.sqrt(2.0 / (self.in_features + self.out_features)))

    def forward(self, x: Tensor) -> Tensor:
        return torch.einsum("...i,oi->...o", x, self.weight)


class _Embedding(nn.Module):
    """A correct Embedding; the base class of the Embedding variants."""

    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _trunc_normal_(self.weight.data, 1.0)

    def forward(self, token_ids: Tensor) -> Tensor:
        return self.weight[token_ids]


class _RMSNorm(nn.Module):
    """RMSNorm's constructor; the variants below supply `forward`."""

    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None):
        super().__init__()
        self.d_model = d_model
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))


class _SwiGLU(nn.Module):
    """SwiGLU's constructor (w1, w2, w3 are correct `_Linear`s); the variants supply `forward`."""

    def __init__(self, d_model: int, d_ff: int | None = None, device=None, dtype=None):
        super().__init__()
        if d_ff is None:
            d_ff = self.default_d_ff(d_model)
        self.d_model = d_model
        self.d_ff = d_ff
        self.w1 = _Linear(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = _Linear(d_ff, d_model, device=device, dtype=dtype)
        self.w3 = _Linear(d_model, d_ff, device=device, dtype=dtype)

    @staticmethod
    def default_d_ff(d_model: int) -> int:
        return _default_d_ff(d_model)


def _attention_scores(q: Tensor, k: Tensor) -> Tensor:
    """Correctly scaled scores q kᵀ / sqrt(d_k)."""
    return q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])


# --------------------------------------------------------------------------------------------
# Linear
# --------------------------------------------------------------------------------------------


class _LinearMatmul(_Linear):
    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.T


class _LinearFunctional(_Linear):
    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight)


class _LinearWeightTransposed(_Linear):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        nn.Module.__init__(self)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(in_features, out_features, device=device, dtype=dtype))
        self.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight


class _LinearStdIsVariance(_Linear):
    def reset_parameters(self) -> None:
        _trunc_normal_(self.weight.data, 2.0 / (self.in_features + self.out_features))


class _LinearTruncDefaultBounds(_Linear):
    def reset_parameters(self) -> None:
        std = math.sqrt(2.0 / (self.in_features + self.out_features))
        nn.init.trunc_normal_(self.weight.data, mean=0.0, std=std)  # a=-2, b=2: absolute, not ±3σ


class _LinearNoTruncation(_Linear):
    def reset_parameters(self) -> None:
        std = math.sqrt(2.0 / (self.in_features + self.out_features))
        nn.init.normal_(self.weight.data, mean=0.0, std=std)


class _LinearHasBias(_Linear):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.T + self.bias


class _LinearIgnoresDtype(_Linear):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__(in_features, out_features)  # device and dtype dropped


# --------------------------------------------------------------------------------------------
# Embedding
# --------------------------------------------------------------------------------------------


class _EmbeddingIndexSelect(_Embedding):
    def forward(self, token_ids: Tensor) -> Tensor:
        flat = self.weight.index_select(0, token_ids.reshape(-1))
        return flat.reshape(*token_ids.shape, self.embedding_dim)


class _EmbeddingFunctional(_Embedding):
    def forward(self, token_ids: Tensor) -> Tensor:
        return F.embedding(token_ids, self.weight)


class _EmbeddingLinearInit(_Embedding):
    def reset_parameters(self) -> None:
        _trunc_normal_(self.weight.data, math.sqrt(2.0 / (self.num_embeddings + self.embedding_dim)))


class _EmbeddingNoTruncation(_Embedding):
    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.copy_(torch.randn_like(self.weight))


class _EmbeddingIgnoresDtype(_Embedding):
    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None):
        super().__init__(num_embeddings, embedding_dim)  # device and dtype dropped


# --------------------------------------------------------------------------------------------
# RMSNorm
# --------------------------------------------------------------------------------------------


class _RMSNormRsqrt(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = x.to(torch.promote_types(x.dtype, torch.float32))
        y = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight
        return y.to(x.dtype)


class _RMSNormFloatUpcast(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        in_dtype = x.dtype
        if in_dtype in (torch.float16, torch.bfloat16):
            x = x.float()
        rms = torch.sqrt(torch.mean(x * x, dim=-1, keepdim=True) + self.eps)
        return (x / rms * self.weight).to(in_dtype)


class _RMSNormEpsOutsideSqrt(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = x.to(torch.promote_types(x.dtype, torch.float32))
        rms = torch.sqrt(x32.pow(2).mean(-1, keepdim=True))
        return (x32 / (rms + self.eps) * self.weight).to(x.dtype)


class _RMSNormNoUpcast(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        rms = torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)  # x² overflows in fp16
        return x / rms * self.weight


class _RMSNormMeanAbs(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = x.to(torch.promote_types(x.dtype, torch.float32))
        scale = x32.abs().mean(-1, keepdim=True) + self.eps
        return (x32 / scale * self.weight).to(x.dtype)


class _RMSNormWrongDim(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = x.to(torch.promote_types(x.dtype, torch.float32))
        rms = torch.sqrt(x32.pow(2).mean(0, keepdim=True) + self.eps)  # over dim 0, not -1
        return (x32 / rms * self.weight).to(x.dtype)


class _RMSNormNoGain(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = x.to(torch.promote_types(x.dtype, torch.float32))
        rms = torch.sqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return (x32 / rms).to(x.dtype)


class _RMSNormReturnsFloat32(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = x.to(torch.promote_types(x.dtype, torch.float32))
        rms = torch.sqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return x32 / rms * self.weight  # never cast back to x.dtype


# --------------------------------------------------------------------------------------------
# SiLU
# --------------------------------------------------------------------------------------------


def _silu_sigmoid(x: Tensor) -> Tensor:
    return x * torch.sigmoid(x)


def _silu_exp(x: Tensor) -> Tensor:
    # Forward is exact everywhere (x / inf = -0 for very negative x), but the gradient is NaN
    # once exp(-x) overflows (x below about -88 in float32).
    return x / (1 + torch.exp(-x))


def _silu_sigmoid_only(x: Tensor) -> Tensor:
    return torch.sigmoid(x)


def _silu_relu(x: Tensor) -> Tensor:
    return torch.relu(x)


# --------------------------------------------------------------------------------------------
# SwiGLU
# --------------------------------------------------------------------------------------------


class _SwiGLUGateOnW3(_SwiGLU):
    def forward(self, x: Tensor) -> Tensor:
        return self.w2(self.w1(x) * F.silu(self.w3(x)))


class _SwiGLUSigmoidGate(_SwiGLU):
    def forward(self, x: Tensor) -> Tensor:
        return self.w2(torch.sigmoid(self.w1(x)) * self.w3(x))


class _SwiGLUDffNotRounded(_SwiGLU):
    @staticmethod
    def default_d_ff(d_model: int) -> int:
        return int(8 * d_model / 3)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class _SwiGLUNoGate(_SwiGLU):
    def forward(self, x: Tensor) -> Tensor:
        return self.w2(F.silu(self.w1(x)))  # w3 exists (the state dict loads) but is unused


# --------------------------------------------------------------------------------------------
# Softmax
# --------------------------------------------------------------------------------------------


def _softmax_logsumexp(x: Tensor, dim: int) -> Tensor:
    # Stable, but in float32 at inputs ~1000 x - logsumexp(x) loses ~1 ulp of 1000 (~6e-5),
    # so the result has a relative error of a few 1e-5 there.
    return torch.exp(x - torch.logsumexp(x, dim=dim, keepdim=True))


def _softmax_max_values(x: Tensor, dim: int) -> Tensor:
    e = torch.exp(x - torch.max(x, dim=dim, keepdim=True).values)
    return e / e.sum(dim=dim, keepdim=True)


def _softmax_no_max_subtraction(x: Tensor, dim: int) -> Tensor:
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)


def _softmax_ignores_dim(x: Tensor, dim: int) -> Tensor:
    e = torch.exp(x - x.amax(dim=-1, keepdim=True))
    return e / e.sum(dim=-1, keepdim=True)


def _softmax_in_place(x: Tensor, dim: int) -> Tensor:
    x -= x.amax(dim=dim, keepdim=True)  # modifies the caller's tensor
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)


# --------------------------------------------------------------------------------------------
# Scaled dot-product attention
# --------------------------------------------------------------------------------------------


def _attention_matmul_transpose(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.matmul(torch.softmax(scores, dim=-1), v)


def _attention_fill_large_negative(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = _attention_scores(q, k)
    if mask is not None:
        # exp(-1e9 - max) underflows to exactly 0 in float32 / bfloat16.
        scores = scores.masked_fill(mask == 0, -1e9)
    return torch.softmax(scores, dim=-1) @ v


def _attention_where(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = torch.einsum("...qd,...kd->...qk", q, k) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = torch.where(mask, scores, float("-inf"))
    return torch.einsum("...qk,...kd->...qd", torch.softmax(scores, dim=-1), v)


def _attention_no_scale(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def _attention_scale_by_d_k(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = q @ k.transpose(-2, -1) / q.shape[-1]
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def _attention_mask_inverted(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = _attention_scores(q, k)
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))  # blocks where attending is allowed
    return torch.softmax(scores, dim=-1) @ v


def _attention_mask_fill_zero(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = _attention_scores(q, k)
    if mask is not None:
        scores = scores.masked_fill(~mask, 0.0)
    return torch.softmax(scores, dim=-1) @ v


def _attention_mask_after_softmax(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    weights = torch.softmax(_attention_scores(q, k), dim=-1)
    if mask is not None:
        weights = weights.masked_fill(~mask, 0.0)  # rows no longer sum to 1
    return weights @ v


def _attention_ignores_mask(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    return torch.softmax(_attention_scores(q, k), dim=-1) @ v


def _attention_softmax_over_queries(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = _attention_scores(q, k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-2) @ v


# --------------------------------------------------------------------------------------------
# Cross-entropy
# --------------------------------------------------------------------------------------------


def _cross_entropy_gather(logits: Tensor, targets: Tensor) -> Tensor:
    log_probs = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
    picked = log_probs.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)
    return -picked.mean()


def _cross_entropy_flatten_index(logits: Tensor, targets: Tensor) -> Tensor:
    flat = logits.reshape(-1, logits.shape[-1])
    flat_targets = targets.reshape(-1).long()
    target_logits = flat[torch.arange(flat.shape[0], device=flat.device), flat_targets]
    return (torch.logsumexp(flat, dim=-1) - target_logits).mean()


def _cross_entropy_no_max_subtraction(logits: Tensor, targets: Tensor) -> Tensor:
    log_z = torch.log(torch.exp(logits).sum(dim=-1))  # inf once a logit passes ~88 in float32
    target_logits = logits.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)
    return (log_z - target_logits).mean()


def _cross_entropy_summed(logits: Tensor, targets: Tensor) -> Tensor:
    log_probs = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
    return -log_probs.gather(-1, targets.long().unsqueeze(-1)).sum()


def _cross_entropy_mean_over_vocab(logits: Tensor, targets: Tensor) -> Tensor:
    log_probs = torch.log_softmax(logits, dim=-1)
    one_hot = F.one_hot(targets.long(), logits.shape[-1]).to(log_probs.dtype)
    return -(one_hot * log_probs).mean()  # averages over the vocabulary as well


def _cross_entropy_softmax_then_log(logits: Tensor, targets: Tensor) -> Tensor:
    e = torch.exp(logits)
    probs = e / e.sum(dim=-1, keepdim=True)
    return -torch.log(probs.gather(-1, targets.long().unsqueeze(-1))).mean()


# ============================================================================================
# Part 2: the transformer
#
# LayerNorm, gelu and RotaryPositionalEmbedding are standalone like Part 1's. The composite
# modules (BiasedLinear, GeluMLP, MultiHeadSelfAttention, TransformerBlock, TransformerLM)
# subclass the reference and override only `forward`: their submodules, and so their
# state-dict names, are the reference's by construction, and a mistake stays in its own part
# (the reference's TransformerBlock builds the reference's attention, not the replaced one).
# ============================================================================================

import solutions as _reference  # noqa: E402  (Part 2 only; Part 1 above stays standalone)


# --------------------------------------------------------------------------------------------
# LayerNorm
# --------------------------------------------------------------------------------------------


class _LayerNorm(nn.Module):
    """LayerNorm's constructor; the variants below supply `forward`."""

    def __init__(self, d_model: int, eps: float = 1e-5, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.d_model = d_model
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(d_model, device=device, dtype=dtype)) if bias else None

    def _affine(self, y: Tensor) -> Tensor:
        y = y * self.weight
        return y if self.bias is None else y + self.bias


def _upcast(x: Tensor) -> Tensor:
    return x.to(torch.promote_types(x.dtype, torch.float32))


class _LayerNormVar(_LayerNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = _upcast(x)
        mean = x32.mean(dim=-1, keepdim=True)
        var = torch.var(x32, dim=-1, keepdim=True, unbiased=False)
        return self._affine((x32 - mean) / torch.sqrt(var + self.eps)).to(x.dtype)


class _LayerNormFunctional(_LayerNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = _upcast(x)
        bias = None if self.bias is None else self.bias.to(x32.dtype)
        return F.layer_norm(x32, (self.d_model,), self.weight.to(x32.dtype), bias, self.eps).to(x.dtype)


class _LayerNormUnbiasedVariance(_LayerNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = _upcast(x)
        mean = x32.mean(dim=-1, keepdim=True)
        var = torch.var(x32, dim=-1, keepdim=True)  # unbiased: divides by d_model - 1
        return self._affine((x32 - mean) / torch.sqrt(var + self.eps)).to(x.dtype)


class _LayerNormNoMeanSubtraction(_LayerNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = _upcast(x)
        return self._affine(x32 / torch.sqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)  # RMSNorm


class _LayerNormEpsOutsideSqrt(_LayerNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = _upcast(x)
        centred = x32 - x32.mean(dim=-1, keepdim=True)
        std = torch.sqrt(centred.pow(2).mean(-1, keepdim=True))
        return self._affine(centred / (std + self.eps)).to(x.dtype)


class _LayerNormNoBias(_LayerNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = _upcast(x)
        centred = x32 - x32.mean(dim=-1, keepdim=True)
        y = centred / torch.sqrt(centred.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight
        return y.to(x.dtype)  # self.bias exists (the state dict loads) but is never added


# --------------------------------------------------------------------------------------------
# GELU, BiasedLinear, GeluMLP
# --------------------------------------------------------------------------------------------


def _gelu_functional(x: Tensor) -> Tensor:
    return F.gelu(x)


def _gelu_erf(x: Tensor) -> Tensor:
    return x * (1.0 + torch.erf(x * (1.0 / math.sqrt(2.0)))) / 2.0


def _gelu_tanh_approximation(x: Tensor) -> Tensor:
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


class _BiasedLinearFunctional(_reference.BiasedLinear):
    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)


class _BiasedLinearNoBias(_reference.BiasedLinear):
    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.T  # self.bias exists (the state dict loads) but is never added


class _GeluMLPRelu(_reference.GeluMLP):
    def forward(self, x: Tensor) -> Tensor:
        return self.w2(torch.relu(self.w1(x)))


# --------------------------------------------------------------------------------------------
# RotaryPositionalEmbedding
# --------------------------------------------------------------------------------------------


class _RoPE(nn.Module):
    """RoPE's constructor: cos/sin tables (max_seq_len, d_k/2) from float64 angles; the variants supply `forward`."""

    frequency_exponent = 2.0  # angle(pos, i) = pos * theta^(-frequency_exponent * i / d_k)
    persistent_tables = False

    def __init__(self, theta: float, d_k: int, max_seq_len: int, device=None):
        super().__init__()
        if d_k % 2:
            raise ValueError(f"d_k must be even, got {d_k}")
        self.d_k = d_k
        i = torch.arange(d_k // 2, dtype=torch.float64)
        angles = torch.arange(max_seq_len, dtype=torch.float64)[:, None] * theta ** (-self.frequency_exponent * i / d_k)
        self.register_buffer("cos", angles.cos().float().to(device), persistent=self.persistent_tables)
        self.register_buffer("sin", angles.sin().float().to(device), persistent=self.persistent_tables)

    def _rotate_adjacent(self, x: Tensor, token_positions: Tensor) -> Tensor:
        cos, sin = self.cos[token_positions].to(x.dtype), self.sin[token_positions].to(x.dtype)
        x0, x1 = x[..., 0::2], x[..., 1::2]
        return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)


class _RoPESlices(_RoPE):
    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        return self._rotate_adjacent(x, token_positions)


class _RoPEComplex(_RoPE):
    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        x_up = _upcast(x)  # view_as_complex needs float32/float64 parts
        z = torch.view_as_complex(x_up.unflatten(-1, (-1, 2)).contiguous())
        rotation = torch.complex(self.cos, self.sin).to(z.dtype)[token_positions]  # e^(i angle)
        return torch.view_as_real(z * rotation).flatten(-2).to(x.dtype)


class _RoPESplitHalves(_RoPE):
    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        cos, sin = self.cos[token_positions].to(x.dtype), self.sin[token_positions].to(x.dtype)
        x0, x1 = x.chunk(2, dim=-1)  # pairs x[i] with x[i + d/2] (GPT-NeoX), not x[2i] with x[2i+1]
        return torch.cat((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1)


class _RoPEIgnoresPositions(_RoPE):
    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        return self._rotate_adjacent(x, torch.arange(x.shape[-2], device=x.device))


class _RoPEWrongFrequencies(_RoPE):
    frequency_exponent = 1.0  # theta^(-i/d_k) instead of theta^(-2i/d_k)

    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        return self._rotate_adjacent(x, token_positions)


class _RoPEPersistentBuffers(_RoPE):
    persistent_tables = True  # cos and sin end up in the state dict

    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        return self._rotate_adjacent(x, token_positions)


# --------------------------------------------------------------------------------------------
# MultiHeadSelfAttention
# --------------------------------------------------------------------------------------------


def _causal_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """Correct causal attention over the last two dims, with torch.softmax."""
    T = q.shape[-2]
    mask = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    return torch.softmax(_attention_scores(q, k).masked_fill(~mask, float("-inf")), dim=-1) @ v


class _MHSA(_reference.MultiHeadSelfAttention):
    """A correct forward built from hooks (heads split with unflatten, torch.softmax attention);
    each variant overrides one hook."""

    def _qkv(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return self.q_proj(x), self.k_proj(x), self.v_proj(x)

    def _split(self, t: Tensor) -> Tensor:  # (..., T, C) -> (..., h, T, d_head)
        return t.unflatten(-1, (self.num_heads, -1)).transpose(-3, -2)

    def _merge(self, o: Tensor) -> Tensor:  # (..., h, T, d_head) -> (..., T, C)
        return o.transpose(-3, -2).flatten(-2)

    def _positions(self, x: Tensor, token_positions: Tensor | None) -> Tensor:
        if token_positions is None:
            token_positions = torch.arange(x.shape[-2], device=x.device)
        return token_positions.unsqueeze(-2)  # (..., 1, T): broadcasts over the heads

    def _rotate(self, q: Tensor, k: Tensor, v: Tensor, positions: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return self.rope(q, positions), self.rope(k, positions), v

    def _attend(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        return _causal_attention(q, k, v)

    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        q, k, v = (self._split(t) for t in self._qkv(x))
        if self.rope is not None:
            q, k, v = self._rotate(q, k, v, self._positions(x, token_positions))
        return self.output_proj(self._merge(self._attend(q, k, v)))


class _MHSAFusedQKV(_MHSA):
    def _qkv(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        w_qkv = torch.cat((self.q_proj.weight, self.k_proj.weight, self.v_proj.weight), dim=0)  # (3C, C)
        return (x @ w_qkv.T).chunk(3, dim=-1)


class _MHSAViewTranspose(_MHSA):
    def _split(self, t: Tensor) -> Tensor:
        d_head = t.shape[-1] // self.num_heads
        return t.view(*t.shape[:-1], self.num_heads, d_head).transpose(-3, -2)

    def _merge(self, o: Tensor) -> Tensor:
        o = o.transpose(-3, -2).contiguous()
        return o.view(*o.shape[:-2], -1)


class _MHSATorchSDPA(_MHSA):
    def _attend(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)


class _MHSAScaleByDModel(_MHSA):
    def _attend(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        d_head, d_model = q.shape[-1], q.shape[-1] * self.num_heads
        return _causal_attention(q * math.sqrt(d_head / d_model), k, v)  # scores / sqrt(d_model)


class _MHSAMaskWrongTriangle(_MHSA):
    def _attend(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        T = q.shape[-2]
        mask = torch.ones(T, T, dtype=torch.bool, device=q.device).triu()  # sees the future, not the past
        return torch.softmax(_attention_scores(q, k).masked_fill(~mask, float("-inf")), dim=-1) @ v


class _MHSAMaskAfterSoftmax(_MHSA):
    def _attend(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        T = q.shape[-2]
        mask = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
        weights = torch.softmax(_attention_scores(q, k), dim=-1).masked_fill(~mask, 0.0)  # rows no longer sum to 1
        return weights @ v


class _MHSAHeadsMergedWrongOrder(_MHSA):
    def _merge(self, o: Tensor) -> Tensor:
        return o.movedim(-3, -1).flatten(-2)  # "... h t d -> ... t (d h)"


class _MHSAHeadsSplitWrongOrder(_MHSA):
    def _split(self, t: Tensor) -> Tensor:
        return t.unflatten(-1, (-1, self.num_heads)).movedim(-1, -3)  # "... t (d h) -> ... h t d"


class _MHSANoCausalMask(_MHSA):
    def _attend(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        return torch.softmax(_attention_scores(q, k), dim=-1) @ v


class _MHSARopeOnValues(_MHSA):
    def _rotate(self, q: Tensor, k: Tensor, v: Tensor, positions: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return self.rope(q, positions), self.rope(k, positions), self.rope(v, positions)


# --------------------------------------------------------------------------------------------
# TransformerBlock
# --------------------------------------------------------------------------------------------


class _BlockPostNorm(_reference.TransformerBlock):
    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        x = self.ln1(x + self.attn(x, token_positions))
        return self.ln2(x + self.ffn(x))


class _BlockNoAttentionResidual(_reference.TransformerBlock):
    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        x = self.attn(self.ln1(x), token_positions)
        return x + self.ffn(self.ln2(x))


class _BlockNoFfnResidual(_reference.TransformerBlock):
    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.ln1(x), token_positions)
        return self.ffn(self.ln2(x))


class _BlockSharedNorm(_reference.TransformerBlock):
    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.ln1(x), token_positions)
        return x + self.ffn(self.ln1(x))  # ln2 exists (the state dict loads) but is unused


# --------------------------------------------------------------------------------------------
# TransformerLM and count_parameters
# --------------------------------------------------------------------------------------------


class _LM(_reference.TransformerLM):
    """A correct forward; the variants flip one of its switches or replace `_loss`."""

    batched_positions = False  # positions (B, T) instead of (T,)
    positions_after_blocks = False
    final_norm = True

    def _loss(self, logits: Tensor, targets: Tensor) -> Tensor:
        return F.cross_entropy(logits.flatten(0, -2), targets.flatten().long())

    def forward(self, idx: Tensor, targets: Tensor | None = None):
        T = idx.shape[-1]
        if T > self.config.context_length:
            raise ValueError(f"{T} tokens do not fit in the context length {self.config.context_length}")
        positions = torch.arange(T, device=idx.device)
        if self.batched_positions:
            positions = positions.expand(idx.shape)
        x = self.token_embeddings(idx)
        if self.position_embeddings is not None and not self.positions_after_blocks:
            x = x + self.position_embeddings(positions)
        for layer in self.layers:
            x = layer(x, positions)
        if self.position_embeddings is not None and self.positions_after_blocks:
            x = x + self.position_embeddings(positions)
        logits = self.lm_head(self.ln_final(x) if self.final_norm else x)
        return logits if targets is None else (logits, self._loss(logits, targets))


class _LMBatchedPositions(_LM):
    batched_positions = True


class _LMPositionsAfterBlocks(_LM):
    positions_after_blocks = True


class _LMNoFinalNorm(_LM):
    final_norm = False


class _LMLossSummed(_LM):
    def _loss(self, logits: Tensor, targets: Tensor) -> Tensor:
        return -logits.log_softmax(dim=-1).gather(-1, targets.long().unsqueeze(-1)).sum()


def _count_parameters(config, *, biases: bool = True, final_norm: bool = True, rope_buffers: bool = False) -> int:
    """The parameter count by formula, with switches for the mistakes."""
    C, V, F_ff, L = config.d_model, config.vocab_size, config.d_ff, config.num_layers
    b = int(config.bias and biases)
    norm = C + (C * b if config.norm == "layernorm" else 0)
    attention = 4 * C * C + C * b
    ffn = 3 * C * F_ff if config.ffn == "swiglu" else 2 * C * F_ff + (F_ff + C) * b
    total = V * C + L * (attention + ffn + 2 * norm) + C * V + V * b
    if config.positions == "learned":
        total += config.context_length * C
    elif rope_buffers:
        total += config.context_length * config.d_head  # cos and sin, (context, d_head / 2) each
    return total + (norm if final_norm else 0)


def _count_parameters_meta_model(config) -> int:
    model = _reference.TransformerLM(config, device="meta")  # no memory, any size
    return sum(p.numel() for p in model.parameters())


def _count_parameters_formula(config) -> int:
    return _count_parameters(config)


def _count_parameters_forgets_biases(config) -> int:
    return _count_parameters(config, biases=False)


def _count_parameters_forgets_final_norm(config) -> int:
    return _count_parameters(config, final_norm=False)


def _count_parameters_counts_rope_buffers(config) -> int:
    return _count_parameters(config, rope_buffers=True)


# --------------------------------------------------------------------------------------------
# The lists
# --------------------------------------------------------------------------------------------

VALID: list[Variant] = [
    Variant("linear_matmul", None, "forward as x @ W.T instead of einsum", {"Linear": _LinearMatmul}),
    Variant("linear_functional", None, "forward with F.linear", {"Linear": _LinearFunctional}),
    Variant("embedding_index_select", None, "lookup with index_select on the flattened ids", {"Embedding": _EmbeddingIndexSelect}),
    Variant("embedding_functional", None, "lookup with F.embedding", {"Embedding": _EmbeddingFunctional}),
    Variant("rmsnorm_rsqrt", None, "multiplies by torch.rsqrt(mean(x²) + eps) after promoting to at least float32", {"RMSNorm": _RMSNormRsqrt}),
    Variant("rmsnorm_float_upcast", None, "upcasts with x.float() only for fp16/bf16 inputs and divides by torch.sqrt", {"RMSNorm": _RMSNormFloatUpcast}),
    Variant("silu_sigmoid", None, "x * torch.sigmoid(x)", {"silu": _silu_sigmoid}),
    Variant("silu_exp", None, "x / (1 + exp(-x)) written out", {"silu": _silu_exp}),
    Variant("softmax_logsumexp", None, "exp(x - logsumexp(x))", {"softmax": _softmax_logsumexp}),
    Variant("softmax_max_values", None, "exp(x - max) / sum with torch.max(...).values", {"softmax": _softmax_max_values}),
    Variant("attention_matmul_transpose", None, "torch.matmul with k.transpose(-2, -1), masked_fill(~mask, -inf)", {"scaled_dot_product_attention": _attention_matmul_transpose}),
    Variant("attention_fill_large_negative", None, "masked scores set to -1e9 instead of -inf (float32/bf16 only: -1e9 does not fit in fp16)", {"scaled_dot_product_attention": _attention_fill_large_negative}),
    Variant("attention_where", None, "einsum scores and torch.where(mask, scores, -inf)", {"scaled_dot_product_attention": _attention_where}),
    Variant("cross_entropy_gather", None, "log-softmax as x - logsumexp, target picked with gather", {"cross_entropy": _cross_entropy_gather}),
    Variant("cross_entropy_flatten_index", None, "flattens positions, logsumexp minus the target logit picked by advanced indexing", {"cross_entropy": _cross_entropy_flatten_index}),
    # Part 2
    Variant("layernorm_var", None, "torch.var(unbiased=False) and mean, after promoting to at least float32", {"LayerNorm": _LayerNormVar}),
    Variant("layernorm_functional", None, "F.layer_norm after promoting to at least float32", {"LayerNorm": _LayerNormFunctional}),
    Variant("gelu_functional", None, "F.gelu (exact erf form)", {"gelu": _gelu_functional}),
    Variant("gelu_erf", None, "x (1 + erf(x / sqrt 2)) / 2 written out with torch.erf", {"gelu": _gelu_erf}),
    Variant("biased_linear_functional", None, "BiasedLinear forward as F.linear(x, W, b)", {"BiasedLinear": _BiasedLinearFunctional}),
    Variant("rope_slices", None, "rotates x[..., 0::2] / x[..., 1::2] and interleaves them back with stack + flatten", {"RotaryPositionalEmbedding": _RoPESlices}),
    Variant("rope_complex", None, "rotates adjacent pairs as complex numbers (view_as_complex times cos + i sin), in at least float32", {"RotaryPositionalEmbedding": _RoPEComplex}),
    Variant("mhsa_fused_qkv", None, "one matmul with the concatenated q/k/v weights, then chunk", {"MultiHeadSelfAttention": _MHSAFusedQKV}),
    Variant("mhsa_view_transpose", None, "heads split and merged with view/transpose instead of einops", {"MultiHeadSelfAttention": _MHSAViewTranspose}),
    Variant("mhsa_torch_sdpa", None, "F.scaled_dot_product_attention(is_causal=True) for the attention", {"MultiHeadSelfAttention": _MHSATorchSDPA}),
    Variant("lm_batched_positions", None, "position ids torch.arange(T, device=idx.device) expanded to (B, T); F.cross_entropy loss", {"TransformerLM": _LMBatchedPositions}),
    Variant("count_parameters_meta_model", None, "builds TransformerLM on the meta device and sums numel()", {"count_parameters": _count_parameters_meta_model}),
    Variant("count_parameters_formula", None, "the same formula grouped differently", {"count_parameters": _count_parameters_formula}),
]

MISTAKES: list[Variant] = [
    # Linear
    Variant("linear_weight_transposed", "linear", "weight stored as (in, out) and applied as x @ W", {"Linear": _LinearWeightTransposed}),
    Variant("linear_std_is_variance", "linear", "init std = 2/(in+out): the variance used as the standard deviation", {"Linear": _LinearStdIsVariance}),
    Variant("linear_trunc_default_bounds", "linear", "trunc_normal_ with its default absolute bounds ±2 instead of ±3 std", {"Linear": _LinearTruncDefaultBounds}),
    Variant("linear_no_truncation", "linear", "plain normal_ init with the right std but no truncation", {"Linear": _LinearNoTruncation}),
    Variant("linear_has_bias", "linear", "adds a zero-initialised bias parameter and uses it in forward", {"Linear": _LinearHasBias}),
    Variant("linear_ignores_dtype", "linear", "ignores the device/dtype arguments, so the weight is always float32", {"Linear": _LinearIgnoresDtype}),
    # Embedding
    Variant("embedding_linear_init", "embedding", "init std = sqrt(2/(num+dim)) as for Linear instead of 1", {"Embedding": _EmbeddingLinearInit}),
    Variant("embedding_no_truncation", "embedding", "plain randn init with no truncation", {"Embedding": _EmbeddingNoTruncation}),
    Variant("embedding_ignores_dtype", "embedding", "ignores the device/dtype arguments, so the weight is always float32", {"Embedding": _EmbeddingIgnoresDtype}),
    # RMSNorm
    Variant("rmsnorm_eps_outside_sqrt", "rmsnorm", "divides by sqrt(mean(x²)) + eps instead of sqrt(mean(x²) + eps)", {"RMSNorm": _RMSNormEpsOutsideSqrt}),
    Variant("rmsnorm_no_upcast", "rmsnorm", "computes in the input dtype, so x² overflows for large fp16 inputs", {"RMSNorm": _RMSNormNoUpcast}),
    Variant("rmsnorm_mean_abs", "rmsnorm", "divides by mean(|x|) instead of the root mean square", {"RMSNorm": _RMSNormMeanAbs}),
    Variant("rmsnorm_wrong_dim", "rmsnorm", "takes the mean over dim 0 instead of the last dim", {"RMSNorm": _RMSNormWrongDim}),
    Variant("rmsnorm_no_gain", "rmsnorm", "never multiplies by the learnable weight", {"RMSNorm": _RMSNormNoGain}),
    Variant("rmsnorm_returns_float32", "rmsnorm", "upcasts to float32 but never casts the result back to the input dtype", {"RMSNorm": _RMSNormReturnsFloat32}),
    # SiLU
    Variant("silu_sigmoid_only", "silu", "returns sigmoid(x) without multiplying by x", {"silu": _silu_sigmoid_only}),
    Variant("silu_relu", "silu", "returns relu(x)", {"silu": _silu_relu}),
    # SwiGLU
    Variant("swiglu_gate_on_w3", "swiglu", "applies silu to w3 x instead of w1 x", {"SwiGLU": _SwiGLUGateOnW3}),
    Variant("swiglu_sigmoid_gate", "swiglu", "gates with sigmoid(w1 x) instead of silu(w1 x)", {"SwiGLU": _SwiGLUSigmoidGate}),
    Variant("swiglu_d_ff_not_rounded", "swiglu", "default d_ff = int(8/3 d_model), not rounded up to a multiple of 64", {"SwiGLU": _SwiGLUDffNotRounded}),
    Variant("swiglu_no_gate", "swiglu", "w2(silu(w1 x)) with w3 created but unused", {"SwiGLU": _SwiGLUNoGate}),
    # Softmax
    Variant("softmax_no_max_subtraction", "softmax", "exp(x) / sum(exp(x)) without subtracting the max: NaN at large inputs", {"softmax": _softmax_no_max_subtraction}),
    Variant("softmax_ignores_dim", "softmax", "always normalises over the last dim", {"softmax": _softmax_ignores_dim}),
    Variant("softmax_in_place", "softmax", "subtracts the max from the input in place before the (correct) softmax", {"softmax": _softmax_in_place}),
    # Attention
    Variant("attention_no_scale", "attention", "no 1/sqrt(d_k) scaling of the scores", {"scaled_dot_product_attention": _attention_no_scale}),
    Variant("attention_scale_by_d_k", "attention", "divides the scores by d_k instead of sqrt(d_k)", {"scaled_dot_product_attention": _attention_scale_by_d_k}),
    Variant("attention_mask_inverted", "attention", "treats True in the mask as blocked", {"scaled_dot_product_attention": _attention_mask_inverted}),
    Variant("attention_mask_fill_zero", "attention", "sets masked scores to 0 instead of -inf", {"scaled_dot_product_attention": _attention_mask_fill_zero}),
    Variant("attention_mask_after_softmax", "attention", "zeroes masked weights after the softmax without renormalising", {"scaled_dot_product_attention": _attention_mask_after_softmax}),
    Variant("attention_ignores_mask", "attention", "never applies the mask", {"scaled_dot_product_attention": _attention_ignores_mask}),
    Variant("attention_softmax_over_queries", "attention", "softmax over the query dim (-2) instead of the key dim", {"scaled_dot_product_attention": _attention_softmax_over_queries}),
    # Cross-entropy
    Variant("cross_entropy_no_max_subtraction", "cross_entropy", "log(sum(exp(logits))) without the max shift: inf at large logits", {"cross_entropy": _cross_entropy_no_max_subtraction}),
    Variant("cross_entropy_summed", "cross_entropy", "sums the per-position losses instead of averaging", {"cross_entropy": _cross_entropy_summed}),
    Variant("cross_entropy_mean_over_vocab", "cross_entropy", "-(one_hot * log_softmax).mean(): divides by the vocabulary size as well", {"cross_entropy": _cross_entropy_mean_over_vocab}),
    Variant("cross_entropy_softmax_then_log", "cross_entropy", "log of a naive exp(x)/sum(exp(x)) softmax: NaN at large logits", {"cross_entropy": _cross_entropy_softmax_then_log}),
    # Part 2
    # LayerNorm
    Variant("layernorm_unbiased_variance", "layernorm", "torch.var with its default unbiased=True: divides by d_model - 1", {"LayerNorm": _LayerNormUnbiasedVariance}),
    Variant("layernorm_no_mean_subtraction", "layernorm", "never subtracts the mean (RMSNorm plus a bias)", {"LayerNorm": _LayerNormNoMeanSubtraction}),
    Variant("layernorm_eps_outside_sqrt", "layernorm", "divides by sqrt(var) + eps instead of sqrt(var + eps)", {"LayerNorm": _LayerNormEpsOutsideSqrt}),
    Variant("layernorm_no_bias", "layernorm", "has the bias parameter but never adds it", {"LayerNorm": _LayerNormNoBias}),
    # GELU, BiasedLinear, GeluMLP
    Variant("gelu_tanh_approximation", "gelu", "GPT-2's tanh approximation instead of the exact erf form", {"gelu": _gelu_tanh_approximation}),
    Variant("biased_linear_no_bias", "gelu", "BiasedLinear has the bias parameter but never adds it", {"BiasedLinear": _BiasedLinearNoBias}),
    Variant("gelu_mlp_relu", "gelu", "GeluMLP uses relu instead of gelu", {"GeluMLP": _GeluMLPRelu}),
    # RoPE
    Variant("rope_split_halves", "rope", "pairs x[i] with x[i + d/2] (GPT-NeoX) instead of adjacent pairs", {"RotaryPositionalEmbedding": _RoPESplitHalves}),
    Variant("rope_ignores_positions", "rope", "uses 0 .. T-1 instead of token_positions", {"RotaryPositionalEmbedding": _RoPEIgnoresPositions}),
    Variant("rope_wrong_frequencies", "rope", "frequencies theta^(-i/d) instead of theta^(-2i/d)", {"RotaryPositionalEmbedding": _RoPEWrongFrequencies}),
    Variant("rope_persistent_buffers", "rope", "registers cos/sin as persistent buffers, so they appear in the state dict", {"RotaryPositionalEmbedding": _RoPEPersistentBuffers}),
    # MultiHeadSelfAttention
    Variant("mhsa_scale_by_d_model", "multihead_attention", "scores scaled by 1/sqrt(d_model) instead of 1/sqrt(d_head)", {"MultiHeadSelfAttention": _MHSAScaleByDModel}),
    Variant("mhsa_mask_wrong_triangle", "multihead_attention", "causal mask from triu: each token sees the future, not the past", {"MultiHeadSelfAttention": _MHSAMaskWrongTriangle}),
    Variant("mhsa_mask_after_softmax", "multihead_attention", "softmax over all scores, then future weights zeroed without renormalising", {"MultiHeadSelfAttention": _MHSAMaskAfterSoftmax}),
    Variant("mhsa_heads_merged_wrong_order", "multihead_attention", 'merges heads with "... h t d -> ... t (d h)"', {"MultiHeadSelfAttention": _MHSAHeadsMergedWrongOrder}),
    Variant("mhsa_heads_split_wrong_order", "multihead_attention", 'splits heads with "... t (d h) -> ... h t d"', {"MultiHeadSelfAttention": _MHSAHeadsSplitWrongOrder}),
    Variant("mhsa_no_causal_mask", "multihead_attention", "no causal mask: every token sees the whole sequence", {"MultiHeadSelfAttention": _MHSANoCausalMask}),
    Variant("mhsa_rope_on_values", "multihead_attention", "rotates the values as well as the queries and keys", {"MultiHeadSelfAttention": _MHSARopeOnValues}),
    # TransformerBlock
    Variant("block_post_norm", "transformer_block", "post-norm: ln1(x + attn(x)), then ln2(x + ffn(x))", {"TransformerBlock": _BlockPostNorm}),
    Variant("block_no_attention_residual", "transformer_block", "x = attn(ln1(x)): no residual around attention", {"TransformerBlock": _BlockNoAttentionResidual}),
    Variant("block_no_ffn_residual", "transformer_block", "x = ffn(ln2(x)): no residual around the feed-forward", {"TransformerBlock": _BlockNoFfnResidual}),
    Variant("block_shared_norm", "transformer_block", "uses ln1 before both sub-layers; ln2 is never used", {"TransformerBlock": _BlockSharedNorm}),
    # TransformerLM and count_parameters
    Variant("lm_positions_after_blocks", "transformer_lm", "adds the learned position embeddings after the blocks instead of before", {"TransformerLM": _LMPositionsAfterBlocks}),
    Variant("lm_no_final_norm", "transformer_lm", "skips ln_final before lm_head", {"TransformerLM": _LMNoFinalNorm}),
    Variant("lm_loss_summed", "transformer_lm", "sums the per-position cross-entropy instead of averaging", {"TransformerLM": _LMLossSummed}),
    Variant("count_parameters_forgets_biases", "transformer_lm", "counts as if bias=False", {"count_parameters": _count_parameters_forgets_biases}),
    Variant("count_parameters_forgets_final_norm", "transformer_lm", "leaves out the final norm", {"count_parameters": _count_parameters_forgets_final_norm}),
    Variant("count_parameters_counts_rope_buffers", "transformer_lm", "adds the rope cos/sin tables (context_length * d_head) as if they were parameters", {"count_parameters": _count_parameters_counts_rope_buffers}),
]
