"""Known mistakes of Part 3: training (solutions/training.py; grader/cases/training.py, sampling.py, end_to_end.py).

Each entry's wrong implementation is registered under the same id in selftests/variants/training.py.
"""

from __future__ import annotations

import math

from grader.cases.end_to_end import REFERENCE_LOSS, STEPS, TRAINING_MARGIN
from grader.cases.stand_ins import GEN_CONTEXT, GEN_VOCAB
from grader.cases.training import (
    SCHEDULES,
    SMALL_GRADIENTS,
    SPREAD_N,
    SPREAD_T,
    TEXT,
    TWO_GROUPS,
    WINDOW_DATA,
)

from .mistake import Mistake

# What the prose restates from the cases, computed from them so that changing a case changes the text.
SMALL_GROUP = SMALL_GRADIENTS[1]
SMALL_GROUP_BETAS_TRAJECTORY = TWO_GROUPS[1]["betas"]
VOCABULARY, FIRST_SEEN = sorted(set(TEXT)), list(dict.fromkeys(TEXT))  # the right ids, and the mistake's
LAST_START = SPREAD_N - SPREAD_T - 1  # get_batch/every_start's last valid start
WINDOW_DTYPE = str(WINDOW_DATA.dtype).removeprefix("torch.")  # get_batch/shifted_windows' data's dtype
LR_MAX, LR_MIN, WARMUP, COSINE = next(s for s in SCHEDULES.values() if s[2] > 0)  # the schedule with a warmup
NO_WARMUP = next(s for s in SCHEDULES.values() if s[2] == 0)
TOP_K_ABOVE_VOCABULARY = GEN_VOCAB + 8  # generate/top_k_above_vocabulary's top_k


def first_ids(vocabulary: list[str]) -> str:
    """The ids of TEXT's first four characters, numbered by their place in `vocabulary`."""
    return ", ".join(str(vocabulary.index(c)) for c in TEXT[:4])


def cosine(t: int, decay_length: int = COSINE - WARMUP) -> float:
    """The schedule's cosine phase at step t, its progress measured over decay_length steps (with no flat end)."""
    return LR_MIN + (1 + math.cos(math.pi * (t - WARMUP) / decay_length)) / 2 * (LR_MAX - LR_MIN)


