"""Known mistakes of Part 1: the building blocks (solutions/building_blocks.py, grader/cases/building_blocks.py).

Each entry's wrong implementation is registered under the same id in selftests/variants/building_blocks.py.
"""

from __future__ import annotations

import math

from grader.cases.building_blocks import (
    BATCH,
    D_IN,
    D_OUT,
    DEFAULT_D_FF,
    EMBEDDING_INIT,
    FAR_BELOW,
    LINEAR_INIT,
    N_K,
    N_Q,
)
from grader.cases.judges import CLAMPED_SHARE, TRUNC_3SIGMA_STD

from .mistake import Mistake

# What the prose restates from the cases, computed from them so that changing a case changes the text.
LIN_IN, LIN_OUT = LINEAR_INIT  # linear/init's Linear(in, out)
LINEAR_STD = math.sqrt(2 / (LIN_IN + LIN_OUT))  # the std it should have
VARIANCE_AS_STD = 2 / (LIN_IN + LIN_OUT)  # the std it has when the variance is used as the std
EMB_NUM, EMB_DIM = EMBEDDING_INIT  # embedding/init's Embedding(num, dim)
EMBEDDING_LINEAR_STD = math.sqrt(2 / (EMB_NUM + EMB_DIM))  # Linear's std, wrongly used for an embedding
B, T = BATCH  # batch and positions of the cross-entropy logits
SWIGLU_D, SWIGLU_D_FF = next(iter(DEFAULT_D_FF.items()))  # swiglu/default_d_ff's first SwiGLU(d_model), its d_ff
NEAREST_D_FF = 64 * round(8 * SWIGLU_D / 3 / 64)  # 8/3 * d_model rounded to the nearest multiple of 64
UNROUNDED_D_FF = int(8 * SWIGLU_D / 3)  # 8/3 * d_model rounded down, to no multiple
# A weight drawn from N(0, std²) and cut at ±3 std measures std * TRUNC_3SIGMA_STD, which is what init reports.

