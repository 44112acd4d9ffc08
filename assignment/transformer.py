"""Part 2: assemble the transformer.

Part 1 gave you the pieces; here you snap them together into a complete
language model that reads a sequence of token ids and, at every position,
scores every possible next token. Keep using your own Part 1 code
(Linear, Embedding, RMSNorm, SwiGLU, softmax, scaled_dot_product_attention,
cross_entropy): no torch.nn.Linear, torch.nn.LayerNorm or
torch.nn.functional shortcuts.

Implement them in this order; each one only uses the ones above it
(and Part 1):

    1. LayerNorm                  GPT-2's normalisation (RMSNorm's older cousin)
    2. gelu                       GPT-2's activation function
       BiasedLinear               your Linear plus a learnable bias
       GeluMLP                    GPT-2's feed-forward block
    3. RotaryPositionalEmbedding  Llama's way of telling tokens where they are
    4. MultiHeadSelfAttention     several attentions side by side, causally masked
    5. TransformerBlock           attention + feed-forward, with norms and residuals
    6. TransformerLM              the whole model: token ids in, next-token logits out
    7. count_parameters           how big is the model? (by formula, on paper)

TransformerConfig is written for you: it collects every size and every
choice in one place and validates them.

GPT-2 and Llama are the same machine with a few parts swapped. Every one of
these choices is a field of TransformerConfig, so the same code builds both:

                      GPT-2 ("gpt")              Llama ("llama")
    normalisation     LayerNorm                  RMSNorm
    feed-forward      GeluMLP, d_ff = 4 C        SwiGLU, d_ff ~ 8/3 C
    positions         learned embedding table    rotary (RoPE), inside attention
    biases            yes                        none

Everything else (token embeddings, multi-head causal attention, pre-norm
residual blocks, a final norm, the output projection to logits) is shared.

Shape names used below: B = batch size, T = sequence length (time),
C = d_model, V = vocabulary size, h = number of heads, d_head = C / h.

Every function below raises NotImplementedError until you fill it in.
Test one piece at a time:

    uv run pytest -k test_layernorm
    uv run pytest -k test_gelu
    uv run pytest -k test_rope
    uv run pytest -k test_multihead_attention
    uv run pytest -k test_transformer_block
    uv run pytest -k test_transformer_lm

and see your overall score with:

    uv run python grade.py
"""

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
from einops import einsum, rearrange
from jaxtyping import Float, Int
from torch import Tensor

from .building_blocks import (
    Embedding,
    Linear,
    RMSNorm,
    SwiGLU,
    cross_entropy,
    scaled_dot_product_attention,
)


class LayerNorm(nn.Module):
    """Layer normalisation (used by GPT-2), written from scratch.

    Like RMSNorm, LayerNorm rescales each token's vector so that activations
    keep a sensible size however deep the network is. It does two things
    RMSNorm does not: it first subtracts the mean (centring the vector on 0)
    and, after the learnable gain, it adds a learnable bias:

        mean = mean(x_i)                          over the d_model features
        var  = mean((x_i - mean)^2)
        y_i  = (x_i - mean) / sqrt(var + eps) * g_i + b_i

    (RMSNorm skips the mean and the bias; Llama found that just as good and
    a little cheaper.)

    __init__: store eps as `self.eps`; create a parameter `weight` (the gain g)
    of shape (d_model,) initialised to ones and, if bias is True, a parameter
    `bias` (b) of shape (d_model,) initialised to zeros, both on the given
    device and dtype. If bias is False there must be no bias parameter at
    all (set `self.bias = None`).

    forward: x has shape (..., d_model); return the same shape and the same
    dtype as the input. As in RMSNorm, do the arithmetic in at least float32
    and cast the result back at the end.

    Pitfalls:
      - Use the biased variance: divide by d_model, not d_model - 1
        (torch.var divides by d_model - 1 unless told otherwise).
      - eps goes inside the square root, added to the variance.
      - Normalise over the last dimension only, separately for each token.
      - The variance is of x minus its mean, not of x itself.
    """

    def __init__(self, d_model: int, eps: float = 1e-5, bias: bool = True, device=None, dtype=None):
        super().__init__()
        raise NotImplementedError("LayerNorm.__init__ is not implemented yet")

    def forward(self, x: Float[Tensor, "... d_model"]) -> Float[Tensor, "... d_model"]:
        raise NotImplementedError("LayerNorm.forward is not implemented yet")


