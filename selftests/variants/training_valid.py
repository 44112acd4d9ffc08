"""Part 3's correct implementations: the valid variants (@valid or register_valid: each must score
full marks), and the correct bases that the wrong implementations in training.py override.

The functions are standalone (torch only). The tokenizer, AdamW and generate bases are written
as hooks, so each mistake overrides one. estimate_loss draws its batches with the reference's
get_batch (the part builds on get_batch).
"""

from __future__ import annotations

import io
import math

import torch
from torch import Tensor, nn

import solutions as _reference

from .registry import register_valid, valid

# --------------------------------------------------------------------------------------------
# CharTokenizer
# --------------------------------------------------------------------------------------------


@valid(
    "tokenizer_dict_comprehensions",
    "stoi/itos dicts built by comprehensions and vocab_size as an attribute",
    replaces="CharTokenizer",
)
class _CharTokenizer:
    """A correct tokenizer with stoi/itos dicts built by comprehensions; the mistakes override one method."""

    def __init__(self, text: str):
        self.chars = self._vocabulary(text)
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        self.itos = {i: c for i, c in enumerate(self.chars)}
        self.vocab_size = len(self.chars)

    @staticmethod
    def _vocabulary(text: str) -> list[str]:
        return sorted(set(text))

    def encode(self, text: str) -> list[int]:
        unknown = [c for c in text if c not in self.stoi]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not in the vocabulary")
        return [self.stoi[c] for c in text]

    def decode(self, ids) -> str:
        return "".join(self.itos[int(i)] for i in ids)


@valid(
    "tokenizer_str_find",
    "the vocabulary kept as one sorted string: encode with str.find, decode by indexing it",
    replaces="CharTokenizer",
)
class _TokenizerStrFind:
    def __init__(self, text: str):
        self.alphabet = "".join(sorted(set(text)))
        self.chars = list(self.alphabet)

    @property
    def vocab_size(self) -> int:
        return len(self.alphabet)

    def encode(self, text: str) -> list[int]:
        ids = []
        for c in text:
            i = self.alphabet.find(c)
            if i < 0:
                raise ValueError(f"unknown character {c!r}")
            ids.append(i)
        return ids

    def decode(self, ids) -> str:
        return "".join(self.alphabet[i] for i in (ids.tolist() if isinstance(ids, Tensor) else ids))


# --------------------------------------------------------------------------------------------
# get_batch
# --------------------------------------------------------------------------------------------


def _windows_or_raise(data, context_length: int) -> Tensor:
    data = torch.as_tensor(data)
    if len(data) <= context_length:
        raise ValueError(f"{len(data)} tokens hold no window of {context_length} plus its target")
    return data


@valid("get_batch_stack", "torch.stack of data[s : s + T] and data[s + 1 : s + T + 1] slices", replaces="get_batch")
def _get_batch_stack(data, batch_size, context_length, device="cpu", generator=None):
    data = _windows_or_raise(data, context_length)
    starts = torch.randint(len(data) - context_length, (batch_size,), generator=generator).tolist()
    inputs = torch.stack([data[s : s + context_length] for s in starts])
    targets = torch.stack([data[s + 1 : s + 1 + context_length] for s in starts])
    return inputs.to(device=device, dtype=torch.long), targets.to(device=device, dtype=torch.long)


@valid(
    "get_batch_unfold",
    "data.unfold(0, T + 1, 1) indexed at the drawn starts, split into inputs and targets",
    replaces="get_batch",
)
def _get_batch_unfold(data, batch_size, context_length, device="cpu", generator=None):
    data = _windows_or_raise(data, context_length)
    windows = data.unfold(0, context_length + 1, 1)  # (N - T, T + 1): every window with its next token
    picked = windows[torch.randint(0, windows.shape[0], (batch_size,), generator=generator)]
    return picked[:, :-1].long().to(device), picked[:, 1:].long().to(device)


# --------------------------------------------------------------------------------------------
# AdamW
# --------------------------------------------------------------------------------------------


