"""Alternative implementations of single public names, for the grader's self-tests.

An implementation under test is the reference package with one `Variant.replaces` applied on
top. Every VALID variant is a different but correct way to write that name and must score full
marks; every MISTAKE carries one error seen in real learner code and must lose points in its
`part`, and only there. A mistake's part, description and hint are its entry in the catalogue
(grader/mistakes.py), under the same id.

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

from grader.mistakes import MISTAKES_BY_ID


@dataclass(frozen=True)
class Variant:
    name: str  # short snake_case id, e.g. "linear_matmul"
    part: str | None  # for a mistake: the part that must lose points; None for a valid variant
    description: str  # one sentence: what this variant does
    replaces: dict[str, object] = field(default_factory=dict)  # public name -> replacement object


def wrong(name: str, replaces: dict[str, object]) -> Variant:
    """A known mistake: its part and its description are its entry in the catalogue (grader/mistakes.py)."""
    mistake = MISTAKES_BY_ID[name]
    return Variant(name, mistake.part, mistake.name, replaces)


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


# ============================================================================================
# Part 3: training
#
# The functions are standalone (torch only). The tokenizer, AdamW and generate variants derive
# from correct standalone bases written here, and each overrides one hook, so a mistake differs
# from a correct implementation in exactly one place. estimate_loss draws its batches with the
# reference's get_batch (the part builds on get_batch). The end-to-end mistake subclasses the
# reference TransformerLM, as the Part 2 ones do.
# ============================================================================================

import io  # noqa: E402


# --------------------------------------------------------------------------------------------
# CharTokenizer
# --------------------------------------------------------------------------------------------


class _CharTokenizer:
    """A correct tokenizer with stoi/itos dicts built by comprehensions; the mistakes override one method."""

    def __init__(self, text: str):
        self.chars = self._vocabulary(text)
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        self.itos = {i: c for i, c in enumerate(self.chars)}
        self.vocab_size = len(self.chars)

    @staticmethod
    def _vocabulary(text: str) -> list[str]:
        return sorted(set(text))

    def encode(self, text: str) -> list[int]:
        unknown = [c for c in text if c not in self.stoi]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not in the vocabulary")
        return [self.stoi[c] for c in text]

    def decode(self, ids) -> str:
        return "".join(self.itos[int(i)] for i in ids)


class _TokenizerStrFind:
    def __init__(self, text: str):
        self.alphabet = "".join(sorted(set(text)))
        self.chars = list(self.alphabet)

    @property
    def vocab_size(self) -> int:
        return len(self.alphabet)

    def encode(self, text: str) -> list[int]:
        ids = []
        for c in text:
            i = self.alphabet.find(c)
            if i < 0:
                raise ValueError(f"unknown character {c!r}")
            ids.append(i)
        return ids

    def decode(self, ids) -> str:
        return "".join(self.alphabet[i] for i in (ids.tolist() if isinstance(ids, Tensor) else ids))


class _TokenizerFirstAppearance(_CharTokenizer):
    @staticmethod
    def _vocabulary(text: str) -> list[str]:
        return list(dict.fromkeys(text))  # order of first appearance, not sorted


class _TokenizerKeyError(_CharTokenizer):
    def encode(self, text: str) -> list[int]:
        return [self.stoi[c] for c in text]  # an unknown character raises KeyError


class _TokenizerDecodeTensorKeys(_CharTokenizer):
    def decode(self, ids) -> str:
        return "".join(self.itos[i] for i in ids)  # a tensor element is no int key: KeyError


# --------------------------------------------------------------------------------------------
# get_batch
# --------------------------------------------------------------------------------------------


def _windows_or_raise(data, context_length: int) -> Tensor:
    data = torch.as_tensor(data)
    if len(data) <= context_length:
        raise ValueError(f"{len(data)} tokens hold no window of {context_length} plus its target")
    return data


def _batch_at(data: Tensor, starts: Tensor, context_length: int, device, shift: int = 1) -> tuple[Tensor, Tensor]:
    positions = starts[:, None] + torch.arange(context_length)  # (B, T)
    return data[positions].long().to(device), data[positions + shift].long().to(device)


def _get_batch_stack(data, batch_size, context_length, device="cpu", generator=None):
    data = _windows_or_raise(data, context_length)
    starts = torch.randint(len(data) - context_length, (batch_size,), generator=generator).tolist()
    inputs = torch.stack([data[s : s + context_length] for s in starts])
    targets = torch.stack([data[s + 1 : s + 1 + context_length] for s in starts])
    return inputs.to(device=device, dtype=torch.long), targets.to(device=device, dtype=torch.long)


def _get_batch_unfold(data, batch_size, context_length, device="cpu", generator=None):
    data = _windows_or_raise(data, context_length)
    windows = data.unfold(0, context_length + 1, 1)  # (N - T, T + 1): every window with its next token
    picked = windows[torch.randint(0, windows.shape[0], (batch_size,), generator=generator)]
    return picked[:, :-1].long().to(device), picked[:, 1:].long().to(device)


def _get_batch_targets_not_shifted(data, batch_size, context_length, device="cpu", generator=None):
    data = _windows_or_raise(data, context_length)
    starts = torch.randint(len(data) - context_length, (batch_size,), generator=generator)
    return _batch_at(data, starts, context_length, device, shift=0)


def _get_batch_last_start_missing(data, batch_size, context_length, device="cpu", generator=None):
    data = _windows_or_raise(data, context_length)
    starts = torch.randint(len(data) - context_length - 1, (batch_size,), generator=generator)  # never N - T - 1
    return _batch_at(data, starts, context_length, device)


def _get_batch_ignores_generator(data, batch_size, context_length, device="cpu", generator=None):
    data = _windows_or_raise(data, context_length)
    starts = torch.randint(len(data) - context_length, (batch_size,))  # torch's global generator
    return _batch_at(data, starts, context_length, device)


# --------------------------------------------------------------------------------------------
# AdamW
# --------------------------------------------------------------------------------------------


class _AdamW(torch.optim.Optimizer):
    """A correct AdamW written as in the docstring, built from hooks; each variant overrides one."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    def _hyperparameters(self, group: dict) -> dict:
        return group

    def _gradient(self, p: Tensor) -> Tensor | None:
        return p.grad

    def _moments(self, p: Tensor, g: Tensor, group: dict, beta1: float, beta2: float) -> tuple[int, Tensor, Tensor]:
        """Counts this parameter's step and updates its running averages; returns (t, m, v)."""
        state = self.state[p]
        if not state:
            state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
        state["step"] += 1
        state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
        state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        return state["step"], state["m"], state["v"]

    def _update(self, p: Tensor, g: Tensor, group: dict, lr, beta1, beta2, eps, weight_decay) -> None:
        t, m, v = self._moments(p, g, group, beta1, beta2)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p.mul_(1 - lr * weight_decay)
        p.sub_(lr * m_hat / (v_hat.sqrt() + eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            h = self._hyperparameters(group)
            beta1, beta2 = h["betas"]
            for p in group["params"]:
                g = self._gradient(p)
                if g is not None:
                    self._update(p, g, group, h["lr"], beta1, beta2, h["eps"], h["weight_decay"])
        return loss


class _AdamWTorchForm(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        state = self.state[p]
        if not state:
            state.update(step=0, exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
        state["step"] += 1
        t, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
        p.mul_(1 - lr * weight_decay)
        exp_avg.lerp_(g, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        bias_correction1, bias_correction2 = 1 - beta1**t, 1 - beta2**t
        denom = (exp_avg_sq.sqrt() / math.sqrt(bias_correction2)).add_(eps)
        p.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)


class _AdamWTensorStep(_AdamW):
    def _moments(self, p, g, group, beta1, beta2):
        state = self.state[p]
        if not state:
            state.update(step=torch.tensor(0.0), m=torch.zeros_like(p), v=torch.zeros_like(p))
        state["step"] += 1  # a float32 tensor, as torch.optim keeps it
        state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
        state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        return state["step"].item(), state["m"], state["v"]


class _AdamWTorchSubclass(torch.optim.AdamW):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=False)


class _AdamWL2(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        g = g + weight_decay * p  # Adam with L2: the decay goes through m and v
        t, m, v = self._moments(p, g, group, beta1, beta2)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p.sub_(lr * m_hat / (v_hat.sqrt() + eps))


class _AdamWNoBiasCorrection(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        _, m, v = self._moments(p, g, group, beta1, beta2)
        p.mul_(1 - lr * weight_decay)
        p.sub_(lr * m / (v.sqrt() + eps))


class _AdamWDecayWithoutLr(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        t, m, v = self._moments(p, g, group, beta1, beta2)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p.mul_(1 - weight_decay)  # not scaled by lr
        p.sub_(lr * m_hat / (v_hat.sqrt() + eps))


class _AdamWDecayAfterUpdate(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        t, m, v = self._moments(p, g, group, beta1, beta2)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p.sub_(lr * m_hat / (v_hat.sqrt() + eps))
        p.sub_(lr * weight_decay * p)  # uses p after this step's update


class _AdamWEpsInsideSqrt(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        t, m, v = self._moments(p, g, group, beta1, beta2)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p.mul_(1 - lr * weight_decay)
        p.sub_(lr * m_hat / (v_hat + eps).sqrt())


class _AdamWRebindsParameter(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        t, m, v = self._moments(p, g, group, beta1, beta2)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p = p * (1 - lr * weight_decay)  # new tensors bound to the local name: the parameter never changes
        p = p - lr * m_hat / (v_hat.sqrt() + eps)


class _AdamWStepPerGroup(_AdamW):
    def _moments(self, p, g, group, beta1, beta2):
        state = self.state[p]
        if not state:
            state.update(m=torch.zeros_like(p), v=torch.zeros_like(p))
        if p is group["params"][0]:
            group["t"] = group.get("t", 0) + 1  # counted once per step() for the whole group
        state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
        state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        return group["t"], state["m"], state["v"]


class _AdamWIgnoresGroups(_AdamW):
    def _hyperparameters(self, group: dict) -> dict:
        return self.defaults  # a group's own lr / betas / weight_decay are never read


class _AdamWMissingGradAsZero(_AdamW):
    def _gradient(self, p: Tensor) -> Tensor | None:
        return p.grad if p.grad is not None else torch.zeros_like(p)


# --------------------------------------------------------------------------------------------
# cosine_lr_schedule
# --------------------------------------------------------------------------------------------


def _cosine_half_times(t, lr_max, lr_min, warmup_iters, cosine_iters):
    if t < warmup_iters:
        return lr_max * t / warmup_iters
    if t <= cosine_iters:
        progress = (t - warmup_iters) / max(1, cosine_iters - warmup_iters)
        return lr_min + 0.5 * (lr_max - lr_min) * (1.0 + math.cos(math.pi * progress))
    return lr_min


def _cosine_clamped_progress(t, lr_max, lr_min, warmup_iters, cosine_iters):
    if t < warmup_iters:
        return t / warmup_iters * lr_max
    progress = min(max((t - warmup_iters) / max(cosine_iters - warmup_iters, 1), 0.0), 1.0)
    return lr_min + (1 + math.cos(math.pi * progress)) / 2 * (lr_max - lr_min)


def _cosine_warmup_off_by_one(t, lr_max, lr_min, warmup_iters, cosine_iters):
    if t < warmup_iters:
        return (t + 1) / warmup_iters * lr_max
    return _cosine_half_times(t, lr_max, lr_min, warmup_iters, cosine_iters)


def _cosine_progress_over_cosine_iters(t, lr_max, lr_min, warmup_iters, cosine_iters):
    if t < warmup_iters:
        return t / warmup_iters * lr_max
    if t <= cosine_iters:
        progress = (t - warmup_iters) / cosine_iters  # should be over cosine_iters - warmup_iters
        return lr_min + (1 + math.cos(math.pi * progress)) / 2 * (lr_max - lr_min)
    return lr_min


def _cosine_never_flat(t, lr_max, lr_min, warmup_iters, cosine_iters):
    if t < warmup_iters:
        return t / warmup_iters * lr_max
    progress = (t - warmup_iters) / (cosine_iters - warmup_iters)  # past 1 the cosine climbs again
    return lr_min + (1 + math.cos(math.pi * progress)) / 2 * (lr_max - lr_min)


def _cosine_warmup_divides_by_zero(t, lr_max, lr_min, warmup_iters, cosine_iters):
    warmed = t / warmup_iters  # ZeroDivisionError when warmup_iters = 0
    if warmed < 1:
        return warmed * lr_max
    return _cosine_half_times(t, lr_max, lr_min, warmup_iters, cosine_iters)


# --------------------------------------------------------------------------------------------
# clip_grad_norm
# --------------------------------------------------------------------------------------------


def _global_norm(grads) -> Tensor:
    squares = [g.detach().float().pow(2).sum() for g in grads]
    return torch.stack(squares).sum().sqrt() if squares else torch.tensor(0.0)


def _clip_grad_norm_stacked(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.detach()) for g in grads]))
    scale = torch.clamp(max_norm / (total + eps), max=1.0)  # multiplies by exactly 1 below max_norm
    for g in grads:
        g.detach().mul_(scale)
    return total


def _clip_grad_norm_no_eps(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = _global_norm(grads)
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / total)
    return total


def _clip_grad_norm_per_parameter(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = _global_norm(grads)
    for g in grads:
        norm = g.norm()
        if norm > max_norm:
            g.mul_(max_norm / (norm + eps))  # each gradient clipped on its own
    return total


def _clip_grad_norm_scales_up(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = _global_norm(grads)
    for g in grads:
        g.mul_(max_norm / (total + eps))  # also when total < max_norm
    return total


def _clip_grad_norm_iterates_twice(parameters, max_norm, eps=1e-6):
    total = _global_norm(p.grad for p in parameters if p.grad is not None)
    if total > max_norm:
        for p in parameters:  # a generator is used up by now: nothing gets clipped
            if p.grad is not None:
                p.grad.mul_(max_norm / (total + eps))
    return total


def _clip_grad_norm_returns_none(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = _global_norm(grads)
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / (total + eps))


def _clip_grad_norm_returns_clipped_norm(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = _global_norm(grads)
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / (total + eps))
    return _global_norm(grads)  # the norm after clipping


def _clip_grad_norm_missing_grad_crashes(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters]  # None for a frozen or unused parameter
    total = torch.sqrt(sum((g**2).sum() for g in grads))
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / (total + eps))
    return total


# --------------------------------------------------------------------------------------------
# save_checkpoint / load_checkpoint
# --------------------------------------------------------------------------------------------


def _save_checkpoint_bytes(out, model, optimizer, iteration):
    buffer = io.BytesIO()
    torch.save({"weights": model.state_dict(), "optimizer_state": optimizer.state_dict(), "step": iteration}, buffer)
    if hasattr(out, "write"):
        out.write(buffer.getvalue())
    else:
        with open(out, "wb") as f:
            f.write(buffer.getvalue())


def _load_checkpoint_bytes(src, model, optimizer):
    if hasattr(src, "read"):
        raw = src.read()
    else:
        with open(src, "rb") as f:
            raw = f.read()
    saved = torch.load(io.BytesIO(raw))
    model.load_state_dict(saved["weights"])
    optimizer.load_state_dict(saved["optimizer_state"])
    return saved["step"]


def _save_checkpoint_list(out, model, optimizer, iteration):
    torch.save([iteration, model.state_dict(), optimizer.state_dict()], out)


def _load_checkpoint_list(src, model, optimizer):
    iteration, model_state, optimizer_state = torch.load(src, map_location="cpu")
    model.load_state_dict(model_state)
    optimizer.load_state_dict(optimizer_state)
    return int(iteration)


def _save_checkpoint(out, model, optimizer, iteration):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)


def _save_checkpoint_model_only(out, model, optimizer, iteration):
    torch.save({"model": model.state_dict(), "iteration": iteration}, out)  # no optimizer state


def _load_checkpoint_model_only(src, model, optimizer):
    saved = torch.load(src)
    model.load_state_dict(saved["model"])
    return saved["iteration"]


def _load_checkpoint_optimizer_not_restored(src, model, optimizer):
    saved = torch.load(src)
    model.load_state_dict(saved["model"])  # saved["optimizer"] is never loaded
    return saved["iteration"]


def _load_checkpoint_returns_none(src, model, optimizer):
    saved = torch.load(src)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])  # and no return statement


# --------------------------------------------------------------------------------------------
# estimate_loss
# --------------------------------------------------------------------------------------------


def _estimate_loss_inference_mode(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            losses = torch.stack([
                model(*_reference.get_batch(data, batch_size, context_length, device, generator))[1]
                for _ in range(eval_iters)
            ])
    finally:
        model.train(was_training)
    return losses.mean().item()


@torch.no_grad()
def _estimate_loss_decorated(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    mode = model.training
    model.train(False)
    total = 0.0
    for _ in range(eval_iters):
        inputs, targets = _reference.get_batch(data, batch_size, context_length, device, generator)
        total += float(model(inputs, targets)[1])
    model.train(mode)
    return total / eval_iters


def _mean_loss(model, data, batch_size, context_length, eval_iters, device, generator) -> float:
    losses = []
    for _ in range(eval_iters):
        inputs, targets = _reference.get_batch(data, batch_size, context_length, device, generator)
        losses.append(model(inputs, targets)[1].item())
    return sum(losses) / len(losses)


def _estimate_loss_leaves_eval_mode(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    model.eval()
    with torch.no_grad():
        return _mean_loss(model, data, batch_size, context_length, eval_iters, device, generator)  # never switched back


def _estimate_loss_no_eval_mode(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    with torch.no_grad():  # dropout stays on
        return _mean_loss(model, data, batch_size, context_length, eval_iters, device, generator)


def _estimate_loss_no_no_grad(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    was_training = model.training
    model.eval()
    loss = _mean_loss(model, data, batch_size, context_length, eval_iters, device, generator)  # builds a graph every call
    model.train(was_training)
    return loss


def _estimate_loss_always_train_after(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    model.eval()
    with torch.no_grad():
        loss = _mean_loss(model, data, batch_size, context_length, eval_iters, device, generator)
    model.train()  # even if the model was in eval mode before
    return loss


def _estimate_loss_ignores_generator(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        loss = _mean_loss(model, data, batch_size, context_length, eval_iters, device, None)  # generator not passed on
    model.train(was_training)
    return loss


# --------------------------------------------------------------------------------------------
# generate
# --------------------------------------------------------------------------------------------


class _Generate:
    """A correct generate (torch.softmax + torch.multinomial, top_k by sorting), built from hooks;
    an instance is the replacement, and each variant overrides one hook."""

    def _context(self, model: nn.Module, idx: Tensor) -> Tensor:
        return idx[:, -model.config.context_length :]

    def _next_logits(self, logits: Tensor) -> Tensor:  # (B, T, V) -> (B, V)
        return logits[:, -1, :]

    def _scale(self, logits: Tensor, temperature: float) -> Tensor:
        return logits / temperature

    def _top_k(self, logits: Tensor, k: int) -> Tensor:
        if k >= logits.shape[-1]:
            return logits
        kth = logits.sort(dim=-1, descending=True).values[:, k - 1 : k]
        return logits.masked_fill(logits < kth, float("-inf"))

    def _top_p(self, probs: Tensor, p: float) -> Tensor:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        drop_sorted = sorted_probs.cumsum(dim=-1) - sorted_probs >= p  # the more likely ones already reach p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        return probs.masked_fill(drop, 0.0)

    def _sample(self, probs: Tensor) -> Tensor:  # (B, V) -> (B, 1)
        return torch.multinomial(probs, num_samples=1)

    def _pick(self, logits: Tensor, temperature: float, top_k: int | None, top_p: float | None) -> Tensor:
        if temperature == 0:
            return logits.argmax(dim=-1, keepdim=True)
        logits = self._scale(logits, temperature)
        if top_k is not None:
            logits = self._top_k(logits, top_k)
        probs = torch.softmax(logits, dim=-1)
        if top_p is not None:
            probs = self._top_p(probs, top_p)
        return self._sample(probs)

    def _result(self, prompt: Tensor, out: Tensor) -> Tensor:
        return out

    @torch.no_grad()
    def __call__(self, model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None):
        out = idx
        for _ in range(max_new_tokens):
            logits = self._next_logits(model(self._context(model, out)))
            out = torch.cat([out, self._pick(logits, temperature, top_k, top_p)], dim=1)
        return self._result(idx, out)


class _GenerateGumbelMax(_Generate):
    def _sample(self, probs: Tensor) -> Tensor:
        # argmax(log p + Gumbel noise) is a sample from p; -log(Exp(1)) is Gumbel(0, 1)
        noise = -torch.empty_like(probs).exponential_().log()
        return (probs.log() + noise).argmax(dim=-1, keepdim=True)


class _GenerateNoCrop(_Generate):
    def _context(self, model, idx):
        return idx  # grows past the context length


class _GenerateCropsFirstTokens(_Generate):
    def _context(self, model, idx):
        return idx[:, : model.config.context_length]


class _GenerateFirstPosition(_Generate):
    def _next_logits(self, logits):
        return logits[:, 0, :]  # the prediction after the first token, not the last


class _GenerateTemperatureMultiplies(_Generate):
    def _scale(self, logits, temperature):
        return logits * temperature


class _GenerateTopKSmallest(_Generate):
    def _top_k(self, logits, k):
        kth_smallest = logits.sort(dim=-1).values[:, k - 1 : k]
        return logits.masked_fill(logits > kth_smallest, float("-inf"))


class _GenerateTopKTooLarge(_Generate):
    def _top_k(self, logits, k):
        kth = torch.topk(logits, k, dim=-1).values[:, -1:]  # RuntimeError when k > vocabulary size
        return logits.masked_fill(logits < kth, float("-inf"))


class _GenerateTopPDropsCrossingToken(_Generate):
    def _top_p(self, probs, p):
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        drop_sorted = sorted_probs.cumsum(dim=-1) > p  # also drops the token that reaches p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        return probs.masked_fill(drop, 0.0)


class _GenerateTemperatureZeroDivides(_Generate):
    def _pick(self, logits, temperature, top_k, top_p):
        logits = self._scale(logits, temperature)  # temperature 0: inf and NaN, no argmax branch
        if top_k is not None:
            logits = self._top_k(logits, top_k)
        probs = torch.softmax(logits, dim=-1)
        if top_p is not None:
            probs = self._top_p(probs, top_p)
        return self._sample(probs)


class _GenerateReturnsOnlyNewTokens(_Generate):
    def _result(self, prompt, out):
        return out[:, prompt.shape[1] :]


# --------------------------------------------------------------------------------------------
# Training end to end
# --------------------------------------------------------------------------------------------


class _LMLinearInitStdOne(_reference.TransformerLM):
    """Every other part passes: the unit cases load their own weights into the model."""

    def __init__(self, config, device=None, dtype=None):
        super().__init__(config, device=device, dtype=dtype)
        for module in self.modules():
            if isinstance(module, _reference.Linear):
                nn.init.normal_(module.weight)  # std 1 (normal_'s default), not sqrt(2 / (in + out))


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
    # Part 3
    Variant("tokenizer_dict_comprehensions", None, "stoi/itos dicts built by comprehensions and vocab_size as an attribute", {"CharTokenizer": _CharTokenizer}),
    Variant("tokenizer_str_find", None, "the vocabulary kept as one sorted string: encode with str.find, decode by indexing it", {"CharTokenizer": _TokenizerStrFind}),
    Variant("get_batch_stack", None, "torch.stack of data[s : s + T] and data[s + 1 : s + T + 1] slices", {"get_batch": _get_batch_stack}),
    Variant("get_batch_unfold", None, "data.unfold(0, T + 1, 1) indexed at the drawn starts, split into inputs and targets", {"get_batch": _get_batch_unfold}),
    Variant("adamw_torch_form", None, "torch's arithmetic: lerp_ for m, step size lr / bc1, denominator sqrt(v) / sqrt(bc2) + eps, addcdiv_", {"AdamW": _AdamWTorchForm}),
    Variant("adamw_tensor_step", None, "each parameter's step count kept as a float tensor, as torch.optim does", {"AdamW": _AdamWTensorStep}),
    Variant("adamw_torch_subclass", None, "a thin subclass of torch.optim.AdamW with the same signature", {"AdamW": _AdamWTorchSubclass}),
    Variant("cosine_half_times", None, "lr_min + 0.5 (lr_max - lr_min)(1 + cos) with three explicit branches", {"cosine_lr_schedule": _cosine_half_times}),
    Variant("cosine_clamped_progress", None, "after warmup, the cosine of a progress clamped to [0, 1] with min/max (flat at lr_min past the end)", {"cosine_lr_schedule": _cosine_clamped_progress}),
    Variant("clip_grad_norm_stacked", None, "vector_norm of the stacked per-parameter norms; always multiplies by clamp(max_norm / (total + eps), max=1)", {"clip_grad_norm": _clip_grad_norm_stacked}),
    Variant("clip_grad_norm_no_eps", None, "scales by max_norm / total, without eps", {"clip_grad_norm": _clip_grad_norm_no_eps}),
    Variant("checkpoint_bytes_io", None, "other key names, serialised through an io.BytesIO and written/read as raw bytes", {"save_checkpoint": _save_checkpoint_bytes, "load_checkpoint": _load_checkpoint_bytes}),
    Variant("checkpoint_list_layout", None, "saves [iteration, model state, optimizer state] and loads with map_location='cpu'", {"save_checkpoint": _save_checkpoint_list, "load_checkpoint": _load_checkpoint_list}),
    Variant("estimate_loss_inference_mode", None, "torch.inference_mode, the losses stacked and averaged as a tensor, the mode restored in a finally", {"estimate_loss": _estimate_loss_inference_mode}),
    Variant("estimate_loss_decorated", None, "@torch.no_grad() on the function, model.train(False), float(loss) summed", {"estimate_loss": _estimate_loss_decorated}),
    Variant("generate_sorted_top_k", None, "torch.softmax and torch.multinomial; top_k threshold from sort, top_p mask scattered back from sorted order", {"generate": _Generate()}),
    Variant("generate_gumbel_max", None, "samples by Gumbel-max, argmax(log p - log(Exp(1) noise)), instead of torch.multinomial", {"generate": _GenerateGumbelMax()}),
]

MISTAKES: list[Variant] = [
    # Linear
    wrong("linear_weight_transposed", {"Linear": _LinearWeightTransposed}),
    wrong("linear_std_is_variance", {"Linear": _LinearStdIsVariance}),
    wrong("linear_trunc_default_bounds", {"Linear": _LinearTruncDefaultBounds}),
    wrong("linear_no_truncation", {"Linear": _LinearNoTruncation}),
    wrong("linear_has_bias", {"Linear": _LinearHasBias}),
    wrong("linear_ignores_dtype", {"Linear": _LinearIgnoresDtype}),
    # Embedding
    wrong("embedding_linear_init", {"Embedding": _EmbeddingLinearInit}),
    wrong("embedding_no_truncation", {"Embedding": _EmbeddingNoTruncation}),
    wrong("embedding_ignores_dtype", {"Embedding": _EmbeddingIgnoresDtype}),
    # RMSNorm
    wrong("rmsnorm_eps_outside_sqrt", {"RMSNorm": _RMSNormEpsOutsideSqrt}),
    wrong("rmsnorm_no_upcast", {"RMSNorm": _RMSNormNoUpcast}),
    wrong("rmsnorm_mean_abs", {"RMSNorm": _RMSNormMeanAbs}),
    wrong("rmsnorm_wrong_dim", {"RMSNorm": _RMSNormWrongDim}),
    wrong("rmsnorm_no_gain", {"RMSNorm": _RMSNormNoGain}),
    wrong("rmsnorm_returns_float32", {"RMSNorm": _RMSNormReturnsFloat32}),
    # SiLU
    wrong("silu_sigmoid_only", {"silu": _silu_sigmoid_only}),
    wrong("silu_relu", {"silu": _silu_relu}),
    # SwiGLU
    wrong("swiglu_gate_on_w3", {"SwiGLU": _SwiGLUGateOnW3}),
    wrong("swiglu_sigmoid_gate", {"SwiGLU": _SwiGLUSigmoidGate}),
    wrong("swiglu_d_ff_not_rounded", {"SwiGLU": _SwiGLUDffNotRounded}),
    wrong("swiglu_no_gate", {"SwiGLU": _SwiGLUNoGate}),
    # Softmax
    wrong("softmax_no_max_subtraction", {"softmax": _softmax_no_max_subtraction}),
    wrong("softmax_ignores_dim", {"softmax": _softmax_ignores_dim}),
    wrong("softmax_in_place", {"softmax": _softmax_in_place}),
    # Attention
    wrong("attention_no_scale", {"scaled_dot_product_attention": _attention_no_scale}),
    wrong("attention_scale_by_d_k", {"scaled_dot_product_attention": _attention_scale_by_d_k}),
    wrong("attention_mask_inverted", {"scaled_dot_product_attention": _attention_mask_inverted}),
    wrong("attention_mask_fill_zero", {"scaled_dot_product_attention": _attention_mask_fill_zero}),
    wrong("attention_mask_after_softmax", {"scaled_dot_product_attention": _attention_mask_after_softmax}),
    wrong("attention_ignores_mask", {"scaled_dot_product_attention": _attention_ignores_mask}),
    wrong("attention_softmax_over_queries", {"scaled_dot_product_attention": _attention_softmax_over_queries}),
    # Cross-entropy
    wrong("cross_entropy_no_max_subtraction", {"cross_entropy": _cross_entropy_no_max_subtraction}),
    wrong("cross_entropy_summed", {"cross_entropy": _cross_entropy_summed}),
    wrong("cross_entropy_mean_over_vocab", {"cross_entropy": _cross_entropy_mean_over_vocab}),
    wrong("cross_entropy_softmax_then_log", {"cross_entropy": _cross_entropy_softmax_then_log}),
    # Part 2
    # LayerNorm
    wrong("layernorm_unbiased_variance", {"LayerNorm": _LayerNormUnbiasedVariance}),
    wrong("layernorm_no_mean_subtraction", {"LayerNorm": _LayerNormNoMeanSubtraction}),
    wrong("layernorm_eps_outside_sqrt", {"LayerNorm": _LayerNormEpsOutsideSqrt}),
    wrong("layernorm_no_bias", {"LayerNorm": _LayerNormNoBias}),
    # GELU, BiasedLinear, GeluMLP
    wrong("gelu_tanh_approximation", {"gelu": _gelu_tanh_approximation}),
    wrong("biased_linear_no_bias", {"BiasedLinear": _BiasedLinearNoBias}),
    wrong("gelu_mlp_relu", {"GeluMLP": _GeluMLPRelu}),
    # RoPE
    wrong("rope_split_halves", {"RotaryPositionalEmbedding": _RoPESplitHalves}),
    wrong("rope_ignores_positions", {"RotaryPositionalEmbedding": _RoPEIgnoresPositions}),
    wrong("rope_wrong_frequencies", {"RotaryPositionalEmbedding": _RoPEWrongFrequencies}),
    wrong("rope_persistent_buffers", {"RotaryPositionalEmbedding": _RoPEPersistentBuffers}),
    # MultiHeadSelfAttention
    wrong("mhsa_scale_by_d_model", {"MultiHeadSelfAttention": _MHSAScaleByDModel}),
    wrong("mhsa_mask_wrong_triangle", {"MultiHeadSelfAttention": _MHSAMaskWrongTriangle}),
    wrong("mhsa_mask_after_softmax", {"MultiHeadSelfAttention": _MHSAMaskAfterSoftmax}),
    wrong("mhsa_heads_merged_wrong_order", {"MultiHeadSelfAttention": _MHSAHeadsMergedWrongOrder}),
    wrong("mhsa_heads_split_wrong_order", {"MultiHeadSelfAttention": _MHSAHeadsSplitWrongOrder}),
    wrong("mhsa_no_causal_mask", {"MultiHeadSelfAttention": _MHSANoCausalMask}),
    wrong("mhsa_rope_on_values", {"MultiHeadSelfAttention": _MHSARopeOnValues}),
    # TransformerBlock
    wrong("block_post_norm", {"TransformerBlock": _BlockPostNorm}),
    wrong("block_no_attention_residual", {"TransformerBlock": _BlockNoAttentionResidual}),
    wrong("block_no_ffn_residual", {"TransformerBlock": _BlockNoFfnResidual}),
    wrong("block_shared_norm", {"TransformerBlock": _BlockSharedNorm}),
    # TransformerLM and count_parameters
    wrong("lm_positions_after_blocks", {"TransformerLM": _LMPositionsAfterBlocks}),
    wrong("lm_no_final_norm", {"TransformerLM": _LMNoFinalNorm}),
    wrong("lm_loss_summed", {"TransformerLM": _LMLossSummed}),
    wrong("count_parameters_forgets_biases", {"count_parameters": _count_parameters_forgets_biases}),
    wrong("count_parameters_forgets_final_norm", {"count_parameters": _count_parameters_forgets_final_norm}),
    wrong("count_parameters_counts_rope_buffers", {"count_parameters": _count_parameters_counts_rope_buffers}),
    # Part 3
    # CharTokenizer
    wrong("tokenizer_first_appearance_order", {"CharTokenizer": _TokenizerFirstAppearance}),
    wrong("tokenizer_key_error", {"CharTokenizer": _TokenizerKeyError}),
    wrong("tokenizer_decode_tensor_keys", {"CharTokenizer": _TokenizerDecodeTensorKeys}),
    # get_batch
    wrong("get_batch_targets_not_shifted", {"get_batch": _get_batch_targets_not_shifted}),
    wrong("get_batch_last_start_missing", {"get_batch": _get_batch_last_start_missing}),
    wrong("get_batch_ignores_generator", {"get_batch": _get_batch_ignores_generator}),
    # AdamW
    wrong("adamw_l2_regularisation", {"AdamW": _AdamWL2}),
    wrong("adamw_no_bias_correction", {"AdamW": _AdamWNoBiasCorrection}),
    wrong("adamw_decay_without_lr", {"AdamW": _AdamWDecayWithoutLr}),
    wrong("adamw_decay_after_update", {"AdamW": _AdamWDecayAfterUpdate}),
    wrong("adamw_eps_inside_sqrt", {"AdamW": _AdamWEpsInsideSqrt}),
    wrong("adamw_rebinds_parameter", {"AdamW": _AdamWRebindsParameter}),
    wrong("adamw_step_per_group", {"AdamW": _AdamWStepPerGroup}),
    wrong("adamw_ignores_groups", {"AdamW": _AdamWIgnoresGroups}),
    wrong("adamw_missing_grad_as_zero", {"AdamW": _AdamWMissingGradAsZero}),
    # cosine_lr_schedule
    wrong("cosine_warmup_off_by_one", {"cosine_lr_schedule": _cosine_warmup_off_by_one}),
    wrong("cosine_progress_over_cosine_iters", {"cosine_lr_schedule": _cosine_progress_over_cosine_iters}),
    wrong("cosine_never_flat", {"cosine_lr_schedule": _cosine_never_flat}),
    wrong("cosine_warmup_divides_by_zero", {"cosine_lr_schedule": _cosine_warmup_divides_by_zero}),
    # clip_grad_norm
    wrong("clip_grad_norm_per_parameter", {"clip_grad_norm": _clip_grad_norm_per_parameter}),
    wrong("clip_grad_norm_scales_up", {"clip_grad_norm": _clip_grad_norm_scales_up}),
    wrong("clip_grad_norm_iterates_twice", {"clip_grad_norm": _clip_grad_norm_iterates_twice}),
    wrong("clip_grad_norm_returns_none", {"clip_grad_norm": _clip_grad_norm_returns_none}),
    wrong("clip_grad_norm_returns_clipped_norm", {"clip_grad_norm": _clip_grad_norm_returns_clipped_norm}),
    wrong("clip_grad_norm_missing_grad_crashes", {"clip_grad_norm": _clip_grad_norm_missing_grad_crashes}),
    # save_checkpoint / load_checkpoint
    wrong("checkpoint_model_only", {"save_checkpoint": _save_checkpoint_model_only, "load_checkpoint": _load_checkpoint_model_only}),
    wrong("checkpoint_optimizer_not_restored", {"save_checkpoint": _save_checkpoint, "load_checkpoint": _load_checkpoint_optimizer_not_restored}),
    wrong("checkpoint_load_returns_none", {"save_checkpoint": _save_checkpoint, "load_checkpoint": _load_checkpoint_returns_none}),
    # estimate_loss
    wrong("estimate_loss_leaves_eval_mode", {"estimate_loss": _estimate_loss_leaves_eval_mode}),
    wrong("estimate_loss_no_eval_mode", {"estimate_loss": _estimate_loss_no_eval_mode}),
    wrong("estimate_loss_no_no_grad", {"estimate_loss": _estimate_loss_no_no_grad}),
    wrong("estimate_loss_always_train_after", {"estimate_loss": _estimate_loss_always_train_after}),
    # generate
    wrong("generate_no_crop", {"generate": _GenerateNoCrop()}),
    wrong("generate_crops_first_tokens", {"generate": _GenerateCropsFirstTokens()}),
    wrong("generate_first_position", {"generate": _GenerateFirstPosition()}),
    wrong("generate_temperature_multiplies", {"generate": _GenerateTemperatureMultiplies()}),
    wrong("generate_top_k_smallest", {"generate": _GenerateTopKSmallest()}),
    wrong("generate_top_p_drops_crossing_token", {"generate": _GenerateTopPDropsCrossingToken()}),
    wrong("generate_temperature_zero_divides", {"generate": _GenerateTemperatureZeroDivides()}),
    wrong("generate_returns_only_new_tokens", {"generate": _GenerateReturnsOnlyNewTokens()}),
    # Training end to end
    wrong("lm_linear_init_std_one", {"TransformerLM": _LMLinearInitStdOne}),
    # estimate_loss and generate, caught by estimate_loss/modes_and_mean and generate/top_k_above_vocabulary
    wrong("estimate_loss_ignores_generator", {"estimate_loss": _estimate_loss_ignores_generator}),
    wrong("generate_top_k_too_large", {"generate": _GenerateTopKTooLarge()}),
]
