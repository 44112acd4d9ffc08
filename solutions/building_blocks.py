"""Part 1: the building blocks.

A GPT/Llama-style language model is built from a handful of small pieces.
In this part you write each piece from scratch, using nothing but plain
tensor operations: no torch.nn.Linear, no torch.nn.functional shortcuts.
Part 2 snaps them together into a full transformer.

Implement them in this order; each one only uses the ones above it:

    1. Linear                        a matrix multiply with a learnable weight
    2. Embedding                     a lookup table from token id to vector
    3. RMSNorm                       keeps activations at a sensible scale
    4. silu                          a smooth activation function
    5. SwiGLU                        the feed-forward block (uses Linear, silu)
    6. softmax                       turns scores into probabilities
    7. scaled_dot_product_attention  the heart of the transformer (uses softmax)
    8. cross_entropy                 the training loss

Shape names used below: B = batch size, T = sequence length (time),
C or d_model = the width of each token's vector. "..." means "any number
of leading dimensions", so the same code works for (T, C), (B, T, C), ...

Every function below raises NotImplementedError until you fill it in.
Test one piece at a time, for example:

    uv run pytest -k test_linear

and see your overall score with:

    uv run python grade.py
"""

import math

import torch
import torch.nn as nn
from einops import einsum
from jaxtyping import Bool, Float, Int
from torch import Tensor


class Linear(nn.Module):
    """A linear layer without bias: y = x W^T.

    Almost every learnable transformation in a transformer is one of these.
    Each output feature is a weighted sum of the input features, and the
    weights are what training learns.

    __init__: create one parameter named `weight` with shape
    (out_features, in_features), the same layout torch.nn.Linear uses, on
    the given device and dtype. Initialise it from a truncated normal
    distribution with mean 0 and standard deviation
    std = sqrt(2 / (in_features + out_features)), cut off at -3*std and +3*std.
    Keeping the initial weights at this scale stops activations from
    growing or shrinking as they pass through many layers.

    forward: x has shape (..., in_features); return (..., out_features).

    Pitfalls:
      - The formula gives the standard deviation, not the variance.
      - PyTorch's truncated-normal initialiser cuts at -2 and +2 (absolute
        values) unless told otherwise; you want +-3 standard deviations.
      - Because the weight is stored as (out, in), you need W transposed.
        With a square weight x W and x W^T have the same shape, so the
        mistake only shows up when in_features != out_features.
    """

    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__()
        # BEGIN SOLUTION
        std = math.sqrt(2 / (in_features + out_features))
        weight = torch.empty(out_features, in_features, device=device, dtype=dtype)
        nn.init.trunc_normal_(weight, mean=0.0, std=std, a=-3 * std, b=3 * std)
        self.weight = nn.Parameter(weight)  # (d_out, d_in)
        # END SOLUTION

    def forward(self, x: Float[Tensor, "... d_in"]) -> Float[Tensor, "... d_out"]:
        # BEGIN SOLUTION
        return einsum(x, self.weight, "... d_in, d_out d_in -> ... d_out")  # (..., d_out)
        # END SOLUTION