MISTAKES: list[Mistake] = [
    # -- CharTokenizer --
    Mistake(
        "tokenizer_first_appearance_order", "tokenizer",
        "Numbers the characters in order of first appearance instead of in sorted order.",
        f"Only `tokenizer/round_trip` fails: encode gives [{first_ids(FIRST_SEEN)}, ...] where "
        f"[{first_ids(VOCABULARY)}, ...] is expected; decoding still gives the text back.",
        f"Your ids follow the order in which characters first appear ({TEXT[0]!r} gets 0). Build the vocabulary as "
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
        f"`tokenizer/round_trip` errors with KeyError: tensor({VOCABULARY.index(TEXT[0])}) when it "
        "decodes a 1-D tensor; decoding a list works.",
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
        f"Only `get_batch/every_start` fails: in 800 windows of {SPREAD_T} tokens from {SPREAD_N}, no window starts at "
        f"{LAST_START}.",
        f"Your last valid start never comes up: with {SPREAD_N} tokens and windows of {SPREAD_T} the starts run "
        f"0 .. {LAST_START}, and torch.randint's upper bound is exclusive. Draw from torch.randint(len(data) - "
        "context_length, ...).",
    ),
    Mistake(
        "get_batch_ignores_generator", "get_batch",
        "Draws the starts from torch's global generator, ignoring the `generator` argument.",
        "Only `get_batch/seeded` fails: two generators with the same seed give different batches.",
        "Your batches do not follow the generator you are given: two generators with the same seed gave different "
        "batches. Pass generator=generator to torch.randint.",
    ),
    Mistake(
        "get_batch_keeps_data_dtype", "get_batch",
        "Returns the windows in the data's own dtype instead of converting them to int64 (long).",
        f"Only `get_batch/shifted_windows` fails, whose data is {WINDOW_DTYPE}: inputs and targets come back as "
        f"{WINDOW_DTYPE}; the other cases draw from int64 data and pass.",
        f"Your batches keep the data's dtype ({WINDOW_DTYPE} in the check), but token ids must be int64 for an "
        "Embedding lookup and for cross_entropy's targets: convert the windows with .long() (or .to(torch.int64)).",
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
        "Only `adamw/small_gradients` fails, whose gradients (about 3e-4) are small enough for eps to matter: every "
        "update of `s` is off by a large factor; the other cases, with larger gradients, pass.",
        "Your updates are off only where the gradients are tiny: eps belongs outside the square root. Divide by "
        "sqrt(v_hat) + eps, not sqrt(v_hat + eps).",
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
        f"0.1 instead of its group's {TWO_GROUPS[0]['weight_decay']}.",
        "Your optimizer ignores each parameter group's own settings: a group's lr, betas and weight_decay override the "
        "defaults. Read them from group['lr'], group['betas'], ... inside the loop over self.param_groups.",
    ),
    Mistake(
        "adamw_ignores_group_betas_and_eps", "adamw",
        "Reads betas and eps from self.defaults instead of from each parameter group (a group's lr is read).",
        "`adamw/trajectory` fails on `b`, whose group has its own betas "
        f"{SMALL_GROUP_BETAS_TRAJECTORY}, and `adamw/small_gradients` on `s`, whose group has its own eps "
        f"{SMALL_GROUP['eps']:g} and betas {SMALL_GROUP['betas']}.",
        "Your optimizer ignores a parameter group's own betas and eps: like lr and weight_decay, they override the "
        "defaults. Read them from group['betas'] and group['eps'] inside the loop over self.param_groups.",
    ),
    Mistake(
        "adamw_crashes_on_missing_grad", "adamw",
        "Uses p.grad without checking it, so a parameter that got no gradient (frozen or unused) raises a TypeError.",
        "Only `adamw/skips_missing_gradients` errors, with TypeError, on the steps where `b` has no gradient.",
        "Your optimizer crashes on a parameter whose .grad is None (frozen, or unused in this step's loss). Skip it: "
        "`if p.grad is None: continue` at the top of the loop over a group's parameters.",
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
        f"`cosine_lr_schedule/values` fails throughout the warmup: at t=0 it gives {LR_MAX / WARMUP:g} instead of 0 "
        f"(lr_max {LR_MAX:g}, warmup_iters {WARMUP}), and it is wrong at t = 0 .. {WARMUP - 1}.",
        "Your warmup is one step ahead: at t = 0 the rate should be 0, rising linearly to lr_max at t = warmup_iters. "
        "Use t / warmup_iters * lr_max.",
    ),
    Mistake(
        "cosine_progress_over_cosine_iters", "cosine_lr_schedule",
        "Measures the cosine progress as (t - warmup_iters) / cosine_iters instead of dividing by cosine_iters - "
        "warmup_iters.",
        f"`cosine_lr_schedule/values` fails from the first step of the decay: at t={WARMUP + 1} it gives "
        f"{cosine(WARMUP + 1, decay_length=COSINE):.6g} instead of {cosine(WARMUP + 1):.6g} (warmup_iters {WARMUP}, "
        f"cosine_iters {COSINE}), and the rate has not reached lr_min at t = cosine_iters.",
        "Your decay is too slow and has not reached lr_min at t = cosine_iters: the progress should run from 0 to 1 "
        "over the decay phase. Divide by its length, cosine_iters - warmup_iters.",
    ),
    Mistake(
        "cosine_never_flat", "cosine_lr_schedule",
        "Has no flat end: past cosine_iters the cosine climbs back up instead of staying at lr_min.",
        f"`cosine_lr_schedule/values` fails only after the decay: at t={COSINE + 1} it gives {cosine(COSINE + 1):.6g} "
        f"instead of {LR_MIN:.6g} (cosine_iters {COSINE}).",
        "Your rate rises again after t = cosine_iters: the cosine keeps going past progress 1. Return lr_min for every "
        "t > cosine_iters.",
    ),
    Mistake(
        "cosine_warmup_divides_by_zero", "cosine_lr_schedule",
        "Computes t / warmup_iters for every t, so warmup_iters = 0 raises ZeroDivisionError.",
        "`cosine_lr_schedule/values` errors with ZeroDivisionError on the schedule without warmup "
        f"(warmup_iters {NO_WARMUP[2]}).",
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
        f"context length is {GEN_CONTEXT}. The sampling cases, which generate one token, pass.",
        f"Your generate feeds the model more tokens than its context length (16 for a context of {GEN_CONTEXT}). Crop "
        "to the last context_length tokens before each call: idx[:, -model.config.context_length:].",
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
        "Only `training/validation_loss_falls` fails: the validation loss starts near 17 and ends near 2.1 after "
        f"{STEPS} steps, above the {REFERENCE_LOSS + TRAINING_MARGIN:.2f} bar. Every unit case passes, because those "
        "load their own weights.",
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
        f"Only `generate/top_k_above_vocabulary` (top_k {TOP_K_ABOVE_VOCABULARY}, vocabulary {GEN_VOCAB}) errors, with "
        "RuntimeError: selected index k out of range.",
        f"Your top_k crashes when top_k is larger than the vocabulary ({TOP_K_ABOVE_VOCABULARY} for {GEN_VOCAB} tokens "
        "here). Cap it with min(top_k, logits.size(-1)): keeping every token is then the right answer.",
    ),
]
