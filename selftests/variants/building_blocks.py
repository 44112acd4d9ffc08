"""Part 1's known mistakes: the wrong implementation of every entry of grader/mistakes/building_blocks.py,
registered under the entry's id by @wrong at its definition.

Part 1's replacements are standalone (torch only, nothing from the repo), so they stay
meaningful whatever the reference looks like. Most derive from a correct base in
building_blocks_valid.py and differ from it in one place.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .building_blocks_valid import _attention_scores, _Embedding, _Linear, _RMSNorm, _trunc_normal_
from .registry import wrong

# --------------------------------------------------------------------------------------------
# Linear
# --------------------------------------------------------------------------------------------


@wrong("linear_weight_transposed", replaces="Linear")
class _LinearWeightTransposed(_Linear):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        nn.Module.__init__(self)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(in_features, out_features, device=device, dtype=dtype))
        self.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight


@wrong("linear_std_is_variance", replaces="Linear")
class _LinearStdIsVariance(_Linear):
    def reset_parameters(self) -> None:
        _trunc_normal_(self.weight.data, 2.0 / (self.in_features + self.out_features))


@wrong("linear_trunc_default_bounds", replaces="Linear")
class _LinearTruncDefaultBounds(_Linear):
    def reset_parameters(self) -> None:
        std = math.sqrt(2.0 / (self.in_features + self.out_features))
        nn.init.trunc_normal_(self.weight.data, mean=0.0, std=std)  # a=-2, b=2: absolute, not ±3σ


@wrong("linear_no_truncation", replaces="Linear")
class _LinearNoTruncation(_Linear):
    def reset_parameters(self) -> None:
        std = math.sqrt(2.0 / (self.in_features + self.out_features))
        nn.init.normal_(self.weight.data, mean=0.0, std=std)


@wrong("linear_init_clamped", replaces="Linear")
class _LinearInitClamped(_Linear):
    def reset_parameters(self) -> None:
        std = math.sqrt(2.0 / (self.in_features + self.out_features))
        nn.init.normal_(self.weight.data, mean=0.0, std=std).clamp_(-3 * std, 3 * std)  # the tails land on the bounds


@wrong("linear_has_bias", replaces="Linear")
class _LinearHasBias(_Linear):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.T + self.bias


@wrong("linear_ignores_dtype", replaces="Linear")
class _LinearIgnoresDtype(_Linear):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__(in_features, out_features)  # device and dtype dropped


# --------------------------------------------------------------------------------------------
# Embedding
# --------------------------------------------------------------------------------------------


@wrong("embedding_linear_init", replaces="Embedding")
class _EmbeddingLinearInit(_Embedding):
    def reset_parameters(self) -> None:
        _trunc_normal_(self.weight.data, math.sqrt(2.0 / (self.num_embeddings + self.embedding_dim)))


@wrong("embedding_no_truncation", replaces="Embedding")
class _EmbeddingNoTruncation(_Embedding):
    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.copy_(torch.randn_like(self.weight))


@wrong("embedding_init_clamped", replaces="Embedding")
class _EmbeddingInitClamped(_Embedding):
    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.copy_(torch.randn_like(self.weight).clamp(-3, 3))  # the tails land on ±3


@wrong("embedding_ignores_dtype", replaces="Embedding")
class _EmbeddingIgnoresDtype(_Embedding):
    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None):
        super().__init__(num_embeddings, embedding_dim)  # device and dtype dropped


# --------------------------------------------------------------------------------------------
# RMSNorm
# --------------------------------------------------------------------------------------------


@wrong("rmsnorm_eps_outside_sqrt", replaces="RMSNorm")
class _RMSNormEpsOutsideSqrt(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = x.to(torch.promote_types(x.dtype, torch.float32))
        rms = torch.sqrt(x32.pow(2).mean(-1, keepdim=True))
        return (x32 / (rms + self.eps) * self.weight).to(x.dtype)


@wrong("rmsnorm_no_upcast", replaces="RMSNorm")
class _RMSNormNoUpcast(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        rms = torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)  # x² overflows in fp16
        return x / rms * self.weight


@wrong("rmsnorm_no_upcast_cast_back", replaces="RMSNorm")
class _RMSNormNoUpcastCastBack(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        rms = torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)  # x² overflows in fp16
        return (x / rms * self.weight).to(x.dtype)  # the dtype comes back right, the zeros stay


@wrong("rmsnorm_mean_abs", replaces="RMSNorm")
class _RMSNormMeanAbs(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = x.to(torch.promote_types(x.dtype, torch.float32))
        scale = x32.abs().mean(-1, keepdim=True) + self.eps
        return (x32 / scale * self.weight).to(x.dtype)


@wrong("rmsnorm_wrong_dim", replaces="RMSNorm")
class _RMSNormWrongDim(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = x.to(torch.promote_types(x.dtype, torch.float32))
        rms = torch.sqrt(x32.pow(2).mean(0, keepdim=True) + self.eps)  # over dim 0, not -1
        return (x32 / rms * self.weight).to(x.dtype)


@wrong("rmsnorm_no_gain", replaces="RMSNorm")
class _RMSNormNoGain(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = x.to(torch.promote_types(x.dtype, torch.float32))
        rms = torch.sqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return (x32 / rms).to(x.dtype)


@wrong("rmsnorm_returns_float32", replaces="RMSNorm")
class _RMSNormReturnsFloat32(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = x.to(torch.promote_types(x.dtype, torch.float32))
        rms = torch.sqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return x32 / rms * self.weight  # never cast back to x.dtype


# --------------------------------------------------------------------------------------------
# SiLU
# --------------------------------------------------------------------------------------------


@wrong("silu_sigmoid_only", replaces="silu")
def _silu_sigmoid_only(x: Tensor) -> Tensor:
    return torch.sigmoid(x)


@wrong("silu_relu", replaces="silu")
def _silu_relu(x: Tensor) -> Tensor:
    return torch.relu(x)


# --------------------------------------------------------------------------------------------
# SwiGLU
# --------------------------------------------------------------------------------------------


def _default_d_ff(d_model: int) -> int:
    """8/3 d_model rounded up to a multiple of 64 (integer arithmetic)."""
    return 64 * ((8 * d_model + 191) // 192)


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


@wrong("swiglu_gate_on_w3", replaces="SwiGLU")
class _SwiGLUGateOnW3(_SwiGLU):
    def forward(self, x: Tensor) -> Tensor:
        return self.w2(self.w1(x) * F.silu(self.w3(x)))


@wrong("swiglu_sigmoid_gate", replaces="SwiGLU")
class _SwiGLUSigmoidGate(_SwiGLU):
    def forward(self, x: Tensor) -> Tensor:
        return self.w2(torch.sigmoid(self.w1(x)) * self.w3(x))


@wrong("swiglu_d_ff_not_rounded", replaces="SwiGLU")
class _SwiGLUDffNotRounded(_SwiGLU):
    @staticmethod
    def default_d_ff(d_model: int) -> int:
        return int(8 * d_model / 3)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


@wrong("swiglu_d_ff_rounded_to_nearest", replaces="SwiGLU")
class _SwiGLUDffRoundedToNearest(_SwiGLU):
    @staticmethod
    def default_d_ff(d_model: int) -> int:
        return 64 * round(8 * d_model / 3 / 64)  # 266.7 -> 256, not 320

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


@wrong("swiglu_no_gate", replaces="SwiGLU")
class _SwiGLUNoGate(_SwiGLU):
    def forward(self, x: Tensor) -> Tensor:
        return self.w2(F.silu(self.w1(x)))  # w3 exists (the state dict loads) but is unused


# --------------------------------------------------------------------------------------------
# Softmax
# --------------------------------------------------------------------------------------------


@wrong("softmax_no_max_subtraction", replaces="softmax")
def _softmax_no_max_subtraction(x: Tensor, dim: int) -> Tensor:
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)


@wrong("softmax_ignores_dim", replaces="softmax")
def _softmax_ignores_dim(x: Tensor, dim: int) -> Tensor:
    e = torch.exp(x - x.amax(dim=-1, keepdim=True))
    return e / e.sum(dim=-1, keepdim=True)


@wrong("softmax_in_place", replaces="softmax")
def _softmax_in_place(x: Tensor, dim: int) -> Tensor:
    x -= x.amax(dim=dim, keepdim=True)  # modifies the caller's tensor
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)


# --------------------------------------------------------------------------------------------
# Scaled dot-product attention
# --------------------------------------------------------------------------------------------


@wrong("attention_no_scale", replaces="scaled_dot_product_attention")
def _attention_no_scale(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


@wrong("attention_scale_by_d_k", replaces="scaled_dot_product_attention")
def _attention_scale_by_d_k(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = q @ k.transpose(-2, -1) / q.shape[-1]
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


@wrong("attention_mask_inverted", replaces="scaled_dot_product_attention")
def _attention_mask_inverted(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = _attention_scores(q, k)
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))  # blocks where attending is allowed
    return torch.softmax(scores, dim=-1) @ v


@wrong("attention_mask_fill_zero", replaces="scaled_dot_product_attention")
def _attention_mask_fill_zero(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = _attention_scores(q, k)
    if mask is not None:
        scores = scores.masked_fill(~mask, 0.0)
    return torch.softmax(scores, dim=-1) @ v


@wrong("attention_mask_after_softmax", replaces="scaled_dot_product_attention")
def _attention_mask_after_softmax(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    weights = torch.softmax(_attention_scores(q, k), dim=-1)
    if mask is not None:
        weights = weights.masked_fill(~mask, 0.0)  # rows no longer sum to 1
    return weights @ v


@wrong("attention_ignores_mask", replaces="scaled_dot_product_attention")
def _attention_ignores_mask(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    return torch.softmax(_attention_scores(q, k), dim=-1) @ v


@wrong("attention_softmax_over_queries", replaces="scaled_dot_product_attention")
def _attention_softmax_over_queries(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = _attention_scores(q, k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-2) @ v


@wrong("attention_causal_without_mask", replaces="scaled_dot_product_attention")
def _attention_causal_without_mask(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    if mask is None:  # "no mask" taken to mean the causal one
        mask = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool, device=q.device).tril()
    return torch.softmax(_attention_scores(q, k).masked_fill(~mask, float("-inf")), dim=-1) @ v


@wrong("attention_crashes_without_mask", replaces="scaled_dot_product_attention")
def _attention_crashes_without_mask(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    return torch.softmax(_attention_scores(q, k).masked_fill(~mask, float("-inf")), dim=-1) @ v  # ~None: TypeError


# --------------------------------------------------------------------------------------------
# Cross-entropy
# --------------------------------------------------------------------------------------------


@wrong("cross_entropy_no_max_subtraction", replaces="cross_entropy")
def _cross_entropy_no_max_subtraction(logits: Tensor, targets: Tensor) -> Tensor:
    log_z = torch.log(torch.exp(logits).sum(dim=-1))  # inf once a logit passes ~88 in float32
    target_logits = logits.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)
    return (log_z - target_logits).mean()


@wrong("cross_entropy_summed", replaces="cross_entropy")
def _cross_entropy_summed(logits: Tensor, targets: Tensor) -> Tensor:
    log_probs = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
    return -log_probs.gather(-1, targets.long().unsqueeze(-1)).sum()


@wrong("cross_entropy_mean_over_vocab", replaces="cross_entropy")
def _cross_entropy_mean_over_vocab(logits: Tensor, targets: Tensor) -> Tensor:
    log_probs = torch.log_softmax(logits, dim=-1)
    one_hot = F.one_hot(targets.long(), logits.shape[-1]).to(log_probs.dtype)
    return -(one_hot * log_probs).mean()  # averages over the vocabulary as well


@wrong("cross_entropy_softmax_then_log", replaces="cross_entropy")
def _cross_entropy_softmax_then_log(logits: Tensor, targets: Tensor) -> Tensor:
    e = torch.exp(logits)
    probs = e / e.sum(dim=-1, keepdim=True)
    return -torch.log(probs.gather(-1, targets.long().unsqueeze(-1))).mean()


@wrong("cross_entropy_log_of_stable_softmax", replaces="cross_entropy")
def _cross_entropy_log_of_stable_softmax(logits: Tensor, targets: Tensor) -> Tensor:
    e = torch.exp(logits - logits.amax(dim=-1, keepdim=True))  # no overflow, but a tiny probability underflows to 0
    probs = e / e.sum(dim=-1, keepdim=True)
    return -torch.log(probs.gather(-1, targets.long().unsqueeze(-1))).mean()


@wrong("cross_entropy_two_dims_only", replaces="cross_entropy")
def _cross_entropy_two_dims_only(logits: Tensor, targets: Tensor) -> Tensor:
    log_probs = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
    return -log_probs[torch.arange(logits.shape[0]), targets].mean()  # (N, V) only: (B, T, V) cannot be indexed so
