"""Part 3's known mistakes: the wrong implementation of every entry of grader/mistakes/training.py,
registered under the entry's id by @wrong at its definition (or by register_wrong right below it,
for a checkpoint pair or a generate instance).

The tokenizer, AdamW and generate mistakes each override one hook of a correct base in
training_valid.py, so a mistake differs from a correct implementation in exactly one place.
The end-to-end mistake subclasses the reference TransformerLM, as the Part 2 ones do.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

import solutions as _reference

from .registry import register_wrong, wrong
from .training_valid import _AdamW, _CharTokenizer, _cosine_half_times, _Generate, _global_norm, _windows_or_raise

# --------------------------------------------------------------------------------------------
# CharTokenizer
# --------------------------------------------------------------------------------------------


@wrong("tokenizer_first_appearance_order", replaces="CharTokenizer")
class _TokenizerFirstAppearance(_CharTokenizer):
    @staticmethod
    def _vocabulary(text: str) -> list[str]:
        return list(dict.fromkeys(text))  # order of first appearance, not sorted


@wrong("tokenizer_key_error", replaces="CharTokenizer")
class _TokenizerKeyError(_CharTokenizer):
    def encode(self, text: str) -> list[int]:
        return [self.stoi[c] for c in text]  # an unknown character raises KeyError


@wrong("tokenizer_decode_tensor_keys", replaces="CharTokenizer")
class _TokenizerDecodeTensorKeys(_CharTokenizer):
    def decode(self, ids) -> str:
        return "".join(self.itos[i] for i in ids)  # a tensor element is no int key: KeyError


# --------------------------------------------------------------------------------------------
# get_batch
# --------------------------------------------------------------------------------------------


def _batch_at(data: Tensor, starts: Tensor, context_length: int, device, shift: int = 1) -> tuple[Tensor, Tensor]:
    positions = starts[:, None] + torch.arange(context_length)  # (B, T)
    return data[positions].long().to(device), data[positions + shift].long().to(device)


@wrong("get_batch_targets_not_shifted", replaces="get_batch")
def _get_batch_targets_not_shifted(data, batch_size, context_length, device="cpu", generator=None):
    data = _windows_or_raise(data, context_length)
    starts = torch.randint(len(data) - context_length, (batch_size,), generator=generator)
    return _batch_at(data, starts, context_length, device, shift=0)


@wrong("get_batch_last_start_missing", replaces="get_batch")
def _get_batch_last_start_missing(data, batch_size, context_length, device="cpu", generator=None):
    data = _windows_or_raise(data, context_length)
    starts = torch.randint(len(data) - context_length - 1, (batch_size,), generator=generator)  # never N - T - 1
    return _batch_at(data, starts, context_length, device)


@wrong("get_batch_ignores_generator", replaces="get_batch")
def _get_batch_ignores_generator(data, batch_size, context_length, device="cpu", generator=None):
    data = _windows_or_raise(data, context_length)
    starts = torch.randint(len(data) - context_length, (batch_size,))  # torch's global generator
    return _batch_at(data, starts, context_length, device)


@wrong("get_batch_keeps_data_dtype", replaces="get_batch")
def _get_batch_keeps_data_dtype(data, batch_size, context_length, device="cpu", generator=None):
    data = _windows_or_raise(data, context_length)
    positions = torch.randint(len(data) - context_length, (batch_size,), generator=generator)[:, None]
    positions = positions + torch.arange(context_length)
    return data[positions].to(device), data[positions + 1].to(device)  # int32 data gives int32 ids


# --------------------------------------------------------------------------------------------
# AdamW
# --------------------------------------------------------------------------------------------


@wrong("adamw_l2_regularisation", replaces="AdamW")
class _AdamWL2(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        g = g + weight_decay * p  # Adam with L2: the decay goes through m and v
        t, m, v = self._moments(p, g, group, beta1, beta2)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p.sub_(lr * m_hat / (v_hat.sqrt() + eps))


@wrong("adamw_no_bias_correction", replaces="AdamW")
class _AdamWNoBiasCorrection(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        _, m, v = self._moments(p, g, group, beta1, beta2)
        p.mul_(1 - lr * weight_decay)
        p.sub_(lr * m / (v.sqrt() + eps))


@wrong("adamw_decay_without_lr", replaces="AdamW")
class _AdamWDecayWithoutLr(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        t, m, v = self._moments(p, g, group, beta1, beta2)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p.mul_(1 - weight_decay)  # not scaled by lr
        p.sub_(lr * m_hat / (v_hat.sqrt() + eps))


@wrong("adamw_decay_after_update", replaces="AdamW")
class _AdamWDecayAfterUpdate(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        t, m, v = self._moments(p, g, group, beta1, beta2)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p.sub_(lr * m_hat / (v_hat.sqrt() + eps))
        p.sub_(lr * weight_decay * p)  # uses p after this step's update


@wrong("adamw_eps_inside_sqrt", replaces="AdamW")
class _AdamWEpsInsideSqrt(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        t, m, v = self._moments(p, g, group, beta1, beta2)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p.mul_(1 - lr * weight_decay)
        p.sub_(lr * m_hat / (v_hat + eps).sqrt())


@wrong("adamw_rebinds_parameter", replaces="AdamW")
class _AdamWRebindsParameter(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        t, m, v = self._moments(p, g, group, beta1, beta2)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p = p * (1 - lr * weight_decay)  # new tensors bound to the local name: the parameter never changes
        p = p - lr * m_hat / (v_hat.sqrt() + eps)


@wrong("adamw_step_per_group", replaces="AdamW")
class _AdamWStepPerGroup(_AdamW):
    def _moments(self, p, g, group, beta1, beta2):
        state = self.state[p]
        if not state:
            state.update(m=torch.zeros_like(p), v=torch.zeros_like(p))
        if p is group["params"][0]:
            group["t"] = group.get("t", 0) + 1  # counted once per step() for the whole group
        state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
        state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        return group["t"], state["m"], state["v"]


@wrong("adamw_ignores_groups", replaces="AdamW")
class _AdamWIgnoresGroups(_AdamW):
    def _hyperparameters(self, group: dict) -> dict:
        return self.defaults  # a group's own lr / betas / weight_decay are never read


@wrong("adamw_ignores_group_betas_and_eps", replaces="AdamW")
class _AdamWIgnoresGroupBetasAndEps(_AdamW):
    def _hyperparameters(self, group: dict) -> dict:
        # a group's lr is read, its betas not
        return {**group, "betas": self.defaults["betas"], "eps": self.defaults["eps"]}


@wrong("adamw_crashes_on_missing_grad", replaces="AdamW")
class _AdamWCrashesOnMissingGrad(_AdamW):
    def _gradient(self, p: Tensor) -> Tensor:
        return p.grad * 1  # None * 1: a TypeError on a parameter that got no gradient


@wrong("adamw_missing_grad_as_zero", replaces="AdamW")
class _AdamWMissingGradAsZero(_AdamW):
    def _gradient(self, p: Tensor) -> Tensor | None:
        return p.grad if p.grad is not None else torch.zeros_like(p)


# --------------------------------------------------------------------------------------------
# cosine_lr_schedule
# --------------------------------------------------------------------------------------------


@wrong("cosine_warmup_off_by_one", replaces="cosine_lr_schedule")
def _cosine_warmup_off_by_one(t, lr_max, lr_min, warmup_iters, cosine_iters):
    if t < warmup_iters:
        return (t + 1) / warmup_iters * lr_max
    return _cosine_half_times(t, lr_max, lr_min, warmup_iters, cosine_iters)


@wrong("cosine_progress_over_cosine_iters", replaces="cosine_lr_schedule")
def _cosine_progress_over_cosine_iters(t, lr_max, lr_min, warmup_iters, cosine_iters):
    if t < warmup_iters:
        return t / warmup_iters * lr_max
    if t <= cosine_iters:
        progress = (t - warmup_iters) / cosine_iters  # should be over cosine_iters - warmup_iters
        return lr_min + (1 + math.cos(math.pi * progress)) / 2 * (lr_max - lr_min)
    return lr_min


@wrong("cosine_never_flat", replaces="cosine_lr_schedule")
def _cosine_never_flat(t, lr_max, lr_min, warmup_iters, cosine_iters):
    if t < warmup_iters:
        return t / warmup_iters * lr_max
    progress = (t - warmup_iters) / (cosine_iters - warmup_iters)  # past 1 the cosine climbs again
    return lr_min + (1 + math.cos(math.pi * progress)) / 2 * (lr_max - lr_min)


@wrong("cosine_warmup_divides_by_zero", replaces="cosine_lr_schedule")
def _cosine_warmup_divides_by_zero(t, lr_max, lr_min, warmup_iters, cosine_iters):
    warmed = t / warmup_iters  # ZeroDivisionError when warmup_iters = 0
    if warmed < 1:
        return warmed * lr_max
    return _cosine_half_times(t, lr_max, lr_min, warmup_iters, cosine_iters)


# --------------------------------------------------------------------------------------------
# clip_grad_norm
# --------------------------------------------------------------------------------------------


@wrong("clip_grad_norm_per_parameter", replaces="clip_grad_norm")
def _clip_grad_norm_per_parameter(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = _global_norm(grads)
    for g in grads:
        norm = g.norm()
        if norm > max_norm:
            g.mul_(max_norm / (norm + eps))  # each gradient clipped on its own
    return total


@wrong("clip_grad_norm_scales_up", replaces="clip_grad_norm")
def _clip_grad_norm_scales_up(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = _global_norm(grads)
    for g in grads:
        g.mul_(max_norm / (total + eps))  # also when total < max_norm
    return total


@wrong("clip_grad_norm_iterates_twice", replaces="clip_grad_norm")
def _clip_grad_norm_iterates_twice(parameters, max_norm, eps=1e-6):
    total = _global_norm(p.grad for p in parameters if p.grad is not None)
    if total > max_norm:
        for p in parameters:  # a generator is used up by now: nothing gets clipped
            if p.grad is not None:
                p.grad.mul_(max_norm / (total + eps))
    return total


@wrong("clip_grad_norm_returns_none", replaces="clip_grad_norm")
def _clip_grad_norm_returns_none(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = _global_norm(grads)
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / (total + eps))


@wrong("clip_grad_norm_returns_clipped_norm", replaces="clip_grad_norm")
def _clip_grad_norm_returns_clipped_norm(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = _global_norm(grads)
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / (total + eps))
    return _global_norm(grads)  # the norm after clipping


@wrong("clip_grad_norm_missing_grad_crashes", replaces="clip_grad_norm")
def _clip_grad_norm_missing_grad_crashes(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters]  # None for a frozen or unused parameter
    total = torch.sqrt(sum((g**2).sum() for g in grads))
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / (total + eps))
    return total


# --------------------------------------------------------------------------------------------
# save_checkpoint / load_checkpoint
# --------------------------------------------------------------------------------------------


def _save_checkpoint(out, model, optimizer, iteration):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)


def _save_checkpoint_model_only(out, model, optimizer, iteration):
    torch.save({"model": model.state_dict(), "iteration": iteration}, out)  # no optimizer state


def _load_checkpoint_model_only(src, model, optimizer):
    saved = torch.load(src)
    model.load_state_dict(saved["model"])
    return saved["iteration"]


register_wrong(
    "checkpoint_model_only",
    save_checkpoint=_save_checkpoint_model_only,
    load_checkpoint=_load_checkpoint_model_only,
)


def _load_checkpoint_optimizer_not_restored(src, model, optimizer):
    saved = torch.load(src)
    model.load_state_dict(saved["model"])  # saved["optimizer"] is never loaded
    return saved["iteration"]


register_wrong(
    "checkpoint_optimizer_not_restored",
    save_checkpoint=_save_checkpoint,
    load_checkpoint=_load_checkpoint_optimizer_not_restored,
)


def _load_checkpoint_returns_none(src, model, optimizer):
    saved = torch.load(src)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])  # and no return statement


register_wrong(
    "checkpoint_load_returns_none",
    save_checkpoint=_save_checkpoint,
    load_checkpoint=_load_checkpoint_returns_none,
)


# --------------------------------------------------------------------------------------------
# estimate_loss
# --------------------------------------------------------------------------------------------


def _mean_loss(model, data, batch_size, context_length, eval_iters, device, generator) -> float:
    losses = []
    for _ in range(eval_iters):
        inputs, targets = _reference.get_batch(data, batch_size, context_length, device, generator)
        losses.append(model(inputs, targets)[1].item())
    return sum(losses) / len(losses)


@wrong("estimate_loss_leaves_eval_mode", replaces="estimate_loss")
def _estimate_loss_leaves_eval_mode(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    model.eval()
    with torch.no_grad():
        return _mean_loss(model, data, batch_size, context_length, eval_iters, device, generator)  # never switched back


@wrong("estimate_loss_no_eval_mode", replaces="estimate_loss")
def _estimate_loss_no_eval_mode(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    with torch.no_grad():  # dropout stays on
        return _mean_loss(model, data, batch_size, context_length, eval_iters, device, generator)


@wrong("estimate_loss_no_no_grad", replaces="estimate_loss")
def _estimate_loss_no_no_grad(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    was_training = model.training
    model.eval()
    # No torch.no_grad(): every call builds an autograd graph.
    loss = _mean_loss(model, data, batch_size, context_length, eval_iters, device, generator)
    model.train(was_training)
    return loss


@wrong("estimate_loss_always_train_after", replaces="estimate_loss")
def _estimate_loss_always_train_after(
    model, data, batch_size, context_length, eval_iters, device="cpu", generator=None
):
    model.eval()
    with torch.no_grad():
        loss = _mean_loss(model, data, batch_size, context_length, eval_iters, device, generator)
    model.train()  # even if the model was in eval mode before
    return loss


@wrong("estimate_loss_ignores_generator", replaces="estimate_loss")
def _estimate_loss_ignores_generator(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        loss = _mean_loss(model, data, batch_size, context_length, eval_iters, device, None)  # generator not passed on
    model.train(was_training)
    return loss


# --------------------------------------------------------------------------------------------
# generate
# --------------------------------------------------------------------------------------------


class _GenerateNoCrop(_Generate):
    def _context(self, model, idx):
        return idx  # grows past the context length


register_wrong("generate_no_crop", generate=_GenerateNoCrop())


class _GenerateCropsFirstTokens(_Generate):
    def _context(self, model, idx):
        return idx[:, : model.config.context_length]


register_wrong("generate_crops_first_tokens", generate=_GenerateCropsFirstTokens())


class _GenerateFirstPosition(_Generate):
    def _next_logits(self, logits):
        return logits[:, 0, :]  # the prediction after the first token, not the last


register_wrong("generate_first_position", generate=_GenerateFirstPosition())


class _GenerateTemperatureMultiplies(_Generate):
    def _scale(self, logits, temperature):
        return logits * temperature


register_wrong("generate_temperature_multiplies", generate=_GenerateTemperatureMultiplies())


class _GenerateTopKSmallest(_Generate):
    def _top_k(self, logits, k):
        kth_smallest = logits.sort(dim=-1).values[:, k - 1 : k]
        return logits.masked_fill(logits > kth_smallest, float("-inf"))


register_wrong("generate_top_k_smallest", generate=_GenerateTopKSmallest())


class _GenerateTopKTooLarge(_Generate):
    def _top_k(self, logits, k):
        kth = torch.topk(logits, k, dim=-1).values[:, -1:]  # RuntimeError when k > vocabulary size
        return logits.masked_fill(logits < kth, float("-inf"))


register_wrong("generate_top_k_too_large", generate=_GenerateTopKTooLarge())


class _GenerateTopPDropsCrossingToken(_Generate):
    def _top_p(self, probs, p):
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        drop_sorted = sorted_probs.cumsum(dim=-1) > p  # also drops the token that reaches p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        return probs.masked_fill(drop, 0.0)


register_wrong("generate_top_p_drops_crossing_token", generate=_GenerateTopPDropsCrossingToken())


class _GenerateTemperatureZeroDivides(_Generate):
    def _pick(self, logits, temperature, top_k, top_p):
        logits = self._scale(logits, temperature)  # temperature 0: inf and NaN, no argmax branch
        if top_k is not None:
            logits = self._top_k(logits, top_k)
        probs = torch.softmax(logits, dim=-1)
        if top_p is not None:
            probs = self._top_p(probs, top_p)
        return self._sample(probs)


register_wrong("generate_temperature_zero_divides", generate=_GenerateTemperatureZeroDivides())


class _GenerateReturnsOnlyNewTokens(_Generate):
    def _result(self, prompt, out):
        return out[:, prompt.shape[1] :]


register_wrong("generate_returns_only_new_tokens", generate=_GenerateReturnsOnlyNewTokens())


# --------------------------------------------------------------------------------------------
# Training end to end
# --------------------------------------------------------------------------------------------


@wrong("lm_linear_init_std_one", replaces="TransformerLM")
class _LMLinearInitStdOne(_reference.TransformerLM):
    """Every other part passes: the unit cases load their own weights into the model."""

    def __init__(self, config, device=None, dtype=None):
        super().__init__(config, device=device, dtype=dtype)
        for module in self.modules():
            if isinstance(module, _reference.Linear):
                nn.init.normal_(module.weight)  # std 1 (normal_'s default), not sqrt(2 / (in + out))