def gelu(x: Float[Tensor, "..."]) -> Float[Tensor, "..."]:
    """The GELU activation (used by GPT-2): gelu(x) = x * Phi(x).

    Phi is the cumulative distribution function of a standard normal, so
    GELU weights each input by the probability that a standard normal
    variable is below it: close to 0 for very negative x, close to x for
    large positive x, smooth in between (much like SiLU). In terms of the
    error function,

        gelu(x) = 0.5 * x * (1 + erf(x / sqrt(2)))

    You may use torch.erf. The output has the same shape as the input.

    Pitfall: GPT-2's original code used a tanh approximation,
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). That is a different
    function (off by up to about 5e-4); write the exact erf form.
    """
    raise NotImplementedError("gelu is not implemented yet")


class BiasedLinear(Linear):
    """Your Linear plus a learnable bias: y = x W^T + b.

    GPT-2 adds a bias after most of its linear layers; Llama has none. Rather
    than change Part 1's Linear, this subclass inherits everything from it
    (the `weight`, its initialisation, the forward pass) and adds one thing.

    __init__ (super().__init__ is already called for you): create a parameter
    named `bias` of shape (out_features,), initialised to zeros, on the given
    device and dtype. The state dict then holds `weight` and `bias`.

    forward: x has shape (..., in_features); return (..., out_features):
    what Linear's forward returns, plus the bias.

    Pitfalls:
      - The bias has one entry per output feature, not per input feature.
      - Reuse Linear's forward (super().forward) rather than copying it.
    """

    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        raise NotImplementedError("BiasedLinear.__init__ is not implemented yet")

    def forward(self, x: Float[Tensor, "... d_in"]) -> Float[Tensor, "... d_out"]:
        raise NotImplementedError("BiasedLinear.forward is not implemented yet")