MISTAKES: list[Mistake] = [
    # -- Linear --
    Mistake(
        "linear_weight_transposed", "linear",
        "Stores the weight as (in_features, out_features) and applies it as x @ W instead of x @ Wᵀ.",
        f"`linear/parameters` reports the weight shape ({D_IN}, {D_OUT}) instead of ({D_OUT}, {D_IN}) and "
        f"`linear/init` fails on the shape ({LIN_IN}, {LIN_OUT}); `linear/forward` and `linear/backward` fail as soon "
        f"as the ({D_OUT}, {D_IN}) test weight is loaded.",
        f"Your weight is stored transposed: Linear({D_IN}, {D_OUT}).weight has shape ({D_IN}, {D_OUT}). Store it as "
        "(out_features, "
        "in_features), as torch.nn.Linear does, and compute x @ W.T (or einsum '...i,oi->...o').",
    ),
    Mistake(
        "linear_std_is_variance", "linear",
        "Initialises the weight with std 2 / (in + out), which is the variance, instead of sqrt(2 / (in + out)).",
        f"Only `linear/init` fails: Linear({LIN_IN}, {LIN_OUT}).weight has standard deviation about "
        f"{VARIANCE_AS_STD * TRUNC_3SIGMA_STD:.2g} instead of about {LINEAR_STD * TRUNC_3SIGMA_STD:.2g}.",
        f"Your initial weights are about {LINEAR_STD / VARIANCE_AS_STD:.0f} times too small (std "
        f"{VARIANCE_AS_STD * TRUNC_3SIGMA_STD:.2g} for Linear({LIN_IN}, {LIN_OUT})): 2 / (in + out) is the variance. "
        f"Use its square root, std = sqrt(2 / (in + out)) = {LINEAR_STD:.4f} here, truncated at ±3 std.",
    ),
    Mistake(
        "linear_trunc_default_bounds", "linear",
        "Calls trunc_normal_ with its default bounds a=-2, b=2, which are absolute values, not ±3 std.",
        f"Only `linear/init` fails: with std {LINEAR_STD:.2g} the bounds ±2 sit at about ±{2 / LINEAR_STD:.0f} std, "
        "so nothing is cut and the weight has values up to about 4.2 std (the limit is ±3 std = "
        f"±{3 * LINEAR_STD:.4f}).",
        "Your weights are not cut at ±3 std: trunc_normal_'s a and b are absolute bounds, and their defaults ±2 are "
        f"about {2 / LINEAR_STD:.0f} std here. Pass a=-3 * std and b=3 * std.",
    ),
    Mistake(
        "linear_no_truncation", "linear",
        "Initialises the weight with plain normal_ of the right std, without truncating at ±3 std.",
        f"Only `linear/init` fails: Linear({LIN_IN}, {LIN_OUT}).weight has values up to about 4.2 std, where they "
        f"should stop at ±3 std = ±{3 * LINEAR_STD:.4f}.",
        f"Your std is right but the tails are not cut: a plain normal sample of {LIN_IN * LIN_OUT:,} weights reaches "
        "past 4 std. Use nn.init.trunc_normal_ with a=-3 * std and b=3 * std.",
    ),
    Mistake(
        "linear_init_clamped", "linear",
        "Draws the weight from a plain normal of the right std and clamps it at ±3 std instead of truncating.",
        f"Only `linear/init` fails: about {CLAMPED_SHARE:.1%} of Linear({LIN_IN}, {LIN_OUT}).weight's "
        f"{LIN_IN * LIN_OUT:,} values sit exactly at ±3 std = ±{3 * LINEAR_STD:.4f}; its std and its largest value "
        "look right.",
        f"Your weights are clamped at ±3 std, not truncated: about {CLAMPED_SHARE:.1%} of them (a normal's mass "
        "beyond ±3 std) sit exactly on the bounds. Truncate, so that no value is drawn outside them: "
        "nn.init.trunc_normal_(w, std=std, a=-3 * std, b=3 * std).",
    ),
    Mistake(
        "linear_has_bias", "linear",
        "Gives Linear a zero-initialised bias parameter and adds it in forward.",
        f"`linear/parameters` fails because Linear({D_IN}, {D_OUT}) has the parameters `weight`, `bias` instead of "
        "only `weight`; `linear/forward` and `linear/backward` fail because the state dict holds an unexpected `bias`. "
        "`linear/init` passes.",
        "Your Linear has a bias, but this layer (like the Llama projections built on it) has only `weight`. Remove the "
        "bias parameter and return x @ W.T alone.",
    ),
    Mistake(
        "linear_ignores_dtype", "linear",
        "Ignores the device and dtype arguments, so the weight is always created as float32 on the default device.",
        "Only `linear/parameters` fails: Linear(3, 5, dtype=torch.float64).weight has dtype float32.",
        "Your Linear ignores the dtype it is given: Linear(3, 5, dtype=torch.float64) still makes a float32 weight. "
        "Pass device and dtype on to the torch call that creates the weight.",
    ),

    # -- Embedding --
    Mistake(
        "embedding_linear_init", "embedding",
        "Initialises the embedding with Linear's std sqrt(2 / (num_embeddings + embedding_dim)) instead of std 1.",
        f"Only `embedding/init` fails: Embedding({EMB_NUM}, {EMB_DIM}).weight has standard deviation about "
        f"{EMBEDDING_LINEAR_STD * TRUNC_3SIGMA_STD:.2g} instead of about {TRUNC_3SIGMA_STD:.3g}.",
        f"Your embedding weights are far too small (std {EMBEDDING_LINEAR_STD * TRUNC_3SIGMA_STD:.2g} for "
        f"Embedding({EMB_NUM}, {EMB_DIM})): Linear's formula does not apply here. Initialise embeddings from N(0, 1) "
        "truncated at ±3.",
    ),
    Mistake(
        "embedding_no_truncation", "embedding",
        "Initialises the embedding with plain randn (std 1) and no truncation at ±3.",
        f"Only `embedding/init` fails: Embedding({EMB_NUM}, {EMB_DIM}).weight has values up to about 4.4 std, where "
        "they should be cut at ±3.",
        f"Your std is right but the tails are not cut: randn over {EMB_NUM * EMB_DIM:,} values goes past ±4. Use "
        "nn.init.trunc_normal_ with std=1, a=-3 and b=3.",
    ),
    Mistake(
        "embedding_init_clamped", "embedding",
        "Draws the embedding from a plain normal (std 1) and clamps it at ±3 instead of truncating.",
        f"Only `embedding/init` fails: about {CLAMPED_SHARE:.1%} of Embedding({EMB_NUM}, {EMB_DIM}).weight's "
        f"{EMB_NUM * EMB_DIM:,} values sit exactly at ±3; its std and its largest value look right.",
        f"Your embedding is clamped at ±3, not truncated: about {CLAMPED_SHARE:.1%} of its values (a normal's mass "
        "beyond ±3) sit exactly on the bounds. Truncate, so that no value is drawn outside them: "
        "nn.init.trunc_normal_(w, std=1, a=-3, b=3).",
    ),
    Mistake(
        "embedding_ignores_dtype", "embedding",
        "Ignores the device and dtype arguments, so the weight is always created as float32 on the default device.",
        "Only `embedding/parameters` fails: Embedding(7, 3, dtype=torch.float64).weight has dtype float32.",
        "Your Embedding ignores the dtype it is given: Embedding(7, 3, dtype=torch.float64) still makes a float32 "
        "weight. Pass device and dtype on to the torch call that creates the weight.",
    ),

    # -- RMSNorm --
    Mistake(
        "rmsnorm_eps_outside_sqrt", "rmsnorm",
        "Divides by sqrt(mean(x²)) + eps instead of sqrt(mean(x²) + eps).",
        "Only `rmsnorm/forward` fails, whose rows range in RMS from 1e-3 to 1e2: about half the elements are off, by "
        "up to 60%, in the rows of smallest scale. Backward and the float16/bfloat16 cases, at ordinary scales, pass.",
        "Your eps sits outside the square root, which only matters for rows whose RMS is near sqrt(eps) ≈ 0.003; that "
        "is where your output is off. Add eps to the mean of squares, then take the square root.",
    ),
    Mistake(
        "rmsnorm_no_upcast", "rmsnorm",
        "Computes in the input's dtype without upcasting to float32, so x² overflows float16 for values above 256.",
        "`rmsnorm/float16` and `rmsnorm/bfloat16` fail with `output` of dtype float32 instead of float16 / bfloat16 "
        "(the float32 weight promotes the result), and in float16 every row holding a value above 256 comes back as "
        "zeros. The float32 cases pass.",
        "Your float16 output comes back as float32, with zeros in every row holding a value above 256: x² overflows "
        "float16 (max 65504), and the float32 gain promotes the result. Compute in float32 (x.float()) and cast the "
        "result back with .to(x.dtype).",
    ),
    Mistake(
        "rmsnorm_no_upcast_cast_back", "rmsnorm",
        "Computes in the input's dtype without upcasting to float32, and casts the result back with .to(x.dtype).",
        "Only `rmsnorm/float16` fails: the output has the right dtype, float16, but every row holding a value "
        "above 256 comes back as zeros (x² overflows float16). The float32 cases pass, and so does "
        "`rmsnorm/bfloat16`, as bfloat16 has float32's range.",
        "Your float16 output has zeros in every row holding a value above 256: computed in float16, x² overflows "
        "(max 65504), the RMS is inf and x / inf is 0. Casting back at the end is right; upcast at the start too: "
        "compute in float32 (x.float()), then return .to(x.dtype).",
    ),
    Mistake(
        "rmsnorm_mean_abs", "rmsnorm",
        "Divides by the mean absolute value mean(|x|) instead of the root mean square sqrt(mean(x²) + eps).",
        "`rmsnorm/forward`, `backward`, `float16` and `bfloat16` fail with every element off, about 1.3 times too "
        "large on rows of ordinary scale; `rmsnorm/parameters` passes.",
        "Your output looks about 1.25 to 1.3 times too large: you divide by the mean of |x|, which is about 0.8 of the "
        "RMS for normal data. Divide by sqrt(mean(x²) + eps) over the last dimension.",
    ),
    Mistake(
        "rmsnorm_wrong_dim", "rmsnorm",
        "Takes the mean of squares over dim 0 (the batch) instead of the last dim (the features).",
        "`rmsnorm/forward`, `backward`, `float16` and `bfloat16` fail with nearly every element off; "
        "`rmsnorm/parameters` passes.",
        "Your normalisation mixes different rows: the mean of squares runs over dim 0 instead of the features. Use "
        "mean(dim=-1, keepdim=True), so each position is scaled by its own RMS.",
    ),
    Mistake(
        "rmsnorm_no_gain", "rmsnorm",
        "Never multiplies the normalised output by the learnable weight (the gain).",
        "`rmsnorm/forward`, `float16` and `bfloat16` fail with nearly every element off, and `rmsnorm/backward` fails "
        "on `x.grad`; `rmsnorm/parameters` passes because the weight exists.",
        "Your output is x / RMS without the gain: the weight exists but forward never uses it. Multiply the normalised "
        "x by self.weight.",
    ),
    Mistake(
        "rmsnorm_returns_float32", "rmsnorm",
        "Upcasts to float32 but never casts the result back to the input's dtype.",
        "`rmsnorm/float16` and `rmsnorm/bfloat16` fail: `output` has dtype float32 instead of float16 / bfloat16. The "
        "float32 cases pass.",
        "Your values are right but the output stays float32 for a float16 or bfloat16 input. Keep computing in "
        "float32, and return the result with .to(x.dtype).",
    ),

    # -- SiLU --
    Mistake(
        "silu_sigmoid_only", "silu",
        "Returns sigmoid(x) without multiplying by x.",
        "`silu/forward` and `silu/backward` fail with every element off: the outputs stay between 0 and 1 (0.99999 "
        "where 11.5 is expected).",
        "Your silu returns sigmoid(x), whose values stay between 0 and 1. SiLU is x * sigmoid(x): multiply by x.",
    ),
    Mistake(
        "silu_relu", "silu",
        "Returns relu(x) instead of x * sigmoid(x).",
        "`silu/forward` and `silu/backward` fail with nearly every element off: negative inputs give exactly 0, and so "
        "does their gradient.",
        "Your silu looks like relu: negative inputs give exactly 0. SiLU is x * sigmoid(x), smooth everywhere and "
        "slightly negative for x < 0.",
    ),

    # -- SwiGLU --
    Mistake(
        "swiglu_gate_on_w3", "swiglu",
        "Applies silu to w3 x instead of w1 x, computing w2(w1 x * silu(w3 x)).",
        "`swiglu/forward` and `swiglu/backward` fail with every element off; `swiglu/parameters` and "
        "`swiglu/default_d_ff` pass, as the shapes are right.",
        "Your gate is on the wrong branch: silu goes on w1(x), and w3(x) is the linear branch it multiplies. Compute "
        "w2(silu(w1(x)) * w3(x)).",
    ),
    Mistake(
        "swiglu_sigmoid_gate", "swiglu",
        "Gates with sigmoid(w1 x) instead of silu(w1 x), which makes it GLU rather than SwiGLU.",
        "`swiglu/forward` and `swiglu/backward` fail with every element off; `swiglu/parameters` and "
        "`swiglu/default_d_ff` pass.",
        "Your gate uses sigmoid(w1(x)); SwiGLU gates with silu(w1(x)) = w1(x) * sigmoid(w1(x)). Compute w2(silu(w1(x)) "
        "* w3(x)).",
    ),
    Mistake(
        "swiglu_d_ff_not_rounded", "swiglu",
        "Defaults d_ff to int(8/3 * d_model) without rounding it up to a multiple of 64.",
        f"Only `swiglu/default_d_ff` fails: SwiGLU({SWIGLU_D}) gets w1.weight of shape ({UNROUNDED_D_FF}, {SWIGLU_D}) "
        f"instead of ({SWIGLU_D_FF}, {SWIGLU_D}). The cases that pass d_ff explicitly pass.",
        f"Your default d_ff is 8/3 * d_model rounded down ({UNROUNDED_D_FF} for d_model {SWIGLU_D}); it should be "
        f"rounded up to the next multiple of 64 ({SWIGLU_D_FF}). Compute it with integer arithmetic, e.g. "
        "64 * ceil(8 * d_model / 192).",
    ),
    Mistake(
        "swiglu_d_ff_rounded_to_nearest", "swiglu",
        "Defaults d_ff to 8/3 * d_model rounded to the nearest multiple of 64 instead of up to the next one.",
        f"Only `swiglu/default_d_ff` fails: SwiGLU({SWIGLU_D}) gets w1.weight of shape ({NEAREST_D_FF}, {SWIGLU_D}) "
        f"instead of ({SWIGLU_D_FF}, {SWIGLU_D}), as 8/3 * {SWIGLU_D} = {8 * SWIGLU_D / 3:.1f} is nearer "
        f"{NEAREST_D_FF}. The cases that pass d_ff explicitly pass.",
        f"Your default d_ff is 8/3 * d_model rounded to the nearest multiple of 64 ({NEAREST_D_FF} for d_model "
        f"{SWIGLU_D}); round it up to the next one ({SWIGLU_D_FF}). In integers: 64 * ((8 * d_model + 191) // 192).",
    ),
    Mistake(
        "swiglu_no_gate", "swiglu",
        "Computes w2(silu(w1 x)) and never uses w3, dropping the gate's linear branch.",
        "`swiglu/forward` and `swiglu/backward` fail with every element off; `swiglu/parameters` passes because w3 is "
        "still created.",
        "Your output ignores w3: w2(silu(w1(x))) is a plain MLP. SwiGLU multiplies the gate by a second projection: "
        "w2(silu(w1(x)) * w3(x)).",
    ),

    # -- softmax --
    Mistake(
        "softmax_no_max_subtraction", "softmax",
        "Computes exp(x) / sum(exp(x)) without subtracting the max first, so exp overflows at large inputs.",
        "Only `softmax/large_inputs` fails: with inputs around 1000 every output is NaN (exp overflows to inf, and inf "
        "/ inf is NaN).",
        "Your softmax gives NaN for inputs around 1000: exp overflows float32 above about 88. Subtract the max along "
        "`dim` (keepdim=True) before exponentiating; the result is mathematically the same.",
    ),
    Mistake(
        "softmax_ignores_dim", "softmax",
        "Always normalises over the last dimension, ignoring the `dim` argument.",
        "Only `softmax/middle_dim` (softmax over dim=1) fails; every case over dim=-1 passes.",
        "Your softmax ignores `dim`: called with dim=1 it still normalises over the last dimension. Take the max and "
        "the sum over the `dim` you are given.",
    ),
    Mistake(
        "softmax_in_place", "softmax",
        "Subtracts the max from the input in place (x -= max), changing the caller's tensor.",
        "`softmax/last_dim`, `middle_dim` and `large_inputs` fail with 'your code changed its input `x` in place'; "
        "`softmax/backward` errors with RuntimeError: a leaf Variable that requires grad is being used in an in-place "
        "operation.",
        "Your softmax modifies its input: x -= max writes into the caller's tensor, and autograd refuses it on a leaf "
        "that requires grad. Write x = x - max, which makes a new tensor.",
    ),

    # -- scaled_dot_product_attention --
    Mistake(
        "attention_no_scale", "attention",
        "Never scales the scores by 1/sqrt(d_k).",
        "All five attention cases fail on their values: with d_k = 16 the scores are 4 times too large, so the weights "
        "are too peaked (0.94 where 0.45 is expected).",
        "Your attention weights look too peaked: the scores are not divided by sqrt(d_k). Compute q kᵀ / sqrt(d_k) "
        "with d_k = q.shape[-1] (sqrt(16) = 4 in the check).",
    ),
    Mistake(
        "attention_scale_by_d_k", "attention",
        "Divides the scores by d_k instead of sqrt(d_k).",
        "All five attention cases fail on their values: with d_k = 16 the scores are 4 times too small, so the weights "
        "are too flat.",
        "Your attention weights look too flat: the scores are divided by d_k = 16 instead of sqrt(d_k) = 4. Scale by 1 "
        "/ math.sqrt(d_k).",
    ),
    Mistake(
        "attention_mask_inverted", "attention",
        "Treats True in the mask as blocked, so each query attends exactly where it should not.",
        "`attention/no_mask` passes; `mask`, `masked_weights_are_zero` and `backward` fail with every element off, and "
        "in `causal_no_leak` the last query, whose causal row is all True, comes out NaN.",
        "Your mask is inverted: True means 'may attend', and you block those positions (a query whose mask row is all "
        "True gets NaN). Set the scores to -inf where the mask is False, e.g. masked_fill(~mask, float('-inf')).",
    ),
    Mistake(
        "attention_mask_fill_zero", "attention",
        "Sets masked scores to 0 instead of -inf before the softmax, so masked keys still get weight.",
        "`attention/no_mask` passes; `mask`, `masked_weights_are_zero`, `causal_no_leak` and `backward` fail on their "
        "values, as masked keys keep a share of the weight.",
        "Your masked positions still get attention weight: a score of 0 is an ordinary score, and exp(0) = 1 still "
        "counts. Fill masked scores with float('-inf') so the softmax gives them exactly 0.",
    ),
    Mistake(
        "attention_mask_after_softmax", "attention",
        "Takes the softmax over all scores and then zeroes the masked weights, so the rows no longer sum to 1.",
        "`attention/no_mask` passes; `mask`, `masked_weights_are_zero`, `causal_no_leak` and `backward` fail: the "
        "masked weights are 0 but the others are too small (0.24 where 0.78 is expected).",
        "Your masked weights are 0 but the rest are too small: masking after the softmax leaves rows that sum to less "
        "than 1. Set masked scores to -inf before the softmax instead.",
    ),
    Mistake(
        "attention_ignores_mask", "attention",
        "Never applies the mask, so every query attends to every key.",
        "`attention/no_mask` passes; `mask`, `masked_weights_are_zero`, `causal_no_leak` and `backward` fail on their "
        "values, with masked keys getting weight.",
        "Your output is the same with and without a mask: the `mask` argument is never used. Where the mask is False, "
        "set the score to -inf before the softmax.",
    ),
    Mistake(
        "attention_softmax_over_queries", "attention",
        "Takes the softmax over the query dimension (-2) instead of the key dimension (-1).",
        "All five attention cases fail on their values; in `masked_weights_are_zero` weights of 1 appear where 0.01 is "
        "expected, as each key's column, not each query's row, sums to 1.",
        "Your attention weights are normalised over the queries: each column sums to 1 instead of each row. Take the "
        "softmax over the last dimension (dim=-1), the keys.",
    ),
    Mistake(
        "attention_causal_without_mask", "attention",
        "Applies a causal mask when `mask` is None, instead of letting every query attend to every key.",
        f"Only `attention/no_mask` fails, on every element: called without a mask, each of the {N_Q} queries should "
        f"attend to all {N_K} keys, and they attend only to the first ones. The cases with a mask pass.",
        "Your output without a mask is off while every case with a mask passes: with mask=None you still apply a "
        "causal mask. None means no mask at all, every query attending to every key: apply the mask only if it is "
        "not None.",
    ),
    Mistake(
        "attention_crashes_without_mask", "attention",
        "Always applies the mask, so a call without one (mask=None) crashes on ~None.",
        "Only `attention/no_mask` fails, with TypeError: bad operand type for unary ~: 'NoneType'. The cases with a "
        "mask pass.",
        "Your attention crashes when it is called without a mask: mask defaults to None, and ~None raises a "
        "TypeError. The mask is optional: apply it only if mask is not None.",
    ),

    # -- cross_entropy --
    Mistake(
        "cross_entropy_no_max_subtraction", "cross_entropy",
        "Computes log(sum(exp(logits))) without subtracting the max, so exp overflows at large logits.",
        "Only `cross_entropy/large_logits` fails: with logits around 1000 the loss is inf instead of about 47.8.",
        "Your loss is inf for logits around 1000: exp overflows float32 above about 88. Use the log-sum-exp trick: "
        "subtract the max logit before exponentiating and add it back after the log.",
    ),
    Mistake(
        "cross_entropy_summed", "cross_entropy",
        "Sums the per-position losses instead of averaging them.",
        "All five cases fail with the loss N times too large for N positions: 55.0 instead of 3.67 for the "
        f"({B}, {T}, 11) logits, 6 times too large in `two_dims`.",
        "Your loss is the expected value times the number of positions (B x T, or N for 2-D logits): you sum the "
        "per-position losses. Return their mean over every batch and position dimension.",
    ),
    Mistake(
        "cross_entropy_mean_over_vocab", "cross_entropy",
        "Computes -(one_hot * log_softmax).mean(), which also divides by the vocabulary size.",
        "All five cases fail with the loss 11 times too small for a vocabulary of 11 (0.333 instead of 3.67).",
        "Your loss is the expected value divided by the vocabulary size (11 here): .mean() over the one-hot product "
        "averages over the vocabulary too. Pick each target's log-probability (e.g. with gather), then average over "
        "positions only.",
    ),
    Mistake(
        "cross_entropy_softmax_then_log", "cross_entropy",
        "Takes the log of a naive exp(x) / sum(exp(x)) softmax, which is NaN at large logits.",
        "`cross_entropy/large_logits` fails with the loss NaN instead of about 47.8 for logits around 1000, and "
        "`unlikely_targets` with the loss inf, as a target's probability underflows float32 to 0.",
        "Your loss is NaN for logits around 1000 and inf when a target's probability is tiny: the naive softmax "
        "computes inf / inf at large logits, and a probability below float32's range is 0, whose log is -inf. Work "
        "in log space: log-probabilities = logits - logsumexp(logits), with the max subtracted inside the logsumexp.",
    ),
    Mistake(
        "cross_entropy_log_of_stable_softmax", "cross_entropy",
        "Takes the log of a softmax computed with the max subtracted, instead of logits - logsumexp(logits).",
        f"Only `cross_entropy/unlikely_targets` fails: with each target's logit {FAR_BELOW:.0f} below its own "
        "value, the loss is inf instead of a finite value above 200. `large_logits` passes, as the max is subtracted.",
        f"Your loss is inf when a target's logit is far below the others ({FAR_BELOW:.0f} lower in the check): its "
        f"probability, about e^-{FAR_BELOW:.0f}, underflows float32 to 0, and log(0) = -inf. Never take the log of "
        "a softmax (subtracting the max does not help here): use log-probabilities = logits - logsumexp(logits).",
    ),
    Mistake(
        "cross_entropy_two_dims_only", "cross_entropy",
        "Picks each target's log-probability with logits[arange(N), targets], which only works for 2-D (N, V) logits.",
        f"`cross_entropy/forward`, `large_logits`, `unlikely_targets` and `backward`, whose logits are "
        f"({B}, {T}, 11), error with IndexError: shape mismatch: indexing tensors could not be broadcast together; "
        "only `two_dims` passes.",
        f"Your cross_entropy handles only 2-D (N, V) logits, but logits may have any leading dims, ({B}, {T}, V) in "
        "the check. Flatten them first, logits.reshape(-1, V) and targets.reshape(-1), or pick each target's value "
        "along the last dim with gather.",
    ),
]
