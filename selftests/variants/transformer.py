"""Part 2's known mistakes: the wrong implementation of every entry of grader/mistakes/transformer.py,
registered under the entry's id by @wrong at its definition.

As in transformer_valid.py, LayerNorm, gelu and RoPE are standalone, and the composite modules
subclass the reference (or the hook-based bases there) and override only `forward` or one hook.
"""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import Tensor, nn

import solutions as _reference

from .building_blocks_valid import _attention_scores
from .registry import wrong
from .transformer_valid import _LM, _MHSA, _causal_attention, _count_parameters, _LayerNorm, _RoPE, _upcast

# --------------------------------------------------------------------------------------------
# LayerNorm
# --------------------------------------------------------------------------------------------


@wrong("layernorm_unbiased_variance", replaces="LayerNorm")
class _LayerNormUnbiasedVariance(_LayerNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = _upcast(x)
        mean = x32.mean(dim=-1, keepdim=True)
        var = torch.var(x32, dim=-1, keepdim=True)  # unbiased: divides by d_model - 1
        return self._affine((x32 - mean) / torch.sqrt(var + self.eps)).to(x.dtype)


@wrong("layernorm_no_mean_subtraction", replaces="LayerNorm")
class _LayerNormNoMeanSubtraction(_LayerNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = _upcast(x)
        return self._affine(x32 / torch.sqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)  # RMSNorm


@wrong("layernorm_eps_outside_sqrt", replaces="LayerNorm")
class _LayerNormEpsOutsideSqrt(_LayerNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = _upcast(x)
        centred = x32 - x32.mean(dim=-1, keepdim=True)
        std = torch.sqrt(centred.pow(2).mean(-1, keepdim=True))
        return self._affine(centred / (std + self.eps)).to(x.dtype)


@wrong("layernorm_no_bias", replaces="LayerNorm")
class _LayerNormNoBias(_LayerNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = _upcast(x)
        centred = x32 - x32.mean(dim=-1, keepdim=True)
        y = centred / torch.sqrt(centred.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight
        return y.to(x.dtype)  # self.bias exists (the state dict loads) but is never added


# --------------------------------------------------------------------------------------------
# GELU, BiasedLinear, GeluMLP
# --------------------------------------------------------------------------------------------


@wrong("gelu_tanh_approximation", replaces="gelu")
def _gelu_tanh_approximation(x: Tensor) -> Tensor:
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


@wrong("biased_linear_no_bias", replaces="BiasedLinear")
class _BiasedLinearNoBias(_reference.BiasedLinear):
    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.T  # self.bias exists (the state dict loads) but is never added


@wrong("gelu_mlp_relu", replaces="GeluMLP")
class _GeluMLPRelu(_reference.GeluMLP):
    def forward(self, x: Tensor) -> Tensor:
        return self.w2(torch.relu(self.w1(x)))


# --------------------------------------------------------------------------------------------
# RotaryPositionalEmbedding
# --------------------------------------------------------------------------------------------


@wrong("rope_split_halves", replaces="RotaryPositionalEmbedding")
class _RoPESplitHalves(_RoPE):
    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        cos, sin = self.cos[token_positions].to(x.dtype), self.sin[token_positions].to(x.dtype)
        x0, x1 = x.chunk(2, dim=-1)  # pairs x[i] with x[i + d/2] (GPT-NeoX), not x[2i] with x[2i+1]
        return torch.cat((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1)


@wrong("rope_ignores_positions", replaces="RotaryPositionalEmbedding")
class _RoPEIgnoresPositions(_RoPE):
    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        return self._rotate_adjacent(x, torch.arange(x.shape[-2], device=x.device))


@wrong("rope_wrong_frequencies", replaces="RotaryPositionalEmbedding")
class _RoPEWrongFrequencies(_RoPE):
    frequency_exponent = 1.0  # theta^(-i/d_k) instead of theta^(-2i/d_k)

    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        return self._rotate_adjacent(x, token_positions)


@wrong("rope_persistent_buffers", replaces="RotaryPositionalEmbedding")
class _RoPEPersistentBuffers(_RoPE):
    persistent_tables = True  # cos and sin end up in the state dict

    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        return self._rotate_adjacent(x, token_positions)


# --------------------------------------------------------------------------------------------
# MultiHeadSelfAttention
# --------------------------------------------------------------------------------------------


@wrong("mhsa_scale_by_d_model", replaces="MultiHeadSelfAttention")
class _MHSAScaleByDModel(_MHSA):
    def _attend(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        d_head, d_model = q.shape[-1], q.shape[-1] * self.num_heads
        return _causal_attention(q * math.sqrt(d_head / d_model), k, v)  # scores / sqrt(d_model)


@wrong("mhsa_mask_wrong_triangle", replaces="MultiHeadSelfAttention")
class _MHSAMaskWrongTriangle(_MHSA):
    def _attend(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        T = q.shape[-2]
        mask = torch.ones(T, T, dtype=torch.bool, device=q.device).triu()  # sees the future, not the past
        return torch.softmax(_attention_scores(q, k).masked_fill(~mask, float("-inf")), dim=-1) @ v


@wrong("mhsa_mask_after_softmax", replaces="MultiHeadSelfAttention")
class _MHSAMaskAfterSoftmax(_MHSA):
    def _attend(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        T = q.shape[-2]
        mask = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
        weights = torch.softmax(_attention_scores(q, k), dim=-1).masked_fill(~mask, 0.0)  # rows no longer sum to 1
        return weights @ v


@wrong("mhsa_heads_merged_wrong_order", replaces="MultiHeadSelfAttention")
class _MHSAHeadsMergedWrongOrder(_MHSA):
    def _merge(self, o: Tensor) -> Tensor:
        return o.movedim(-3, -1).flatten(-2)  # "... h t d -> ... t (d h)"


@wrong("mhsa_heads_split_wrong_order", replaces="MultiHeadSelfAttention")
class _MHSAHeadsSplitWrongOrder(_MHSA):
    def _split(self, t: Tensor) -> Tensor:
        return t.unflatten(-1, (-1, self.num_heads)).movedim(-1, -3)  # "... t (d h) -> ... h t d"


@wrong("mhsa_heads_split_without_transpose", replaces="MultiHeadSelfAttention")
class _MHSAHeadsSplitWithoutTranspose(_MHSA):
    def _split(self, t: Tensor) -> Tensor:
        *batch, T, C = t.shape
        return t.reshape(*batch, self.num_heads, T, C // self.num_heads)  # (B, T, C) read as (B, h, T, d): no transpose


@wrong("mhsa_no_causal_mask", replaces="MultiHeadSelfAttention")
class _MHSANoCausalMask(_MHSA):
    def _attend(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        return torch.softmax(_attention_scores(q, k), dim=-1) @ v


@wrong("mhsa_rope_on_values", replaces="MultiHeadSelfAttention")
class _MHSARopeOnValues(_MHSA):
    def _rotate(self, q: Tensor, k: Tensor, v: Tensor, positions: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return self.rope(q, positions), self.rope(k, positions), self.rope(v, positions)


@wrong("mhsa_positions_without_head_dim", replaces="MultiHeadSelfAttention")
class _MHSAPositionsWithoutHeadDim(_MHSA):
    def _positions(self, x: Tensor, token_positions: Tensor | None) -> Tensor:
        if token_positions is None:
            token_positions = torch.arange(x.shape[-2], device=x.device)
        return token_positions  # (B, T) does not broadcast against q's (B, h, T, d_head)


# --------------------------------------------------------------------------------------------
# TransformerBlock
# --------------------------------------------------------------------------------------------


@wrong("block_post_norm", replaces="TransformerBlock")
class _BlockPostNorm(_reference.TransformerBlock):
    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        x = self.ln1(x + self.attn(x, token_positions))
        return self.ln2(x + self.ffn(x))


@wrong("block_no_attention_residual", replaces="TransformerBlock")
class _BlockNoAttentionResidual(_reference.TransformerBlock):
    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        x = self.attn(self.ln1(x), token_positions)
        return x + self.ffn(self.ln2(x))


@wrong("block_no_ffn_residual", replaces="TransformerBlock")
class _BlockNoFfnResidual(_reference.TransformerBlock):
    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.ln1(x), token_positions)
        return self.ffn(self.ln2(x))


@wrong("block_shared_norm", replaces="TransformerBlock")
class _BlockSharedNorm(_reference.TransformerBlock):
    def forward(self, x: Tensor, token_positions: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.ln1(x), token_positions)
        return x + self.ffn(self.ln1(x))  # ln2 exists (the state dict loads) but is unused


# --------------------------------------------------------------------------------------------
# TransformerLM and count_parameters
# --------------------------------------------------------------------------------------------


@wrong("lm_positions_after_blocks", replaces="TransformerLM")
class _LMPositionsAfterBlocks(_LM):
    positions_after_blocks = True


@wrong("lm_no_final_norm", replaces="TransformerLM")
class _LMNoFinalNorm(_LM):
    final_norm = False


@wrong("lm_loss_summed", replaces="TransformerLM")
class _LMLossSummed(_LM):
    def _loss(self, logits: Tensor, targets: Tensor) -> Tensor:
        return -logits.log_softmax(dim=-1).gather(-1, targets.long().unsqueeze(-1)).sum()


@wrong("lm_recomputes_d_ff", replaces="TransformerLM")
class _LMRecomputesDff(_LM):
    def __init__(self, config, device=None, dtype=None):
        own = dataclasses.replace(config, d_ff=4 * config.d_model)  # not the config.d_ff it is given
        super().__init__(own, device=device, dtype=dtype)


@wrong("lm_blocks_in_plain_list", replaces="TransformerLM")
class _LMBlocksInPlainList(_LM):
    def __init__(self, config, device=None, dtype=None):
        super().__init__(config, device=device, dtype=dtype)
        blocks = list(self.layers)
        del self.layers
        self.layers = blocks  # a plain list: nn.Module registers none of the blocks it holds


@wrong("lm_head_uninitialised", replaces="TransformerLM")
class _LMHeadUninitialised(_LM):
    def __init__(self, config, device=None, dtype=None):
        super().__init__(config, device=device, dtype=dtype)
        # nn.Parameter(torch.empty(V, C)), never initialised: zeros here, as torch.empty gives for a large fresh
        # allocation, so that the self-test is the same on every run.
        self.lm_head.weight = nn.Parameter(torch.zeros_like(self.lm_head.weight))


@wrong("count_parameters_forgets_biases", replaces="count_parameters")
def _count_parameters_forgets_biases(config) -> int:
    return _count_parameters(config, biases=False)


@wrong("count_parameters_forgets_final_norm", replaces="count_parameters")
def _count_parameters_forgets_final_norm(config) -> int:
    return _count_parameters(config, final_norm=False)


@wrong("count_parameters_counts_rope_buffers", replaces="count_parameters")
def _count_parameters_counts_rope_buffers(config) -> int:
    return _count_parameters(config, rope_buffers=True)


@wrong("count_parameters_swiglu_two_matrices", replaces="count_parameters")
def _count_parameters_swiglu_two_matrices(config) -> int:
    w3 = config.d_model * config.d_ff if config.ffn == "swiglu" else 0  # SwiGLU counted like the two-layer MLP
    return _count_parameters(config) - config.num_layers * w3
