"""Known mistakes of Part 2: the transformer (solutions/transformer.py; grader/cases/transformer.py, language_model.py).

Each entry's wrong implementation is registered under the same id in selftests/variants/transformer.py.
"""

from __future__ import annotations

from grader.cases.language_model import COUNTED, LM, LM_T, PRESET_CHOICES, SEED_GPT, as_call
from grader.cases.transformer import D_HEAD, D_MODEL, T

from .mistake import Mistake


def counted(name: str, *, biases=True, final_norm=True, rope_tables=False, swiglu_matrices=3) -> int:
    """The parameters of count_parameters' configuration `name` (COUNTED) by formula, and what the count_parameters
    mistakes make of them (RoPE's cos/sin tables are buffers of context_length x d_head values)."""
    preset, settings = COUNTED[name]
    c = {**PRESET_CHOICES[preset], **settings}
    V, C, L, F, context = c["vocab_size"], c["d_model"], c["num_layers"], c["d_ff"], c["context_length"]
    b = int(c["bias"] and biases)
    norm = C + C * b * (c["norm"] == "layernorm")
    attention = 4 * C * C + C * b  # q, k, v and output projections; the output one's bias
    ffn = swiglu_matrices * C * F if c["ffn"] == "swiglu" else 2 * C * F + (F + C) * b
    positions = context * C if c["positions"] == "learned" else context * (C // c["num_heads"]) * rope_tables
    return V * C + positions + L * (2 * norm + attention + ffn) + norm * final_norm + C * V + V * b


# Each count_parameters mistake's message shows the first configuration of COUNTED it gets wrong.
SEED_GPT_CALL, LLAMA_CALL = as_call(*COUNTED["seed_gpt"]), as_call(*COUNTED["llama"])
SEED_PARAMETERS, LLAMA_PARAMETERS = counted("seed_gpt"), counted("llama")
SEED_WITHOUT_BIASES, SEED_WITHOUT_FINAL_NORM = counted("seed_gpt", biases=False), counted("seed_gpt", final_norm=False)
LLAMA_WITH_ROPE_TABLES, LLAMA_SWIGLU_AS_TWO = counted("llama", rope_tables=True), counted("llama", swiglu_matrices=2)
LM_D_HEAD = LM["d_model"] // LM["num_heads"]
LM_OWN_D_FF = 4 * LM["d_model"]  # the d_ff a model that ignores config.d_ff makes up

MISTAKES: list[Mistake] = [
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
        f"Every case but `parameters` fails on its values; in the outputs {T - 1} of {T} positions are off, as the "
        "first position attends only to itself and the scale does not matter there.",
        f"Your scores look scaled by 1/sqrt(d_model) = 1/sqrt({D_MODEL}); each head attends in d_head = d_model / "
        f"num_heads dimensions, so scale by 1/sqrt(d_head) = 1/sqrt({D_HEAD}).",
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
        f"Every case but `parameters` fails on its values; in the outputs {T - 1} of {T} positions are off, as only "
        "the last position, which has no future to zero, is right.",
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
        "mhsa_heads_split_without_transpose", "multihead_attention",
        "Splits the heads with reshape(B, h, T, d_head) (or view) straight from (B, T, C), without a transpose.",
        "Every case but `parameters` and `batch_independent` fails: the outputs are off at every element, and "
        "`causal_no_leak` finds information leaking from the future, as a head's rows mix features of several tokens.",
        "Your heads are split with a reshape straight to (B, heads, T, d_head), which reads the (B, T, C) memory in "
        "the wrong order: each row of a head then holds features of other tokens, later ones included. Reshape to "
        "(B, T, heads, d_head) first, then transpose(1, 2) (or rearrange '... t (h d) -> ... h t d').",
    ),
    Mistake(
        "mhsa_no_causal_mask", "multihead_attention",
        "Applies no causal mask, so every token attends to the whole sequence.",
        f"Every case but `parameters` fails on its values; in the outputs {T - 1} of {T} positions are off (the last "
        "position sees everything anyway), and `causal_no_leak` fails on its values before it reaches its leak check.",
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
    Mistake(
        "mhsa_positions_without_head_dim", "multihead_attention",
        "Passes token_positions (B, T) to RoPE as they are, without the head dim that broadcasts them over the heads.",
        "Only `multihead_attention/rope_positions` fails, the one case that passes (B, T) positions: they cannot "
        "broadcast against the (B, heads, T, d_head) queries inside RoPE. Positions of shape (T,), the default, "
        "broadcast anyway, so the other cases pass.",
        "Your multi-head attention hands token_positions (B, T) to RoPE without a head dim, so they cannot broadcast "
        "against q of shape (B, heads, T, d_head): the error shows inside RoPE, but the fix is in "
        "MultiHeadSelfAttention. Pass token_positions.unsqueeze(-2) (or token_positions[..., None, :]), shape "
        "(B, 1, T).",
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
        f"Only `transformer_lm/loss` fails, on `loss`: 86.2 instead of 3.92, {2 * LM_T} times too large for "
        f"2 x {LM_T} positions; the logits are right.",
        f"Your loss is {2 * LM_T} times the expected one for 2 sequences of {LM_T} tokens: it is summed over the "
        "positions. Take the mean cross-entropy over all B x T positions.",
    ),
    Mistake(
        "lm_recomputes_d_ff", "transformer_lm",
        "Builds the blocks with d_ff = 4 * d_model instead of the config.d_ff it is given.",
        "`transformer_lm/state_dict` and every case that loads weights fail: the feed-forward weights have "
        f"{LM_OWN_D_FF} rows or columns where the config's d_ff = {LM['d_ff']} asks for {LM['d_ff']}. "
        "`every_parameter_learns` and `count_parameters` pass.",
        f"Your blocks' feed-forward has d_ff = {LM_OWN_D_FF} = 4 * d_model, but the config says d_ff = {LM['d_ff']}: "
        "build every block from the config as it is given (SwiGLU or GeluMLP with config.d_ff), and never recompute "
        "it; TransformerConfig.preset already fills in the family's default when d_ff is left out.",
    ),
    Mistake(
        "lm_blocks_in_plain_list", "transformer_lm",
        "Keeps the blocks in a plain Python list, so nn.Module never registers them or their parameters.",
        "`transformer_lm/state_dict` and every case that loads weights fail, naming `layers` a plain Python list "
        "of modules; `every_parameter_learns` and `count_parameters` pass.",
        "Your blocks sit in a plain Python list, which nn.Module does not look into: their parameters are missing "
        "from the state dict and from model.parameters(), so the optimizer never trains them and a checkpoint never "
        "saves them. Keep the blocks in an nn.ModuleList.",
    ),
    Mistake(
        "lm_head_uninitialised", "transformer_lm",
        "Creates lm_head's weight with torch.empty and never initialises it (zeros here, which is what "
        "torch.empty gives for a large fresh allocation; a small one holds leftover memory).",
        "`transformer_lm/initialised` fails: a fresh model's lm_head.weight is all zeros. `every_parameter_learns` "
        "fails too, as a zero head passes no gradient back to anything before it. The cases that load weights pass.",
        "Your lm_head.weight starts as all zeros: a weight made with torch.empty and never initialised holds "
        "whatever was in memory, and a zero head also stops every gradient behind it. Build lm_head from your "
        "Linear (or BiasedLinear), whose constructor initialises its weight.",
    ),
    Mistake(
        "count_parameters_forgets_biases", "transformer_lm",
        "Counts the parameters as if bias=False, leaving out every bias.",
        f"Only `transformer_lm/count_parameters` fails, first on the seed GPT, {SEED_GPT_CALL}: count_parameters "
        f"gives {SEED_WITHOUT_BIASES:,} where the model has {SEED_PARAMETERS:,}.",
        f"Your count is short by the biases ({SEED_PARAMETERS - SEED_WITHOUT_BIASES:,} for the seed GPT): with "
        "bias=True, count the attention output projection's, both MLP layers', each LayerNorm's and lm_head's biases.",
    ),
    Mistake(
        "count_parameters_forgets_final_norm", "transformer_lm",
        "Leaves the final norm (ln_final) out of the count.",
        f"Only `transformer_lm/count_parameters` fails, first on the seed GPT, {SEED_GPT_CALL}: count_parameters "
        f"gives {SEED_WITHOUT_FINAL_NORM:,} where the model has {SEED_PARAMETERS:,}.",
        f"Your count is {SEED_PARAMETERS - SEED_WITHOUT_FINAL_NORM} short for the seed GPT, with d_model "
        f"{SEED_GPT['d_model']}: that is ln_final's weight and bias. Add the final norm after the blocks (d_model, "
        "plus d_model for a LayerNorm's bias).",
    ),
    Mistake(
        "count_parameters_counts_rope_buffers", "transformer_lm",
        "Counts the RoPE cos/sin tables (context_length * d_head values) as if they were parameters.",
        f"Only `transformer_lm/count_parameters` fails, first on {LLAMA_CALL}: count_parameters gives "
        f"{LLAMA_WITH_ROPE_TABLES:,} where the model has {LLAMA_PARAMETERS:,}; the configurations with learned "
        "positions pass.",
        f"Your count is too high by context_length * d_head ({LM['context_length']} * {LM_D_HEAD} = "
        f"{LLAMA_WITH_ROPE_TABLES - LLAMA_PARAMETERS} here) for RoPE models: the cos/sin tables are buffers, not "
        "parameters. Count only what model.parameters() holds.",
    ),
    Mistake(
        "count_parameters_swiglu_two_matrices", "transformer_lm",
        "Counts SwiGLU's feed-forward as two d_model x d_ff matrices, as for the GELU MLP, instead of three.",
        f"Only `transformer_lm/count_parameters` fails, first on {LLAMA_CALL}: count_parameters gives "
        f"{LLAMA_SWIGLU_AS_TWO:,} where the model has {LLAMA_PARAMETERS:,}; the GELU MLP configurations pass.",
        f"Your count is short by num_layers x d_model x d_ff ({LM['num_layers']} x {LM['d_model']} x {LM['d_ff']} = "
        f"{LLAMA_PARAMETERS - LLAMA_SWIGLU_AS_TWO:,} here) for SwiGLU models: SwiGLU has three matrices, w1 and w3 "
        "(d_ff x d_model) and w2 (d_model x d_ff). Count 3 x d_model x d_ff per block.",
    ),
]