class _AdamW(torch.optim.Optimizer):
    """A correct AdamW written as in the docstring, built from hooks; each variant overrides one."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    def _hyperparameters(self, group: dict) -> dict:
        return group

    def _gradient(self, p: Tensor) -> Tensor | None:
        return p.grad

    def _moments(self, p: Tensor, g: Tensor, group: dict, beta1: float, beta2: float) -> tuple[int, Tensor, Tensor]:
        """Counts this parameter's step and updates its running averages; returns (t, m, v)."""
        state = self.state[p]
        if not state:
            state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
        state["step"] += 1
        state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
        state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        return state["step"], state["m"], state["v"]

    def _update(self, p: Tensor, g: Tensor, group: dict, lr, beta1, beta2, eps, weight_decay) -> None:
        t, m, v = self._moments(p, g, group, beta1, beta2)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p.mul_(1 - lr * weight_decay)
        p.sub_(lr * m_hat / (v_hat.sqrt() + eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            h = self._hyperparameters(group)
            beta1, beta2 = h["betas"]
            for p in group["params"]:
                g = self._gradient(p)
                if g is not None:
                    self._update(p, g, group, h["lr"], beta1, beta2, h["eps"], h["weight_decay"])
        return loss


@valid(
    "adamw_torch_form",
    "torch's arithmetic: lerp_ for m, step size lr / bc1, denominator sqrt(v) / sqrt(bc2) + eps, addcdiv_",
    replaces="AdamW",
)
class _AdamWTorchForm(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        state = self.state[p]
        if not state:
            state.update(step=0, exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
        state["step"] += 1
        t, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
        p.mul_(1 - lr * weight_decay)
        exp_avg.lerp_(g, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        bias_correction1, bias_correction2 = 1 - beta1**t, 1 - beta2**t
        denom = (exp_avg_sq.sqrt() / math.sqrt(bias_correction2)).add_(eps)
        p.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)


@valid(
    "adamw_paper_order",
    "the Adam paper's efficient order: alpha_t = lr sqrt(1 - beta2^t) / (1 - beta1^t), "
    "then p -= alpha_t m / (sqrt(v) + eps)",
    replaces="AdamW",
)
class _AdamWPaperOrder(_AdamW):
    def _update(self, p, g, group, lr, beta1, beta2, eps, weight_decay):
        t, m, v = self._moments(p, g, group, beta1, beta2)
        p.mul_(1 - lr * weight_decay)
        alpha = lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)
        p.sub_(alpha * m / (v.sqrt() + eps))


@valid("adamw_tensor_step", "each parameter's step count kept as a float tensor, as torch.optim does", replaces="AdamW")
class _AdamWTensorStep(_AdamW):
    def _moments(self, p, g, group, beta1, beta2):
        state = self.state[p]
        if not state:
            state.update(step=torch.tensor(0.0), m=torch.zeros_like(p), v=torch.zeros_like(p))
        state["step"] += 1  # a float32 tensor, as torch.optim keeps it
        state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
        state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        return state["step"].item(), state["m"], state["v"]


@valid("adamw_torch_subclass", "a thin subclass of torch.optim.AdamW with the same signature", replaces="AdamW")
class _AdamWTorchSubclass(torch.optim.AdamW):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=False)


# --------------------------------------------------------------------------------------------
# cosine_lr_schedule
# --------------------------------------------------------------------------------------------


@valid(
    "cosine_half_times",
    "lr_min + 0.5 (lr_max - lr_min)(1 + cos) with three explicit branches",
    replaces="cosine_lr_schedule",
)
def _cosine_half_times(t, lr_max, lr_min, warmup_iters, cosine_iters):
    if t < warmup_iters:
        return lr_max * t / warmup_iters
    if t <= cosine_iters:
        progress = (t - warmup_iters) / max(1, cosine_iters - warmup_iters)
        return lr_min + 0.5 * (lr_max - lr_min) * (1.0 + math.cos(math.pi * progress))
    return lr_min


@valid(
    "cosine_clamped_progress",
    "after warmup, the cosine of a progress clamped to [0, 1] with min/max (flat at lr_min past the end)",
    replaces="cosine_lr_schedule",
)
def _cosine_clamped_progress(t, lr_max, lr_min, warmup_iters, cosine_iters):
    if t < warmup_iters:
        return t / warmup_iters * lr_max
    progress = min(max((t - warmup_iters) / max(cosine_iters - warmup_iters, 1), 0.0), 1.0)
    return lr_min + (1 + math.cos(math.pi * progress)) / 2 * (lr_max - lr_min)


# --------------------------------------------------------------------------------------------
# clip_grad_norm
# --------------------------------------------------------------------------------------------


def _global_norm(grads) -> Tensor:
    squares = [g.detach().float().pow(2).sum() for g in grads]
    return torch.stack(squares).sum().sqrt() if squares else torch.tensor(0.0)


@valid(
    "clip_grad_norm_stacked",
    "vector_norm of the stacked per-parameter norms; always multiplies by clamp(max_norm / (total + eps), max=1)",
    replaces="clip_grad_norm",
)
def _clip_grad_norm_stacked(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.detach()) for g in grads]))
    scale = torch.clamp(max_norm / (total + eps), max=1.0)  # multiplies by exactly 1 below max_norm
    for g in grads:
        g.detach().mul_(scale)
    return total


@valid("clip_grad_norm_no_eps", "scales by max_norm / total, without eps", replaces="clip_grad_norm")
def _clip_grad_norm_no_eps(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = _global_norm(grads)
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / total)
    return total


# --------------------------------------------------------------------------------------------
# save_checkpoint / load_checkpoint
# --------------------------------------------------------------------------------------------


def _save_checkpoint_bytes(out, model, optimizer, iteration):
    buffer = io.BytesIO()
    torch.save({"weights": model.state_dict(), "optimizer_state": optimizer.state_dict(), "step": iteration}, buffer)
    if hasattr(out, "write"):
        out.write(buffer.getvalue())
    else:
        with open(out, "wb") as f:
            f.write(buffer.getvalue())


