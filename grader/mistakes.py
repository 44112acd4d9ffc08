"""The catalogue of known learner mistakes: what each is, how it shows, and the hint the learner reads.

Every entry has a deliberately wrong implementation in selftests/variants.py under the same id.
tools/make_fixtures.py runs it through the cases of its part and stores what it outputs where
it differs from the reference (its signature); when a learner's failing output matches one,
the failure message leads with that mistake's hint. docs/mistakes.md is generated from here
(`uv run python -m tools.make_docs`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    id: str  # the id of its wrong implementation in selftests/variants.py
    part: str  # the part whose points it costs
    name: str  # one sentence: what the code does wrong
    shows: str  # how it shows: which checks fail, and what the numbers look like
    hint: str  # what the learner reads first: what is wrong and how to fix it, in the second person


CATALOGUE: list[Mistake] = [
    # -- Linear --
    Mistake(
        "linear_weight_transposed", "linear",
        "Stores the weight as (in_features, out_features) and applies it as x @ W instead of x @ Wᵀ.",
        "`linear/parameters` reports the weight shape (24, 40) instead of (40, 24) and `linear/init` fails on the "
        "shape (256, 192); `linear/forward` and `linear/backward` fail as soon as the (40, 24) test weight is loaded.",
        "Your weight is stored transposed: Linear(24, 40).weight has shape (24, 40). Store it as (out_features, "
        "in_features), as torch.nn.Linear does, and compute x @ W.T (or einsum '...i,oi->...o').",
    ),
    Mistake(
        "linear_std_is_variance", "linear",
        "Initialises the weight with std 2 / (in + out), which is the variance, instead of sqrt(2 / (in + out)).",
        "Only `linear/init` fails: Linear(256, 192).weight has standard deviation about 0.0044 instead of about 0.066.",
        "Your initial weights are about 15 times too small (std 0.0044 for Linear(256, 192)): 2 / (in + out) is the "
        "variance. Use its square root, std = sqrt(2 / (in + out)) = 0.0668 here, truncated at ±3 std.",
    ),
    Mistake(
        "linear_trunc_default_bounds", "linear",
        "Calls trunc_normal_ with its default bounds a=-2, b=2, which are absolute values, not ±3 std.",
        "Only `linear/init` fails: with std 0.067 the bounds ±2 sit at about ±30 std, so nothing is cut and the weight "
        "has values up to about 4.2 std (the limit is ±3 std = ±0.2004).",
        "Your weights are not cut at ±3 std: trunc_normal_'s a and b are absolute bounds, and their defaults ±2 are "
        "about 30 std here. Pass a=-3 * std and b=3 * std.",
    ),
    Mistake(
        "linear_no_truncation", "linear",
        "Initialises the weight with plain normal_ of the right std, without truncating at ±3 std.",
        "Only `linear/init` fails: Linear(256, 192).weight has values up to about 4.2 std, where they should stop at "
        "±3 std = ±0.2004.",
        "Your std is right but the tails are not cut: a plain normal sample of 49,152 weights reaches past 4 std. Use "
        "nn.init.trunc_normal_ with a=-3 * std and b=3 * std.",
    ),
    Mistake(
        "linear_has_bias", "linear",
        "Gives Linear a zero-initialised bias parameter and adds it in forward.",
        "`linear/parameters` fails because Linear(24, 40) has the parameters `weight`, `bias` instead of only "
        "`weight`; `linear/forward` and `linear/backward` fail because the state dict holds an unexpected `bias`. "
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
        "Only `embedding/init` fails: Embedding(512, 96).weight has standard deviation about 0.057 instead of about "
        "0.987.",
        "Your embedding weights are far too small (std 0.057 for Embedding(512, 96)): Linear's formula does not apply "
        "here. Initialise embeddings from N(0, 1) truncated at ±3.",
    ),
    Mistake(
        "embedding_no_truncation", "embedding",
        "Initialises the embedding with plain randn (std 1) and no truncation at ±3.",
        "Only `embedding/init` fails: Embedding(512, 96).weight has values up to about 4.4 std, where they should be "
        "cut at ±3.",
        "Your std is right but the tails are not cut: randn over 49,152 values goes past ±4. Use nn.init.trunc_normal_ "
        "with std=1, a=-3 and b=3.",
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
        "Only `swiglu/default_d_ff` fails: SwiGLU(100) gets w1.weight of shape (266, 100) instead of (320, 100). The "
        "cases that pass d_ff explicitly pass.",
        "Your default d_ff is 8/3 * d_model rounded down (266 for d_model 100); it should be rounded up to the next "
        "multiple of 64 (320). Compute it with integer arithmetic, e.g. 64 * ceil(8 * d_model / 192).",
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
        "All four cases fail with the loss N times too large for N positions: 55.0 instead of 3.67 for the (3, 5, 11) "
        "logits, 6 times too large in `two_dims`.",
        "Your loss is 15 times the expected value for 3 x 5 positions: you sum the per-position losses. Return their "
        "mean over every batch and position dimension.",
    ),
    Mistake(
        "cross_entropy_mean_over_vocab", "cross_entropy",
        "Computes -(one_hot * log_softmax).mean(), which also divides by the vocabulary size.",
        "All four cases fail with the loss 11 times too small for a vocabulary of 11 (0.333 instead of 3.67).",
        "Your loss is the expected value divided by the vocabulary size (11 here): .mean() over the one-hot product "
        "averages over the vocabulary too. Pick each target's log-probability (e.g. with gather), then average over "
        "positions only.",
    ),
    Mistake(
        "cross_entropy_softmax_then_log", "cross_entropy",
        "Takes the log of a naive exp(x) / sum(exp(x)) softmax, which is NaN at large logits.",
        "Only `cross_entropy/large_logits` fails: with logits around 1000 the loss is NaN instead of about 47.8.",
        "Your loss is NaN for logits around 1000: the naive softmax computes inf / inf before the log. Work in log "
        "space: log-probabilities = logits - logsumexp(logits), with the max subtracted inside the logsumexp.",
    ),

    # -- LayerNorm --
    Mistake(
        "layernorm_unbiased_variance", "layernorm",
        "Uses torch.var with its default unbiased=True, dividing by d_model - 1 instead of d_model.",
        "`layernorm/forward`, `backward` and `float16` fail with nearly every element off: before the weight and bias "
        "are applied, the normalised values are about 1.3% too small. `layernorm/parameters` passes.",
        "Your normalised values are about 1.3% too small, sqrt(39/40) for d_model 40: torch.var divides by N - 1 by "
        "default. Use the population variance, torch.var(..., unbiased=False) or the mean of (x - mean)².",
    ),
    Mistake(
        "layernorm_no_mean_subtraction", "layernorm",
        "Never subtracts the mean: divides x by sqrt(mean(x²) + eps) as RMSNorm does, then applies weight and bias.",
        "`layernorm/forward`, `backward` and `float16` fail with every element off (their rows carry an offset); "
        "`layernorm/parameters` passes.",
        "Your LayerNorm behaves like RMSNorm: rows with a non-zero mean come out shifted. Subtract each row's mean "
        "first, then divide by sqrt(var + eps), with var the mean of (x - mean)².",
    ),
    Mistake(
        "layernorm_eps_outside_sqrt", "layernorm",
        "Divides by sqrt(var) + eps instead of sqrt(var + eps).",
        "Only `layernorm/forward` fails, on its rows of smallest scale: about 17% of the elements are off, by up to "
        "6e-4. The other cases pass.",
        "Your eps sits outside the square root, which only shows on rows with a small variance. Add eps to the "
        "variance, then take the square root: (x - mean) / sqrt(var + eps).",
    ),
    Mistake(
        "layernorm_no_bias", "layernorm",
        "Creates the bias parameter but never adds it to the output.",
        "`layernorm/forward` and `float16` fail with every element off, and `layernorm/backward` reports `bias.grad` "
        "as None; `layernorm/parameters` passes because the bias exists.",
        "Your LayerNorm never adds its bias, so bias.grad stays None. After scaling by the weight, add self.bias (when "
        "it is not None).",
    ),

    # -- gelu, BiasedLinear, GeluMLP --
    Mistake(
        "gelu_tanh_approximation", "gelu",
        "Uses GPT-2's tanh approximation of GELU instead of the exact erf form.",
        "`gelu/forward` and `gelu/backward` fail by small amounts, up to about 5e-4 in the output and 2e-3 in the "
        "gradient, well above the float32 tolerance; the BiasedLinear and GeluMLP cases pass.",
        "Your gelu is close but off by up to about 5e-4: that is the tanh approximation. Use the exact form, x * (1 + "
        "erf(x / sqrt(2))) / 2, with torch.erf.",
    ),
    Mistake(
        "biased_linear_no_bias", "gelu",
        "BiasedLinear creates its bias parameter but never adds it.",
        "Only `gelu/biased_linear` fails, with every element off by the bias; `gelu/mlp_parameters` passes because the "
        "bias exists.",
        "Your BiasedLinear's output misses the bias: the parameter exists but forward never adds it. Return x @ W.T + "
        "self.bias (when the bias is not None).",
    ),
    Mistake(
        "gelu_mlp_relu", "gelu",
        "GeluMLP applies relu between its two layers instead of gelu.",
        "Only `gelu/mlp_backward` fails, on `output`, with every element off; gelu's own cases pass.",
        "Your GeluMLP's output is off although gelu passes on its own: the MLP uses relu. Apply your gelu between the "
        "layers: w2(gelu(w1(x))).",
    ),

    # -- RotaryPositionalEmbedding --
    Mistake(
        "rope_split_halves", "rope",
        "Pairs x[i] with x[i + d_k/2] (the GPT-NeoX layout) instead of rotating adjacent pairs (x[2i], x[2i+1]).",
        "`rope/forward`, `broadcast_positions` and `relative_positions` fail with nearly every element off (q·k still "
        "depends only on the distance, but its values differ); `rope/buffers` passes.",
        "Your rotation pairs dimension i with i + d_k/2 (the rotate-half layout), but here the pairs are adjacent: "
        "(x[0], x[1]), (x[2], x[3]), ... Rotate x[..., 0::2] with x[..., 1::2] and interleave the results back.",
    ),
    Mistake(
        "rope_ignores_positions", "rope",
        "Rotates by the positions 0 .. T-1 instead of the token_positions it is given.",
        "`rope/forward` (random positions per sequence) and `rope/broadcast_positions` (positions 5 to 10) fail; "
        "`rope/relative_positions`, which uses positions 0 .. 31, and `rope/buffers` pass.",
        "Your rotation ignores token_positions and uses 0 .. T-1, which is only right when positions start at 0 and "
        "run in order. Index the cos/sin tables with token_positions, which may be (T,) or (..., T).",
    ),
    Mistake(
        "rope_wrong_frequencies", "rope",
        "Uses the frequencies theta^(-i/d_k) instead of theta^(-2i/d_k) for pair i.",
        "`rope/forward` and `broadcast_positions` fail with 7 of every 8 elements off for d_k = 16 (only the first "
        "pair, at frequency 1, is right), and `relative_positions` fails on its values; `rope/buffers` passes.",
        "Your angles are right for the first pair and wrong for all the others: pair i turns at frequency "
        "theta^(-2i/d_k), i = 0 .. d_k/2 - 1, and you use theta^(-i/d_k). Check the exponent of your frequencies.",
    ),
    Mistake(
        "rope_persistent_buffers", "rope",
        "Registers the cos/sin tables as persistent buffers, so they appear in the state dict.",
        "Only `rope/buffers` fails: the state dict holds cos and sin. The rotation cases pass.",
        "Your cos/sin tables end up in the state dict, so checkpoints carry them and the documented state-dict names "
        "no longer match. Register them with register_buffer(..., persistent=False).",
    ),

    # -- MultiHeadSelfAttention --
    Mistake(
        "mhsa_scale_by_d_model", "multihead_attention",
        "Scales the scores by 1/sqrt(d_model) instead of 1/sqrt(d_head).",
        "Every case but `parameters` fails on its values; in the outputs 5 of 6 positions are off, as the first "
        "position attends only to itself and the scale does not matter there.",
        "Your scores look scaled by 1/sqrt(d_model) = 1/sqrt(32); each head attends in d_head = d_model / num_heads "
        "dimensions, so scale by 1/sqrt(d_head) = 1/sqrt(8).",
    ),
    Mistake(
        "mhsa_mask_wrong_triangle", "multihead_attention",
        "Builds the causal mask with triu instead of tril, so each token sees the future rather than the past.",
        "Every case but `parameters` fails with every element off; `causal_no_leak` fails on its values before it "
        "reaches its leak check.",
        "Your causal mask points the wrong way: each position attends to itself and the positions after it. Build it "
        "with torch.tril (True on and below the diagonal), so position t sees positions 0 .. t.",
    ),
    Mistake(
        "mhsa_mask_after_softmax", "multihead_attention",
        "Takes the softmax over all scores and then zeroes the future weights, without renormalising.",
        "Every case but `parameters` fails on its values; in the outputs 5 of 6 positions are off, as only the last "
        "position, which has no future to zero, is right.",
        "Your attention zeroes the future weights after the softmax, so each row sums to less than 1 (only the last "
        "position comes out right). Fill the future scores with -inf before the softmax.",
    ),
    Mistake(
        "mhsa_heads_merged_wrong_order", "multihead_attention",
        "Merges the heads back as '... h t d -> ... t (d h)', interleaving them, instead of '... t (h d)'.",
        "Every case but `parameters` fails with every element off.",
        "Your heads are merged in the wrong order: the concatenated features should be head 0's d_head values, then "
        "head 1's, and so on. Move the head dim next to d_head with heads first, (..., T, h, d_head), then flatten.",
    ),
    Mistake(
        "mhsa_heads_split_wrong_order", "multihead_attention",
        "Splits the projections into heads as '... t (d h) -> ... h t d' instead of '... t (h d) -> ... h t d'.",
        "Every case but `parameters` fails with every element off.",
        "Your heads are split in the wrong order: head i should get the contiguous features i * d_head to (i + 1) * "
        "d_head - 1. Reshape to (..., T, num_heads, d_head), then move the head dim in front of T.",
    ),
    Mistake(
        "mhsa_no_causal_mask", "multihead_attention",
        "Applies no causal mask, so every token attends to the whole sequence.",
        "Every case but `parameters` fails on its values; in the outputs 5 of 6 positions are off (the last position "
        "sees everything anyway), and `causal_no_leak` fails on its values before it reaches its leak check.",
        "Your attention is not causal: every position sees the whole sequence, so only the last position comes out "
        "right. Mask the scores with a lower-triangular (T, T) mask, -inf above the diagonal, before the softmax.",
    ),
    Mistake(
        "mhsa_rope_on_values", "multihead_attention",
        "Rotates the values with RoPE as well as the queries and keys.",
        "Only the RoPE cases fail, `multihead_attention/rope` and `rope_positions`; every case without RoPE passes.",
        "Your output is off only when RoPE is on: rotate q and k, never v. Rotary embeddings put the positions into "
        "the q·k scores; the values are mixed unrotated.",
    ),

    # -- TransformerBlock --
    Mistake(
        "block_post_norm", "transformer_block",
        "Normalises after each residual add (post-norm: ln1(x + attn(x)), then ln2(x + ffn(x))) instead of before each "
        "sub-layer.",
        "`transformer_block/forward_llama`, `forward_gpt` and `backward` fail with nearly every element off; "
        "`parameters` passes.",
        "Your block looks post-norm: it normalises the sum after each residual add. This block is pre-norm: x = x + "
        "attn(ln1(x)), then x = x + ffn(ln2(x)), leaving the residual stream itself unnormalised.",
    ),
    Mistake(
        "block_no_attention_residual", "transformer_block",
        "Replaces x with attn(ln1(x)) instead of adding it: no residual connection around attention.",
        "`transformer_block/forward_llama`, `forward_gpt` and `backward` fail with every element off; `parameters` "
        "passes.",
        "Your block drops the residual around attention: x = attn(ln1(x)) throws the input away. Add it back: x = x + "
        "attn(ln1(x)).",
    ),
    Mistake(
        "block_no_ffn_residual", "transformer_block",
        "Returns ffn(ln2(x)) instead of x + ffn(ln2(x)): no residual connection around the feed-forward.",
        "`transformer_block/forward_llama`, `forward_gpt` and `backward` fail with every element off; `parameters` "
        "passes.",
        "Your block drops the residual around the feed-forward: return x + ffn(ln2(x)), not ffn(ln2(x)).",
    ),
    Mistake(
        "block_shared_norm", "transformer_block",
        "Uses ln1 before both sub-layers; ln2 is created but never used.",
        "`transformer_block/forward_llama`, `forward_gpt` and `backward` fail with nearly every element off; "
        "`parameters` passes because ln2 exists.",
        "Your block normalises the feed-forward's input with ln1, and ln2 is never used. Each sub-layer has its own "
        "norm: x = x + ffn(ln2(x)).",
    ),

    # -- TransformerLM, count_parameters --
    Mistake(
        "lm_positions_after_blocks", "transformer_lm",
        "Adds the learned position embeddings after the blocks instead of to the token embeddings before them.",
        "Only the GPT cases fail, on `logits`: `transformer_lm/forward_gpt`, `loss` and `batch_independent`; the llama "
        "cases, which use RoPE, pass.",
        "Your GPT logits are off while the llama ones pass: the learned position embeddings go in at the start, "
        "token_embeddings(idx) + position_embeddings(positions), before the first block.",
    ),
    Mistake(
        "lm_no_final_norm", "transformer_lm",
        "Skips the final norm ln_final before lm_head.",
        "Every logits case fails with all elements off, and `every_parameter_learns` reports that ln_final.weight got "
        "no gradient; `state_dict` and `count_parameters` pass.",
        "Your model never uses ln_final, so its weight gets no gradient. Normalise the last block's output before the "
        "head: logits = lm_head(ln_final(x)).",
    ),
    Mistake(
        "lm_loss_summed", "transformer_lm",
        "Sums the per-position cross-entropy instead of averaging it.",
        "Only `transformer_lm/loss` fails, on `loss`: 86.2 instead of 3.92, 22 times too large for 2 x 11 positions; "
        "the logits are right.",
        "Your loss is 22 times the expected one for 2 sequences of 11 tokens: it is summed over the positions. Take "
        "the mean cross-entropy over all B x T positions.",
    ),
    Mistake(
        "count_parameters_forgets_biases", "transformer_lm",
        "Counts the parameters as if bias=False, leaving out every bias.",
        "Only `transformer_lm/count_parameters` fails: count_parameters(gpt) gives 5872 where the model has 6125.",
        "Your count is short by the biases (253 for the small GPT): with bias=True, count the attention output "
        "projection's, both MLP layers', each LayerNorm's and lm_head's biases.",
    ),
    Mistake(
        "count_parameters_forgets_final_norm", "transformer_lm",
        "Leaves the final norm (ln_final) out of the count.",
        "Only `transformer_lm/count_parameters` fails: count_parameters(gpt) gives 6093 where the model has 6125.",
        "Your count is 32 short for the GPT with d_model 16: that is ln_final's weight and bias. Add the final norm "
        "after the blocks (d_model, plus d_model for a LayerNorm's bias).",
    ),
    Mistake(
        "count_parameters_counts_rope_buffers", "transformer_lm",
        "Counts the RoPE cos/sin tables (context_length * d_head values) as if they were parameters.",
        "Only `transformer_lm/count_parameters` fails, on the RoPE configurations: count_parameters(llama) gives 6960 "
        "where the model has 6896.",
        "Your count is too high by context_length * d_head (16 * 4 = 64 here) for RoPE models: the cos/sin tables are "
        "buffers, not parameters. Count only what model.parameters() holds.",
    ),

    # -- CharTokenizer --
    Mistake(
        "tokenizer_first_appearance_order", "tokenizer",
        "Numbers the characters in order of first appearance instead of in sorted order.",
        "Only `tokenizer/round_trip` fails: encode gives [0, 1, 2, 3, ...] where [15, 11, 1, 6, ...] is expected; "
        "decoding still gives the text back.",
        "Your ids follow the order in which characters first appear ('t' gets 0). Build the vocabulary as "
        "sorted(set(text)), so a character's id is its index in that sorted list.",
    ),
    Mistake(
        "tokenizer_key_error", "tokenizer",
        "Lets an unknown character raise a bare KeyError instead of a ValueError that names it.",
        "Only `tokenizer/unknown_character` fails: encoding 'Zebra' raises KeyError instead of a ValueError naming "
        "'Z'.",
        "Your encode raises KeyError for a character it never saw. Check each character against the vocabulary and "
        "raise a ValueError whose message names it.",
    ),
    Mistake(
        "tokenizer_decode_tensor_keys", "tokenizer",
        "Looks the elements of `ids` up in the int-keyed itos dict as they are, so decoding a tensor raises KeyError.",
        "`tokenizer/round_trip` errors with KeyError: tensor(15) when it decodes a 1-D tensor; decoding a list works.",
        "Your decode fails on a tensor: its elements are 0-dim tensors, not ints, so the dict lookup raises KeyError. "
        "Convert each id with int(i), or the tensor with .tolist(), before the lookup.",
    ),

    # -- get_batch --
    Mistake(
        "get_batch_targets_not_shifted", "get_batch",
        "Returns targets that are the same window as the inputs, not shifted one token later.",
        "Only `get_batch/shifted_windows` fails: the targets equal the inputs.",
        "Your targets equal your inputs, but each target is the token after its input. Take the targets from data[s + "
        "1 : s + 1 + context_length], for the same start s.",
    ),
    Mistake(
        "get_batch_last_start_missing", "get_batch",
        "Draws the starts with torch.randint(N - T - 1), so the last valid start N - T - 1 is never drawn.",
        "Only `get_batch/every_start` fails: in 800 windows of 8 tokens from 40, no window starts at 31.",
        "Your last valid start never comes up: with 40 tokens and windows of 8 the starts run 0 .. 31, and "
        "torch.randint's upper bound is exclusive. Draw from torch.randint(len(data) - context_length, ...).",
    ),
    Mistake(
        "get_batch_ignores_generator", "get_batch",
        "Draws the starts from torch's global generator, ignoring the `generator` argument.",
        "Only `get_batch/seeded` fails: two generators with the same seed give different batches.",
        "Your batches do not follow the generator you are given: two generators with the same seed gave different "
        "batches. Pass generator=generator to torch.randint.",
    ),

    # -- AdamW --
    Mistake(
        "adamw_l2_regularisation", "adamw",
        "Adds weight_decay * p to the gradient (Adam with L2 regularisation) instead of decaying the parameter "
        "directly.",
        "`adamw/trajectory` and `adamw/skips_missing_gradients` fail on `w`, off by up to about 0.16 after 6 steps; "
        "`is_an_optimizer` and `state_dict` pass.",
        "Your weight decay goes through the gradient (Adam with L2), so m and v rescale it. AdamW decouples it: p = p "
        "- lr * weight_decay * p, applied to the parameter itself, apart from the Adam step.",
    ),
    Mistake(
        "adamw_no_bias_correction", "adamw",
        "Uses m and v without the bias corrections 1 - beta1^t and 1 - beta2^t.",
        "`adamw/trajectory` and `adamw/skips_missing_gradients` fail on `w` from the first step on.",
        "Your early steps are off by a large factor: m and v start at 0 and need their bias corrections. Use m / (1 - "
        "beta1^t) and v / (1 - beta2^t), with t counted from 1 for each parameter.",
    ),
    Mistake(
        "adamw_decay_without_lr", "adamw",
        "Decays with p -= weight_decay * p instead of p -= lr * weight_decay * p.",
        "`adamw/trajectory` and `adamw/skips_missing_gradients` fail on `w`: with weight_decay 0.5 the weights halve "
        "every step (0.07 where 1.81 is expected after 6 steps).",
        "Your weights shrink far too fast: the decay is not scaled by the learning rate. Multiply p by (1 - lr * "
        "weight_decay), not (1 - weight_decay).",
    ),
    Mistake(
        "adamw_decay_after_update", "adamw",
        "Applies the weight decay after the Adam update, to the already updated parameter.",
        "`adamw/trajectory` and `adamw/skips_missing_gradients` fail on `w` by small amounts, up to about 6e-3 after 6 "
        "steps.",
        "Your decay uses the parameter after this step's Adam update; it should use the value from before it. Decay "
        "first, p *= 1 - lr * weight_decay, then subtract the Adam step.",
    ),
    Mistake(
        "adamw_eps_inside_sqrt", "adamw",
        "Divides by sqrt(v_hat + eps) instead of sqrt(v_hat) + eps.",
        "Only `adamw/trajectory` fails, on the elements with the smallest gradients (12 of 72, by about 5e-5); the "
        "other cases pass.",
        "Your updates are slightly off only where the gradients are tiny: eps belongs outside the square root. Divide "
        "by sqrt(v_hat) + eps, not sqrt(v_hat + eps).",
    ),
    Mistake(
        "adamw_rebinds_parameter", "adamw",
        "Writes p = p * ... and p = p - ..., which rebind a local name, so the parameter never changes.",
        "`adamw/trajectory` and `adamw/skips_missing_gradients` fail on `w`: the parameters keep their initial values "
        "at every step.",
        "Your parameters never move: p = p - ... makes a new tensor and rebinds the local name. Update the parameter "
        "in place, with p.mul_(...) and p.add_(...) or p.sub_(...).",
    ),
    Mistake(
        "adamw_step_per_group", "adamw",
        "Keeps one step counter per parameter group, so a parameter that skipped steps gets the wrong bias correction.",
        "Only `adamw/skips_missing_gradients` fails, on `b`, which has no gradient at steps 0, 1 and 3: its values "
        "from step 2 on are off by up to about 0.04.",
        "Your step count t is shared by the whole group, so a parameter that had no gradient on some steps gets the "
        "wrong bias correction. Keep t per parameter in self.state[p], and count it only when that parameter is "
        "updated.",
    ),
    Mistake(
        "adamw_ignores_groups", "adamw",
        "Reads lr, betas, eps and weight_decay from self.defaults instead of from each parameter group.",
        "Only `adamw/trajectory` fails, whose two groups have their own settings: `w` follows the default weight_decay "
        "0.1 instead of its group's 0.5.",
        "Your optimizer ignores each parameter group's own settings: a group's lr, betas and weight_decay override the "
        "defaults. Read them from group['lr'], group['betas'], ... inside the loop over self.param_groups.",
    ),
    Mistake(
        "adamw_missing_grad_as_zero", "adamw",
        "Treats a missing gradient as zero, so a parameter without one still decays and moves.",
        "Only `adamw/skips_missing_gradients` fails, on `b`: it moves on the steps where it has no gradient, so all 30 "
        "of its values are off.",
        "Your optimizer updates parameters whose .grad is None as if the gradient were zero: they still decay, and "
        "their m and v still move them. Skip them: if p.grad is None, continue.",
    ),

    # -- cosine_lr_schedule --
    Mistake(
        "cosine_warmup_off_by_one", "cosine_lr_schedule",
        "Warms up as (t + 1) / warmup_iters * lr_max, one step ahead, reaching lr_max at t = warmup_iters - 1.",
        "`cosine_lr_schedule/values` fails throughout the warmup: at t=0 it gives 0.2 instead of 0 (lr_max 1, "
        "warmup_iters 5), and it is wrong at t = 0 .. 4.",
        "Your warmup is one step ahead: at t = 0 the rate should be 0, rising linearly to lr_max at t = warmup_iters. "
        "Use t / warmup_iters * lr_max.",
    ),
    Mistake(
        "cosine_progress_over_cosine_iters", "cosine_lr_schedule",
        "Measures the cosine progress as (t - warmup_iters) / cosine_iters instead of dividing by cosine_iters - "
        "warmup_iters.",
        "`cosine_lr_schedule/values` fails from the first step of the decay: at t=6 it gives 0.99446 instead of "
        "0.990166 (warmup_iters 5, cosine_iters 20), and the rate has not reached lr_min at t = cosine_iters.",
        "Your decay is too slow and has not reached lr_min at t = cosine_iters: the progress should run from 0 to 1 "
        "over the decay phase. Divide by its length, cosine_iters - warmup_iters.",
    ),
    Mistake(
        "cosine_never_flat", "cosine_lr_schedule",
        "Has no flat end: past cosine_iters the cosine climbs back up instead of staying at lr_min.",
        "`cosine_lr_schedule/values` fails only after the decay: at t=21 it gives 0.109834 instead of 0.1 "
        "(cosine_iters 20).",
        "Your rate rises again after t = cosine_iters: the cosine keeps going past progress 1. Return lr_min for every "
        "t > cosine_iters.",
    ),
    Mistake(
        "cosine_warmup_divides_by_zero", "cosine_lr_schedule",
        "Computes t / warmup_iters for every t, so warmup_iters = 0 raises ZeroDivisionError.",
        "`cosine_lr_schedule/values` errors with ZeroDivisionError on the schedule without warmup (warmup_iters 0).",
        "Your schedule divides by warmup_iters even when there is no warmup, so warmup_iters = 0 crashes. Compute the "
        "warmup fraction only when t < warmup_iters, which never holds for 0.",
    ),

    # -- clip_grad_norm --
    Mistake(
        "clip_grad_norm_per_parameter", "clip_grad_norm",
        "Clips each gradient to max_norm on its own instead of scaling them all by the global norm.",
        "Only `clip_grad_norm/above_max_norm` fails: each gradient is scaled by its own factor (a.grad 0.49 where 0.35 "
        "is expected); the returned norm is right.",
        "Your gradients are clipped one by one, but clipping uses one global norm, the square root of the sum of every "
        "gradient's squared norm. If it exceeds max_norm, scale every gradient by the same max_norm / (total + eps).",
    ),
    Mistake(
        "clip_grad_norm_scales_up", "clip_grad_norm",
        "Multiplies by max_norm / total even when the norm is already below max_norm, scaling small gradients up.",
        "Only `clip_grad_norm/below_max_norm` fails: with max_norm 100 the gradients are scaled up (-26.4 where -2.96 "
        "is expected).",
        "Your clipping also scales gradients up when their norm is below max_norm. Leave them alone then: scale only "
        "when total > max_norm.",
    ),
    Mistake(
        "clip_grad_norm_iterates_twice", "clip_grad_norm",
        "Iterates over `parameters` twice, so given a generator the second pass finds nothing and no gradient is "
        "clipped.",
        "Only `clip_grad_norm/above_max_norm` fails, since the parameters arrive as a generator: the gradients come "
        "back unclipped (a.grad 4.65 where 0.35 is expected); the returned norm is right.",
        "Your gradients come back unclipped when the parameters arrive as a generator (as model.parameters() is): the "
        "first loop uses it up. Turn it into a list once, at the start.",
    ),
    Mistake(
        "clip_grad_norm_returns_none", "clip_grad_norm",
        "Clips correctly but returns None instead of the total norm.",
        "`clip_grad_norm/above_max_norm` and `below_max_norm` fail: clip_grad_norm returned None.",
        "Your clip_grad_norm returns nothing. Return the total norm computed before clipping, as a 0-dim tensor.",
    ),
    Mistake(
        "clip_grad_norm_returns_clipped_norm", "clip_grad_norm",
        "Returns the total norm after clipping instead of before.",
        "Only `clip_grad_norm/above_max_norm` fails, on `norm`: it returns 1, the max_norm, instead of 13.32; the "
        "gradients are right.",
        "Your returned norm is the one after clipping, so it never exceeds max_norm. Return the total norm from before "
        "clipping, as torch.nn.utils.clip_grad_norm_ does.",
    ),
    Mistake(
        "clip_grad_norm_missing_grad_crashes", "clip_grad_norm",
        "Does not skip parameters whose .grad is None, so a frozen or unused parameter raises TypeError.",
        "`clip_grad_norm/above_max_norm` and `below_max_norm` error with TypeError: unsupported operand type(s) for ** "
        "or pow(): 'NoneType' and 'int'.",
        "Your clip_grad_norm crashes on a parameter without a gradient (frozen, or unused). Skip the parameters whose "
        ".grad is None, both in the norm and when scaling.",
    ),

    # -- save_checkpoint, load_checkpoint --
    Mistake(
        "checkpoint_model_only", "checkpoint",
        "Saves and restores only the model's weights, so AdamW's state (m, v, step counts) is lost.",
        "`checkpoint/resume_path` and `resume_file` fail: training resumed from the checkpoint ends with different "
        "weights than training that never stopped.",
        "If your checkpoint holds only the model's weights, a resumed AdamW restarts with empty m, v and step counts "
        "and takes different steps. Save optimizer.state_dict() too, and load it back with "
        "optimizer.load_state_dict().",
    ),
    Mistake(
        "checkpoint_optimizer_not_restored", "checkpoint",
        "Saves the optimizer's state but never loads it back.",
        "`checkpoint/resume_path` and `resume_file` fail: training resumed from the checkpoint ends with different "
        "weights than training that never stopped.",
        "If your load_checkpoint never passes the saved optimizer state to optimizer.load_state_dict(), AdamW resumes "
        "from scratch. Restore it along with the model's weights.",
    ),
    Mistake(
        "checkpoint_load_returns_none", "checkpoint",
        "load_checkpoint restores the model and the optimizer but does not return the saved iteration.",
        "`checkpoint/resume_path` and `resume_file` fail: load_checkpoint returned None instead of the saved "
        "iteration, 3.",
        "Your load_checkpoint restores everything but returns nothing. Return the iteration that was saved (3 in the "
        "check), so training can carry on from there.",
    ),

    # -- estimate_loss --
    Mistake(
        "estimate_loss_leaves_eval_mode", "estimate_loss",
        "Switches the model to eval mode and never switches it back.",
        "`estimate_loss/modes_and_mean` fails: a model in train mode was left in eval mode.",
        "Your estimate_loss leaves a training model in eval mode, so dropout stays off for the rest of training. Save "
        "model.training before model.eval(), and restore it afterwards with model.train(was_training).",
    ),
    Mistake(
        "estimate_loss_no_eval_mode", "estimate_loss",
        "Never calls model.eval(), so dropout stays on while evaluating.",
        "`estimate_loss/modes_and_mean` fails: the model was in training mode while estimate_loss evaluated it.",
        "Your estimate_loss evaluates in training mode, so dropout makes the estimate noisy and too high. Call "
        "model.eval() first, and restore the previous mode when you are done.",
    ),
    Mistake(
        "estimate_loss_no_no_grad", "estimate_loss",
        "Runs the model with gradients enabled, building an autograd graph for every batch.",
        "`estimate_loss/modes_and_mean` fails: estimate_loss ran the model with gradients enabled.",
        "Your estimate_loss runs the model with autograd on, which builds a graph for every batch and wastes memory. "
        "Evaluate under torch.no_grad().",
    ),
    Mistake(
        "estimate_loss_always_train_after", "estimate_loss",
        "Calls model.train() afterwards even when the model was in eval mode before.",
        "`estimate_loss/modes_and_mean` fails: a model in eval mode was left in train mode.",
        "Your estimate_loss always ends with model.train(), so a model that was in eval mode comes back in train mode. "
        "Restore the mode it had: was_training = model.training before, model.train(was_training) after.",
    ),

    # -- generate --
    Mistake(
        "generate_no_crop", "generate",
        "Feeds the model the whole sequence so far, past its context length.",
        "`generate/greedy_and_cropped` and `top_k_1_is_greedy` fail: generate fed the model 16 tokens though its "
        "context length is 8. The sampling cases, which generate one token, pass.",
        "Your generate feeds the model more tokens than its context length (16 for a context of 8). Crop to the last "
        "context_length tokens before each call: idx[:, -model.config.context_length:].",
    ),
    Mistake(
        "generate_crops_first_tokens", "generate",
        "Crops the sequence to its first context_length tokens instead of its last.",
        "`generate/greedy_and_cropped` and `top_k_1_is_greedy` fail: once the sequence outgrows the context, the model "
        "is no longer given the last tokens of the sequence so far.",
        "Your generate keeps the first context_length tokens once the sequence outgrows the context, so the model "
        "never sees what it just wrote. Keep the last ones: idx[:, -context_length:].",
    ),
    Mistake(
        "generate_first_position", "generate",
        "Samples from the logits at the first position instead of the last.",
        "`generate/greedy_and_cropped` and `top_k_1_is_greedy` fail with 30 or more of 51 tokens different; the "
        "sampling cases, whose prompt is a single token, pass.",
        "Your next token comes from the prediction after the first token, not the last. Take logits[:, -1, :], the "
        "model's prediction for the position after the sequence.",
    ),
    Mistake(
        "generate_temperature_multiplies", "generate",
        "Multiplies the logits by the temperature instead of dividing them by it.",
        "Only `generate/temperature` fails: with temperature 0.5 the most likely token comes up in 27% of the samples "
        "instead of about 70%.",
        "Your temperature works backwards: 0.5 should sharpen the distribution, and yours flattens it. Divide the "
        "logits by the temperature before the softmax.",
    ),
    Mistake(
        "generate_top_k_smallest", "generate",
        "Keeps the k smallest logits in top_k instead of the k largest.",
        "`generate/top_k` fails because a token that should be filtered out is sampled, `top_k_1_is_greedy` picks "
        "other tokens than the argmax, and `top_k_above_vocabulary` errors with a RuntimeError (a size mismatch).",
        "Your top_k may keep the least likely tokens: with top_k=1 it should always pick the argmax. Keep the k "
        "largest logits (sort descending, or torch.topk) and set the others to -inf.",
    ),
    Mistake(
        "generate_top_p_drops_crossing_token", "generate",
        "In top_p, also drops the token that carries the cumulative probability past top_p.",
        "Only `generate/top_p` fails: with top_p 0.7 token 10 never comes up, where it should in about 11.4% of the "
        "samples.",
        "Your top_p drops one token too many: the token whose probability carries the running total past top_p must be "
        "kept. Drop a token only when the tokens more likely than it already reach top_p.",
    ),
    Mistake(
        "generate_temperature_zero_divides", "generate",
        "Has no greedy branch, so temperature 0 divides the logits by zero.",
        "Only `generate/greedy_and_cropped` (temperature 0) fails, with RuntimeError: probability tensor contains "
        "either inf, nan or element < 0.",
        "Your generate divides by a temperature of 0, which gives inf and NaN probabilities. Treat temperature 0 as "
        "greedy decoding: take the argmax of the logits instead of sampling.",
    ),
    Mistake(
        "generate_returns_only_new_tokens", "generate",
        "Returns only the new tokens, without the prompt in front.",
        "`generate/greedy_and_cropped` and `top_k_1_is_greedy` fail with the cropping message (each call should get "
        "the last tokens of the sequence so far), since the returned sequence no longer starts with the prompt the "
        "model saw.",
        "Your generate returns only the new tokens. Return the whole sequence, the prompt followed by the "
        "max_new_tokens new ones: shape (B, T + max_new_tokens).",
    ),

    # -- Training end to end --
    Mistake(
        "lm_linear_init_std_one", "training",
        "TransformerLM re-initialises every Linear weight with nn.init.normal_'s default std of 1 instead of sqrt(2 / "
        "(in + out)).",
        "Only `training/validation_loss_falls` fails: the validation loss starts near 17 and ends near 2.1 after 120 "
        "steps, above the 1.45 bar. Every unit case passes, because those load their own weights.",
        "Your model starts from a huge loss (about 17, where ln(29) ≈ 3.4 is expected for 29 characters) and trains "
        "badly: its weights start far too large. Initialise Linear weights with std sqrt(2 / (in + out)), truncated at "
        "±3 std, not with normal_'s default std 1.",
    ),

    # -- estimate_loss and generate, continued --
    Mistake(
        "estimate_loss_ignores_generator", "estimate_loss",
        "Never passes `generator` on to get_batch, so the estimate is not repeatable.",
        "`estimate_loss/modes_and_mean` fails at its last check: the same seed does not give the same value.",
        "Your estimate_loss draws its batches from torch's global generator, so the same seed gives different "
        "estimates. Pass the generator on: get_batch(..., generator=generator).",
    ),
    Mistake(
        "generate_top_k_too_large", "generate",
        "Calls torch.topk(logits, top_k) without capping top_k at the vocabulary size, so a larger top_k raises.",
        "Only `generate/top_k_above_vocabulary` (top_k 20, vocabulary 12) errors, with RuntimeError: selected index k "
        "out of range.",
        "Your top_k crashes when top_k is larger than the vocabulary (20 for 12 tokens here). Cap it with min(top_k, "
        "logits.size(-1)): keeping every token is then the right answer.",
    ),
]

MISTAKES_BY_ID: dict[str, Mistake] = {m.id: m for m in CATALOGUE}


def lead(ids: tuple[str, ...]) -> str:
    """The hint that heads the message of a failure matching these mistakes ("" for none)."""
    if len(ids) <= 1:
        return "".join(f"Hint: {MISTAKES_BY_ID[i].hint}" for i in ids)
    return "Hint: this matches more than one known mistake:\n" + "\n".join(f"  - {MISTAKES_BY_ID[i].hint}" for i in ids)