class Embedding(nn.Module):
    """A lookup table that turns token ids into vectors.

    The model cannot do arithmetic on an integer id, so each of the
    num_embeddings tokens in the vocabulary gets its own learnable row of
    length embedding_dim. Mathematically this is the same as writing the id
    as a one-hot vector and multiplying it by the table, but selecting the
    row directly skips a huge multiply by zeros.

    __init__: create one parameter named `weight` with shape
    (num_embeddings, embedding_dim) on the given device and dtype,
    initialised from a truncated normal with mean 0, standard deviation 1,
    cut off at -3 and +3.

    forward: token_ids is an integer tensor of any shape (...), for example
    (B, T); return the matching rows, shape (..., embedding_dim).

    Pitfalls:
      - The table is (vocabulary size, vector size), not the other way round.
      - The output keeps every dimension of the input and adds one at the end.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None):
        super().__init__()
        # BEGIN SOLUTION
        weight = torch.empty(num_embeddings, embedding_dim, device=device, dtype=dtype)
        nn.init.trunc_normal_(weight, mean=0.0, std=1.0, a=-3.0, b=3.0)
        self.weight = nn.Parameter(weight)  # (vocab, d_model)
        # END SOLUTION

    def forward(self, token_ids: Int[Tensor, "..."]) -> Float[Tensor, "... d_model"]:
        # BEGIN SOLUTION
        return self.weight[token_ids]  # (..., d_model)
        # END SOLUTION


class RMSNorm(nn.Module):
    """Root-mean-square normalisation (used by Llama instead of LayerNorm).

    Deep networks train badly when activations drift to very large or very
    small values. RMSNorm rescales each token's vector to a typical size of
    about 1, then lets the model choose its own scale per feature:

        rms(x) = sqrt(mean(x_i^2) + eps)     mean over the d_model features
        y_i    = x_i / rms(x) * g_i          g = learnable gain, shape (d_model,)

    __init__: store eps as `self.eps` and create one parameter named `weight`
    (the gain g) of shape (d_model,), initialised to ones, on the given
    device and dtype.

    forward: x has shape (..., d_model); return the same shape and the same
    dtype as the input. Do the arithmetic in at least float32: cast x up
    first and cast the result back at the end. In float16, squaring a value
    of a few hundred already overflows to infinity. (float64 input can stay
    float64.)

    Pitfalls:
      - eps goes inside the square root.
      - Normalise over the last dimension only, separately for each token.
      - It is the mean of the squares, not the mean (nothing is subtracted).
      - Don't forget to multiply by the learnable gain.
    """

    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None):
        super().__init__()
        # BEGIN SOLUTION
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))  # (d_model,)
        # END SOLUTION

    def forward(self, x: Float[Tensor, "... d_model"]) -> Float[Tensor, "... d_model"]:
        # BEGIN SOLUTION
        in_dtype = x.dtype
        # fp16 overflows when squaring large activations; float64 stays float64.
        x = x.to(torch.promote_types(in_dtype, torch.float32))
        rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)  # (..., 1)
        return (x / rms * self.weight).to(in_dtype)  # (..., d_model)
        # END SOLUTION


def silu(x: Float[Tensor, "..."]) -> Float[Tensor, "..."]:
    """The SiLU (also called swish) activation: silu(x) = x * sigmoid(x).

    Without a non-linearity between them, stacked linear layers collapse
    into a single linear layer. SiLU is a smooth cousin of ReLU: close to 0
    for very negative x, close to x for large positive x, with a small dip
    below zero in between. It is applied to every element independently,
    so the output has the same shape as the input.

    You may use torch.sigmoid for the sigmoid part,
    sigmoid(x) = 1 / (1 + exp(-x)).

    Pitfall: the result is x times the sigmoid, not the sigmoid alone.
    """
    # BEGIN SOLUTION
    return x * torch.sigmoid(x)
    # END SOLUTION


class SwiGLU(nn.Module):
    """The feed-forward block of Llama: out = W2 (silu(W1 x) * (W3 x)).

    After attention has mixed information between tokens, every token goes
    through the same small MLP on its own. SwiGLU is a "gated" MLP: x is
    projected up to d_ff features twice, by W1 and by W3. silu(W1 x) acts as
    a gate that decides, feature by feature, how much of W3 x to let
    through (the * is elementwise). W2 then projects back down to d_model.

    __init__: build three of your Linear layers and store them as
        self.w1: d_model -> d_ff     (gate branch)
        self.w3: d_model -> d_ff     (value branch)
        self.w2: d_ff -> d_model     (down projection)
    passing device and dtype on, and store the hidden size as `self.d_ff`.
    If d_ff is None, use 8/3 * d_model rounded UP to the next multiple of
    64 (d_model = 100 gives 320; d_model = 96 gives 256). Why 8/3? A classic
    MLP has two matrices with a hidden size of 4 * d_model; with three
    matrices, 8/3 * d_model keeps the parameter count the same. Multiples of
    64 run faster on GPUs.

    forward: x has shape (..., d_model); return the same shape.

    Pitfalls:
      - The activation goes on the W1 branch, not on W3.
      - W2 is the down projection and is applied last.
      - Round up, not to the nearest multiple, and make d_ff an int.
    """

    def __init__(self, d_model: int, d_ff: int | None = None, device=None, dtype=None):
        super().__init__()
        # BEGIN SOLUTION
        if d_ff is None:
            d_ff = 64 * math.ceil(8 * d_model / 3 / 64)
        self.d_ff = d_ff
        self.w1 = Linear(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = Linear(d_ff, d_model, device=device, dtype=dtype)
        self.w3 = Linear(d_model, d_ff, device=device, dtype=dtype)
        # END SOLUTION

    def forward(self, x: Float[Tensor, "... d_model"]) -> Float[Tensor, "... d_model"]:
        # BEGIN SOLUTION
        return self.w2(silu(self.w1(x)) * self.w3(x))  # (..., d_model)
        # END SOLUTION


def softmax(x: Float[Tensor, "..."], dim: int) -> Float[Tensor, "..."]:
    """Softmax along dimension `dim`: softmax(x)_i = exp(x_i) / sum_j exp(x_j).

    Turns any vector of real scores into positive numbers that sum to 1,
    so they can be used as probabilities or as mixing weights. Bigger
    scores get exponentially more weight. Write it yourself from exp, max
    and sum; that is the point of the exercise.

    Numerical stability: exp(1000) is inf in floating point, and inf / inf
    is NaN. Subtracting the same constant c from every x_i does not change
    the answer (the factor exp(-c) cancels between top and bottom), so
    subtract the maximum along `dim` first. Then the largest exponent is
    exp(0) = 1 and nothing overflows.

    The output has the same shape as x and sums to 1 along `dim`.

    Pitfalls:
      - The maximum and the sum are taken along `dim`, which need not be
        the last dimension; keep that dimension so they broadcast back.
      - Don't modify x in place; the caller may still need it.
    """
    # BEGIN SOLUTION
    # The shift cancels out of the result, so no gradient needs to flow through it: detach.
    x = x - x.amax(dim=dim, keepdim=True).detach()  # largest entry becomes 0
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)
    # END SOLUTION


def scaled_dot_product_attention(
    q: Float[Tensor, "... n_q d_k"],
    k: Float[Tensor, "... n_k d_k"],
    v: Float[Tensor, "... n_k d_v"],
    mask: Bool[Tensor, "... n_q n_k"] | None = None,
) -> Float[Tensor, "... n_q d_v"]:
    """Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V.

    Attention lets each token gather information from other tokens. Every
    token emits a query ("what am I looking for?"), a key ("what do I
    contain?") and a value ("what do I pass on if chosen?"). They come from
    different learned projections precisely so that what a token searches
    for can differ from how it advertises itself and from what it hands
    over. The dot product of a query with each key scores how well they
    match; the softmax of those scores gives weights, and the output is the
    weighted average of the values.

    Shapes: q (..., n_q, d_k), k (..., n_k, d_k), v (..., n_k, d_v);
    output (..., n_q, d_v). The leading "..." are batch dims, e.g. (B, heads).

    mask, if given, is a boolean tensor broadcastable to (..., n_q, n_k):
    True means "this query may attend to this key", False means it may not.
    For a masked pair, set the score to minus infinity before the softmax,
    so its weight comes out exactly 0. Use your own softmax.

    Pitfalls:
      - Divide by sqrt(d_k), the size of one query/key vector (per head).
        Without it, large dot products make the softmax nearly one-hot.
      - Mask before the softmax, with minus infinity, not with 0
        (exp(0) = 1 is a perfectly ordinary weight).
      - True means allowed; it is easy to flip this.
      - The softmax runs over the keys (the last dim of the scores).
      - A query with every key masked has no valid softmax (NaN). A causal
        mask always lets a token see itself, so it never produces one.
    """
    # BEGIN SOLUTION
    d_k = q.shape[-1]
    scores = einsum(q, k, "... q d, ... k d -> ... q k") / math.sqrt(d_k)  # (..., n_q, n_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = softmax(scores, dim=-1)  # (..., n_q, n_k)
    return einsum(weights, v, "... q k, ... k d -> ... q d")  # (..., n_q, d_v)
    # END SOLUTION


def cross_entropy(logits: Float[Tensor, "... vocab"], targets: Int[Tensor, "..."]) -> Float[Tensor, ""]:
    """The average cross-entropy loss: mean over positions of -log p(target).

    The model outputs logits, one unnormalised score per vocabulary entry,
    at every position. Turned into probabilities with a softmax, the loss
    at one position is minus the log of the probability given to the
    correct next token: 0 for a perfect, confident guess, large when the
    model was sure of the wrong answer. Training minimises this.

    logits has shape (..., vocab), for example (B, T, V); targets holds the
    correct class ids, shape (...), for example (B, T). Return a single
    number (a 0-dim tensor): the mean loss over all positions.

    Work it out without ever forming the probabilities:
        loss_i = log(sum_j exp(z_ij)) - z_i[target_i]
    and compute the log-sum-exp stably by pulling out the maximum m:
        log(sum_j exp(z_j)) = m + log(sum_j exp(z_j - m))

    Sanity check: a model that guesses uniformly over V classes has loss
    log(V), so a freshly initialised model should start near that.

    Pitfalls:
      - The mean, not the sum; over all leading positions (batch and time),
        never over the vocabulary.
      - Without the max trick, large logits overflow to inf.
      - Taking log(softmax(...)) underflows: tiny probabilities become 0
        and log(0) = -inf.
    """
    # BEGIN SOLUTION
    m = logits.amax(dim=-1, keepdim=True).detach()  # (..., 1); a shift, so no gradient needed
    log_sum_exp = m.squeeze(-1) + torch.log(torch.exp(logits - m).sum(dim=-1))  # (...)
    target_logits = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1)  # (...)
    return (log_sum_exp - target_logits).mean()
    # END SOLUTION