def _load_checkpoint_bytes(src, model, optimizer):
    if hasattr(src, "read"):
        raw = src.read()
    else:
        with open(src, "rb") as f:
            raw = f.read()
    saved = torch.load(io.BytesIO(raw))
    model.load_state_dict(saved["weights"])
    optimizer.load_state_dict(saved["optimizer_state"])
    return saved["step"]


register_valid(
    "checkpoint_bytes_io",
    "other key names, serialised through an io.BytesIO and written/read as raw bytes",
    save_checkpoint=_save_checkpoint_bytes,
    load_checkpoint=_load_checkpoint_bytes,
)


def _save_checkpoint_list(out, model, optimizer, iteration):
    torch.save([iteration, model.state_dict(), optimizer.state_dict()], out)


def _load_checkpoint_list(src, model, optimizer):
    iteration, model_state, optimizer_state = torch.load(src, map_location="cpu")
    model.load_state_dict(model_state)
    optimizer.load_state_dict(optimizer_state)
    return int(iteration)


register_valid(
    "checkpoint_list_layout",
    "saves [iteration, model state, optimizer state] and loads with map_location='cpu'",
    save_checkpoint=_save_checkpoint_list,
    load_checkpoint=_load_checkpoint_list,
)


# --------------------------------------------------------------------------------------------
# estimate_loss
# --------------------------------------------------------------------------------------------


@valid(
    "estimate_loss_inference_mode",
    "torch.inference_mode, the losses stacked and averaged as a tensor, the mode restored in a finally",
    replaces="estimate_loss",
)
def _estimate_loss_inference_mode(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            losses = torch.stack([
                model(*_reference.get_batch(data, batch_size, context_length, device, generator))[1]
                for _ in range(eval_iters)
            ])
    finally:
        model.train(was_training)
    return losses.mean().item()


@valid(
    "estimate_loss_decorated",
    "@torch.no_grad() on the function, model.train(False), float(loss) summed",
    replaces="estimate_loss",
)
@torch.no_grad()
def _estimate_loss_decorated(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    mode = model.training
    model.train(False)
    total = 0.0
    for _ in range(eval_iters):
        inputs, targets = _reference.get_batch(data, batch_size, context_length, device, generator)
        total += float(model(inputs, targets)[1])
    model.train(mode)
    return total / eval_iters


# --------------------------------------------------------------------------------------------
# generate
# --------------------------------------------------------------------------------------------


class _Generate:
    """A correct generate (torch.softmax + torch.multinomial, top_k by sorting), built from hooks;
    an instance is the replacement, and each variant overrides one hook."""

    def _context(self, model: nn.Module, idx: Tensor) -> Tensor:
        return idx[:, -model.config.context_length :]

    def _next_logits(self, logits: Tensor) -> Tensor:  # (B, T, V) -> (B, V)
        return logits[:, -1, :]

    def _scale(self, logits: Tensor, temperature: float) -> Tensor:
        return logits / temperature

    def _top_k(self, logits: Tensor, k: int) -> Tensor:
        if k >= logits.shape[-1]:
            return logits
        kth = logits.sort(dim=-1, descending=True).values[:, k - 1 : k]
        return logits.masked_fill(logits < kth, float("-inf"))

    def _top_p(self, probs: Tensor, p: float) -> Tensor:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        drop_sorted = sorted_probs.cumsum(dim=-1) - sorted_probs >= p  # the more likely ones already reach p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        return probs.masked_fill(drop, 0.0)

    def _sample(self, probs: Tensor) -> Tensor:  # (B, V) -> (B, 1)
        return torch.multinomial(probs, num_samples=1)

    def _pick(self, logits: Tensor, temperature: float, top_k: int | None, top_p: float | None) -> Tensor:
        if temperature == 0:
            return logits.argmax(dim=-1, keepdim=True)
        logits = self._scale(logits, temperature)
        if top_k is not None:
            logits = self._top_k(logits, top_k)
        probs = torch.softmax(logits, dim=-1)
        if top_p is not None:
            probs = self._top_p(probs, top_p)
        return self._sample(probs)

    def _result(self, prompt: Tensor, out: Tensor) -> Tensor:
        return out

    @torch.no_grad()
    def __call__(self, model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None):
        out = idx
        for _ in range(max_new_tokens):
            logits = self._next_logits(model(self._context(model, out)))
            out = torch.cat([out, self._pick(logits, temperature, top_k, top_p)], dim=1)
        return self._result(idx, out)


register_valid(
    "generate_sorted_top_k",
    "torch.softmax and torch.multinomial; top_k threshold from sort, top_p mask scattered back from sorted order",
    generate=_Generate(),
)


class _GenerateGumbelMax(_Generate):
    def _sample(self, probs: Tensor) -> Tensor:
        # argmax(log p + Gumbel noise) is a sample from p; -log(Exp(1)) is Gumbel(0, 1)
        noise = -torch.empty_like(probs).exponential_().log()
        return (probs.log() + noise).argmax(dim=-1, keepdim=True)


register_valid(
    "generate_gumbel_max",
    "samples by Gumbel-max, argmax(log p - log(Exp(1) noise)), instead of torch.multinomial",
    generate=_GenerateGumbelMax(),
)