class GeluMLP(nn.Module):
    """The feed-forward block of GPT-2: out = W2 gelu(W1 x).

    The classic transformer MLP: project each token up to d_ff features
    (GPT-2 uses d_ff = 4 * d_model), apply the non-linearity, project back
    down to d_model. Compare SwiGLU, which has a third matrix to gate with.

    __init__: store two linear layers, passing device and dtype on:
        self.w1: d_model -> d_ff     (up projection)
        self.w2: d_ff -> d_model     (down projection)
    Each is a BiasedLinear if bias is True, otherwise a plain Linear.

    forward: x has shape (..., d_model); return the same shape.

    Pitfall: the activation goes between the two layers, not after W2.
    """

    def __init__(self, d_model: int, d_ff: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        raise NotImplementedError("GeluMLP.__init__ is not implemented yet")

    def forward(self, x: Float[Tensor, "... d_model"]) -> Float[Tensor, "... d_model"]:
        raise NotImplementedError("GeluMLP.forward is not implemented yet")


class RotaryPositionalEmbedding(nn.Module):
    """Rotary positional embedding (RoPE, used by Llama).

    Attention on its own does not know where tokens are. RoPE tells it by
    rotating queries and keys: split a vector of size d_k into d_k / 2
    adjacent pairs (x[0], x[1]), (x[2], x[3]), ..., treat each pair as a
    point in a plane, and rotate pair i by the angle

        angle(pos, i) = pos * theta^(-2i / d_k)      i = 0 .. d_k/2 - 1

    where pos is the token's position. Early pairs spin fast as pos grows,
    late pairs slowly, like the hands of a clock. Rotating (x0, x1) by a is

        (x0 cos a - x1 sin a,  x0 sin a + x1 cos a)

    Why this encodes *relative* position: rotations preserve dot products
    and compose by adding angles. Rotating a query at position m by m*w and
    a key at position n by n*w leaves their dot product equal to that of
    the unrotated pair with the key turned by (n - m)*w. So q . k depends
    only on the distance m - n, not on where the two tokens sit in the text.

    __init__: precompute the angles for every position 0 .. max_seq_len - 1
    and every pair i, and register their cosines and sines as buffers named
    `cos` and `sin`, each of shape (max_seq_len, d_k // 2), on the given
    device, with persistent=False. A buffer moves with the module (.to(),
    .cuda()) like a parameter but is not trained; non-persistent means it is
    not saved in the state dict either: it is derived from theta and d_k,
    not learned, so there is nothing to save. Raise a ValueError if d_k is
    odd.

    forward: x has shape (..., T, d_k); token_positions (..., T) holds the
    integer position of each token and must broadcast against x's leading
    dims (e.g. pass (B, 1, T) or (1, T) for x of shape (B, h, T, d_k)).
    Return the rotated x, same shape. einops helps: rearrange
    "... (half two) -> ... half two" with two=2 gives the pairs, and the
    reverse pattern puts them back.

    Pitfalls:
      - Rotate ADJACENT pairs (x[2i], x[2i+1]). Pairing the first half of the
        vector with the second half is another convention (used by some
        other codebases); it gives different numbers.
      - Take the positions from token_positions (index the tables with it),
        not from 0 .. T-1: a sequence may start in the middle of a text.
      - d_k must be even, or the last element has no partner.
      - RoPE is applied to queries and keys only, never to values.
    """

    def __init__(self, theta: float, d_k: int, max_seq_len: int, device=None):
        super().__init__()
        raise NotImplementedError("RotaryPositionalEmbedding.__init__ is not implemented yet")

    def forward(
        self, x: Float[Tensor, "... T d_k"], token_positions: Int[Tensor, "... T"]
    ) -> Float[Tensor, "... T d_k"]:
        raise NotImplementedError("RotaryPositionalEmbedding.forward is not implemented yet")


class MultiHeadSelfAttention(nn.Module):
    """Causal multi-head self-attention: how tokens talk to each other.

    Self-attention: every token of the sequence x makes a query, a key and a
    value, all from the same x but through three different learned
    projections, W_q, W_k and W_v. They differ because the three roles
    differ: what a token is looking for (query), how it advertises itself
    to others (key), and what it hands over when chosen (value).

    Multi-head: instead of one attention over the full width C, run h
    smaller attentions in parallel, each on its own slice of d_head = C / h
    features. Each head has its own queries and keys, so it can look for a
    different relationship (the previous token, the subject of the verb, a
    matching bracket, ...). The heads' outputs are concatenated back to
    width C and mixed by one more projection, W_o. The cost is about the
    same as one wide attention.

    Causal: a language model is trained to predict the next token at every
    position at once. If position t could see positions t+1, t+2, ... it
    could just copy the answer. So token t may attend only to tokens
    0 .. t: the mask is True on and below the diagonal of a (T, T) matrix.

    __init__: store `self.num_heads` and `self.rope` (a shared
    RotaryPositionalEmbedding, or None for no rotation), and four
    projections, passing device and dtype on:
        self.q_proj, self.k_proj, self.v_proj: Linear, d_model -> d_model
                                               (never a bias)
        self.output_proj: d_model -> d_model, a BiasedLinear if bias is
                          True, otherwise a Linear.
    (Each of q/k/v_proj holds all h heads' projections stacked: head j owns
    rows j*d_head .. (j+1)*d_head - 1 of the weight.)

    forward, with x of shape (B, T, C) (any leading dims work the same):
        q, k, v = the three projections of x                 (B, T, C) each
        split the heads: "... t (h d) -> ... h t d"          (B, h, T, d_head)
        if rope is set, rotate q and k (not v) with
            token_positions, (..., T); 0 .. T-1 if None      (B, h, T, d_head)
        causal mask, True on and below the diagonal          (T, T)
        your scaled_dot_product_attention(q, k, v, mask)     (B, h, T, d_head)
        merge the heads: "... h t d -> ... t (h d)"          (B, T, C)
        output_proj                                          (B, T, C)
    Use einops.rearrange for the splits and the merge.

    Pitfalls:
      - Scale by sqrt(d_head), not sqrt(C). Your Part 1 function divides by
        the size of q's last dimension, so split the heads before calling it.
      - Split with "(h d)" and merge with "(h d)": heads outermost. Any other
        order mixes features of different heads.
      - The mask is True where attending is allowed: the lower triangle,
        diagonal included (every token sees itself).
      - RoPE rotates q and k only. token_positions has no head dim: add one
        so it broadcasts over the heads.
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        bias: bool = False,
        rope: RotaryPositionalEmbedding | None = None,
        device=None,
        dtype=None,
    ):
        super().__init__()
        raise NotImplementedError("MultiHeadSelfAttention.__init__ is not implemented yet")

    def forward(
        self, x: Float[Tensor, "... T d_model"], token_positions: Int[Tensor, "... T"] | None = None
    ) -> Float[Tensor, "... T d_model"]:
        raise NotImplementedError("MultiHeadSelfAttention.forward is not implemented yet")


PRESETS: dict[str, dict] = {
    "gpt": {"norm": "layernorm", "ffn": "gelu", "positions": "learned", "bias": True},
    "llama": {"norm": "rmsnorm", "ffn": "swiglu", "positions": "rope", "bias": False},
}
"""The architectural choices of the two model families, for TransformerConfig.preset."""


@dataclass
class TransformerConfig:
    """Every size and every architectural choice of a TransformerLM, in one place.

    Written for you. Sizes:
        vocab_size       V, the number of distinct tokens
        context_length   the longest sequence the model accepts
        d_model          C, the width of each token's vector
        num_layers       how many TransformerBlocks are stacked
        num_heads        h, attention heads per block (d_head = C / h)
        d_ff             the hidden width of the feed-forward block
    Choices (see the table at the top of this file):
        norm       "rmsnorm" or "layernorm"
        ffn        "swiglu" or "gelu"
        positions  "rope" (rotary, inside attention) or "learned" (a table)
        bias       biases in LayerNorm, the MLP, attention's output
                   projection and the output head
        rope_theta the base theta of the rotary angles
        eps        the eps of every norm

    TransformerConfig.preset("gpt", ...) or preset("llama", ...) fills in the
    choices of that family; you give the sizes. Invalid values raise a
    ValueError as soon as the config is made.
    """

    vocab_size: int
    context_length: int
    d_model: int
    num_layers: int
    num_heads: int
    d_ff: int
    norm: str = "rmsnorm"  # "rmsnorm" | "layernorm"
    ffn: str = "swiglu"  # "swiglu" | "gelu"
    positions: str = "rope"  # "rope" | "learned"
    bias: bool = False
    rope_theta: float = 10000.0
    eps: float = 1e-5

    def __post_init__(self) -> None:
        choices_of = {"norm": ("rmsnorm", "layernorm"), "ffn": ("swiglu", "gelu"), "positions": ("rope", "learned")}
        for field, choices in choices_of.items():
            if getattr(self, field) not in choices:
                value = getattr(self, field)
                raise ValueError(f"unknown {field} {value!r}; choose one of {', '.join(map(repr, choices))}")
        for field in ("vocab_size", "context_length", "d_model", "num_layers", "num_heads", "d_ff"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{field} must be a positive integer, not {value!r}")
        if self.d_model % self.num_heads != 0:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by num_heads ({self.num_heads})")
        if self.positions == "rope" and self.d_head % 2 != 0:
            raise ValueError(f"rotary positions need an even d_head = d_model / num_heads, not {self.d_head}")
        if self.rope_theta <= 0 or self.eps <= 0:
            raise ValueError(f"rope_theta and eps must be positive, not {self.rope_theta!r} and {self.eps!r}")

    @property
    def d_head(self) -> int:
        """The width of one attention head: d_model / num_heads."""
        return self.d_model // self.num_heads

    @classmethod
    def preset(cls, name: str, **sizes) -> "TransformerConfig":
        """A config with the choices of the "gpt" or "llama" family and the given sizes.

        Any field may be given, including a choice to override (bias=False).
        If d_ff is left out it follows the family: 4 * d_model for the GELU
        MLP (gpt), 8/3 * d_model rounded up to a multiple of 64 for SwiGLU
        (llama), as in SwiGLU itself.
        """
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(map(repr, PRESETS))}")
        settings = {**PRESETS[name], **sizes}
        if "d_ff" not in settings and "d_model" in settings:
            d_model = settings["d_model"]
            settings["d_ff"] = 4 * d_model if settings["ffn"] == "gelu" else 64 * math.ceil(8 * d_model / 3 / 64)
        return cls(**settings)


def make_norm(config: TransformerConfig, device=None, dtype=None) -> nn.Module:
    """The normalisation layer the config asks for, of width d_model.

    A small helper for TransformerBlock and TransformerLM, which both need
    norms: config.norm names the kind ("rmsnorm" for your RMSNorm, otherwise
    your LayerNorm, whose bias follows config.bias); every norm of the model
    uses config.eps, and the new module lives on the given device and dtype.
    """
    raise NotImplementedError("make_norm is not implemented yet")


class TransformerBlock(nn.Module):
    """One transformer block: attention, then a feed-forward MLP, each wrapped
    in a pre-norm residual connection.

        x = x + attn(ln1(x))      tokens exchange information (communication)
        x = x + ffn(ln2(x))       each token thinks on its own (computation)

    Attention is the only place where a token sees other tokens; the MLP
    then processes every position independently with the same weights.
    A model stacks many of these blocks.

    Why residuals (the "x +"): the vector x flowing from block to block is
    the residual stream. Each sub-layer reads it and adds a refinement
    instead of replacing it. At initialisation a deep stack is then close to
    the identity, and gradients have a clean path straight from the loss to
    the first layers through the additions, which makes deep networks
    trainable.

    Why pre-norm (norm inside the branch, before attn and ffn): each
    sub-layer gets a well-scaled input, while the residual stream itself is
    never normalised, so that clean gradient path stays untouched. The
    original transformer normalised after the addition (post-norm), which
    trains less stably and needs careful learning-rate warm-up. GPT-2 and
    Llama both use pre-norm.

    __init__: build, passing device and dtype on,
        self.ln1, self.ln2: norms chosen by config (use make_norm)
        self.attn: MultiHeadSelfAttention(d_model, num_heads,
                   bias=config.bias, rope=rope)
        self.ffn:  SwiGLU(d_model, d_ff) if config.ffn == "swiglu",
                   else GeluMLP(d_model, d_ff, bias=config.bias)
    The rope module is made once by the model and shared by every block.

    forward: x (B, T, C) and token_positions (passed on to attention);
    return (B, T, C).

    Pitfalls:
      - Add the sub-layer's output to x; don't replace x with it.
      - Normalise the input of each sub-layer, not the residual stream
        (not x = ln1(x + attn(x))).
      - Two different norms: ln1 before attention, ln2 before the MLP.
    """

    def __init__(
        self, config: TransformerConfig, rope: RotaryPositionalEmbedding | None = None, device=None, dtype=None
    ):
        super().__init__()
        raise NotImplementedError("TransformerBlock.__init__ is not implemented yet")

    def forward(
        self, x: Float[Tensor, "... T d_model"], token_positions: Int[Tensor, "... T"] | None = None
    ) -> Float[Tensor, "... T d_model"]:
        raise NotImplementedError("TransformerBlock.forward is not implemented yet")


class TransformerLM(nn.Module):
    """The whole language model: token ids in, next-token logits out.

        idx                                   (B, T)     integer token ids
        token embedding                       (B, T, C)
          (+ position embedding, if learned)  (B, T, C)
        num_layers x TransformerBlock         (B, T, C)
        final norm                            (B, T, C)
        lm_head                               (B, T, V)  the logits

    Why positions: attention compares every query with every key and
    averages the values, and none of that looks at where a key sits.
    Without a mask, shuffling the input would just shuffle the outputs;
    with the causal mask a token knows which tokens came before it, but
    not in what order ("dog bites man" = "man bites dog"). To attention
    alone the text is a set of tokens, not a sequence. GPT-2 fixes this by
    adding a learned vector per position to the token embeddings; Llama
    instead rotates the queries and keys inside every attention (RoPE) and
    adds nothing.

    Logits: at every position t, one unnormalised score per vocabulary entry
    for what token t+1 is; a softmax would turn them into probabilities.
    With targets (the input shifted left by one) the cross-entropy of those
    scores is the training loss.

    GPT and Llama differ only in the swappable pieces (norm, feed-forward,
    positions, biases), all read from config.

    __init__: store `self.config` and build, passing device and dtype on:
        self.token_embeddings:    Embedding(V, C)
        self.position_embeddings: Embedding(context_length, C) if
                                  config.positions == "learned", else None
        self.rope:                one RotaryPositionalEmbedding(rope_theta,
                                  d_head, context_length) if positions is
                                  "rope", else None; shared by all blocks
        self.layers:              nn.ModuleList of num_layers TransformerBlock
        self.ln_final:            a norm chosen by config (make_norm)
        self.lm_head:             C -> V, a BiasedLinear if config.bias,
                                  else a Linear
    No weight tying: lm_head has its own weight. These names make up the
    state dict, e.g. token_embeddings.weight, layers.0.ln1.weight,
    layers.0.attn.q_proj.weight, layers.0.attn.output_proj.weight,
    layers.0.ffn.w1.weight, ln_final.weight, lm_head.weight, and for gpt
    also position_embeddings.weight, layers.0.ln1.bias, lm_head.bias, ...

    forward: idx (B, T) with T <= context_length (raise a ValueError with a
    clear message otherwise); the positions are 0 .. T-1. Return the logits
    (B, T, V) if targets is None, else the pair (logits, loss) with loss your
    cross_entropy of the logits against targets (B, T).

    Pitfalls:
      - Make the positions on the same device as idx.
      - Learned position embeddings are added, once, before the first block;
        rope positions are passed to every block instead.
      - Don't forget the final norm before lm_head.
      - One table of rotary angles for all blocks: d_head wide, not d_model.
    """

    def __init__(self, config: TransformerConfig, device=None, dtype=None):
        super().__init__()
        raise NotImplementedError("TransformerLM.__init__ is not implemented yet")

    def forward(
        self, idx: Int[Tensor, "B T"], targets: Int[Tensor, "B T"] | None = None
    ) -> Float[Tensor, "B T V"] | tuple[Float[Tensor, "B T V"], Float[Tensor, ""]]:
        raise NotImplementedError("TransformerLM.forward is not implemented yet")


def count_parameters(config: TransformerConfig) -> int:
    """The number of learnable parameters of TransformerLM(config), by formula.

    Work it out on paper from the shapes, without building the model (so it
    works for models far too big to fit in memory). With C = d_model,
    V = vocab_size and F = d_ff, add up:
      - the token embedding table, and the position table if learned
        (rotary positions have no parameters);
      - per block: the four C x C attention projections (q, k, v, output)
        plus the output projection's bias if any; two norms (a gain each,
        and a bias each for LayerNorm with bias); the feed-forward
        (SwiGLU: three matrices; GELU MLP: two, plus their biases if any);
      - the final norm, and lm_head (a C x V weight, plus a bias if any).

    Check yourself: the small GPT trained in Andrej Karpathy's lecture
    "Let's build GPT: from scratch, in code, spelled out" is
        TransformerConfig.preset("gpt", vocab_size=65, context_length=8,
                                 d_model=64, num_layers=4, num_heads=4, d_ff=256)
    and has 0.208193 M parameters: this function should return exactly
    208193. Derive that number by hand once, term by term.

    Pitfalls:
      - Count every bias and gain, not only the big matrices.
      - No weight tying here: the embedding and lm_head are counted apart.
    """
    raise NotImplementedError("count_parameters is not implemented yet")
