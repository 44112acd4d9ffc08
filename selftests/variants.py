"""Alternative implementations of single public names, for the grader's self-tests.

An implementation under test is the reference package with one `Variant.replaces` applied on
top. Every VALID variant is a different but correct way to write that name and must score full
marks; every MISTAKE carries one error seen in real learner code and must lose points in its
`part`, and only there.

The replacements are standalone (torch only, nothing from the repo), so they stay meaningful
whatever the reference looks like.
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
]
