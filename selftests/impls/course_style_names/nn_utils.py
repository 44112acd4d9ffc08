"""Functional pieces: activations, softmax, attention, the loss and gradient clipping."""

import math
from collections.abc import Iterable

import torch
from einops import einsum
from jaxtyping import Bool, Float, Int
from torch import Tensor


def silu(in_features: Float[Tensor, " ..."]) -> Float[Tensor, " ..."]:
    return in_features * torch.sigmoid(in_features)


def gelu(in_features: Float[Tensor, " ..."]) -> Float[Tensor, " ..."]:
    return 0.5 * in_features * (1.0 + torch.erf(in_features / math.sqrt(2.0)))


def softmax(in_features: Float[Tensor, " ..."], dim: int) -> Float[Tensor, " ..."]:
    # Subtracting the max along dim changes nothing mathematically and keeps exp() finite.
    shifted = in_features - torch.amax(in_features, dim=dim, keepdim=True)
    exps = torch.exp(shifted)
    return exps / torch.sum(exps, dim=dim, keepdim=True)


def scaled_dot_product_attention(
    Q: Float[Tensor, " ... queries d_k"],
    K: Float[Tensor, " ... keys d_k"],
    V: Float[Tensor, " ... keys d_v"],
    mask: Bool[Tensor, " ... queries keys"] | None = None,
) -> Float[Tensor, " ... queries d_v"]:
    d_k = Q.shape[-1]
    scores = einsum(Q, K, "... queries d_k, ... keys d_k -> ... queries keys") / math.sqrt(d_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    attn_weights = softmax(scores, dim=-1)
    return einsum(attn_weights, V, "... queries keys, ... keys d_v -> ... queries d_v")


def cross_entropy(
    inputs: Float[Tensor, " batch_size vocab_size"], targets: Int[Tensor, " batch_size"]
) -> Float[Tensor, ""]:
    # loss_i = logsumexp(z_i) - z_i[target_i], with the max pulled out of the logsumexp
    inputs = inputs.reshape(-1, inputs.shape[-1])
    targets = targets.reshape(-1)
    max_logits = torch.amax(inputs, dim=-1, keepdim=True)
    log_sum_exp = max_logits.squeeze(-1) + torch.log(torch.sum(torch.exp(inputs - max_logits), dim=-1))
    target_logits = torch.gather(inputs, -1, targets.unsqueeze(-1)).squeeze(-1)
    return torch.mean(log_sum_exp - target_logits)


def gradient_clipping(parameters: Iterable[torch.nn.Parameter], max_l2_norm: float, eps: float = 1e-6) -> Tensor:
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total_norm = torch.sqrt(sum(torch.sum(g.detach() ** 2) for g in grads))
    if total_norm > max_l2_norm:
        clip_coef = max_l2_norm / (total_norm + eps)
        for g in grads:
            g.mul_(clip_coef.to(g.dtype))
    return total_norm
