"""Part 1: the building blocks, written out one step at a time."""

import math

import torch
import torch.nn as nn


def truncated_normal(shape, std, device=None, dtype=None):
    """Numbers from a normal distribution with mean 0 and this std, but none further than 3 std from 0.

    I draw normal numbers and simply draw again for the ones that landed too far out,
    until every number is inside [-3 std, +3 std].
    """
    values = torch.randn(shape, device=device, dtype=torch.float32) * std
    too_far = values.abs() > 3 * std
    while too_far.any():
        how_many = int(too_far.sum())
        new_values = torch.randn(how_many, device=device, dtype=torch.float32) * std
        values[too_far] = new_values
        too_far = values.abs() > 3 * std
    return values.to(dtype) if dtype is not None else values


class Linear(nn.Module):
    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__()
        # the standard deviation (not the variance!) from the docstring
        std = math.sqrt(2 / (in_features + out_features))
        # the weight is stored as (out, in), like torch.nn.Linear
        initial_weight = truncated_normal((out_features, in_features), std, device=device, dtype=dtype)
        self.weight = nn.Parameter(initial_weight)

    def forward(self, x):
        # x is (..., in) and the weight is (out, in), so I need the weight transposed: (in, out)
        weight_transposed = self.weight.transpose(0, 1)
        output = torch.matmul(x, weight_transposed)
        return output


class Embedding(nn.Module):
    def __init__(self, num_embeddings, embedding_dim, device=None, dtype=None):
        super().__init__()
        # one row per token in the vocabulary
        initial_table = truncated_normal((num_embeddings, embedding_dim), 1.0, device=device, dtype=dtype)
        self.weight = nn.Parameter(initial_table)

    def forward(self, token_ids):
        # picking rows: the result has the shape of token_ids plus one dimension at the end
        vectors = self.weight[token_ids]
        return vectors


class RMSNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, x):
        # remember the dtype so I can give it back at the end
        original_dtype = x.dtype
        # float16 overflows when squaring, so work in float32 (float64 stays as it is)
        if original_dtype == torch.float16 or original_dtype == torch.bfloat16:
            x = x.to(torch.float32)
        squares = x * x
        mean_of_squares = squares.mean(dim=-1, keepdim=True)
        rms = torch.sqrt(mean_of_squares + self.eps)  # eps inside the square root
        normalised = x / rms
        scaled = normalised * self.weight
        return scaled.to(original_dtype)


def sigmoid(x):
    return 1 / (1 + torch.exp(-x))


def silu(x):
    # x times sigmoid(x), not just the sigmoid
    result = x * sigmoid(x)
    return result


class SwiGLU(nn.Module):
    def __init__(self, d_model, d_ff=None, device=None, dtype=None):
        super().__init__()
        if d_ff is None:
            # 8/3 of d_model ...
            exact_size = 8 * d_model / 3
            # ... rounded UP to the next multiple of 64
            number_of_64s = math.ceil(exact_size / 64)
            d_ff = number_of_64s * 64
        self.d_ff = int(d_ff)
        self.w1 = Linear(d_model, self.d_ff, device=device, dtype=dtype)  # gate branch
        self.w3 = Linear(d_model, self.d_ff, device=device, dtype=dtype)  # value branch
        self.w2 = Linear(self.d_ff, d_model, device=device, dtype=dtype)  # down projection

    def forward(self, x):
        gate = silu(self.w1(x))  # the activation goes on the W1 branch
        value = self.w3(x)
        gated = gate * value  # elementwise
        output = self.w2(gated)  # W2 last
        return output


def softmax(x, dim):
    # step 1: the biggest value along dim (keepdim so that it broadcasts back)
    biggest = torch.max(x, dim=dim, keepdim=True).values
    # step 2: subtract it, so the largest exponent is exp(0) = 1 (this makes a new tensor, x is untouched)
    shifted = x - biggest
    # step 3: exponentiate
    exponentials = torch.exp(shifted)
    # step 4: divide by the total along dim
    total = torch.sum(exponentials, dim=dim, keepdim=True)
    probabilities = exponentials / total
    return probabilities


def scaled_dot_product_attention(q, k, v, mask=None):
    # d_k is the size of one query / key vector
    d_k = q.shape[-1]
    # step 1: every query against every key: (..., n_q, d_k) x (..., d_k, n_k) -> (..., n_q, n_k)
    keys_transposed = k.transpose(-2, -1)
    scores = torch.matmul(q, keys_transposed)
    # step 2: scale by sqrt(d_k)
    scores = scores / math.sqrt(d_k)
    # step 3: where the mask is False, the score becomes minus infinity, so its weight will be exactly 0
    if mask is not None:
        minus_infinity = torch.full_like(scores, float("-inf"))
        scores = torch.where(mask, scores, minus_infinity)
    # step 4: softmax over the keys (the last dimension)
    weights = softmax(scores, dim=-1)
    # step 5: the weighted average of the values
    output = torch.matmul(weights, v)
    return output


def cross_entropy(logits, targets):
    # put all positions in one long list: (N, vocab) and (N,)
    vocab_size = logits.shape[-1]
    flat_logits = logits.reshape(-1, vocab_size)
    flat_targets = targets.reshape(-1)
    # log-sum-exp with the maximum pulled out, so nothing overflows
    biggest = flat_logits.max(dim=-1, keepdim=True).values
    shifted = flat_logits - biggest
    sum_of_exps = torch.exp(shifted).sum(dim=-1)
    log_sum_exp = biggest.squeeze(-1) + torch.log(sum_of_exps)
    # the logit of the correct token at every position
    correct_logits = flat_logits.gather(1, flat_targets.unsqueeze(1)).squeeze(1)
    # loss at each position, then the mean (not the sum!)
    losses = log_sum_exp - correct_logits
    mean_loss = losses.mean()
    return mean_loss
