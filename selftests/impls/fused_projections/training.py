"""Part 3: data, optimizer, schedule, clipping, checkpoints, evaluation and sampling."""

import math

import torch
from torch import Tensor, nn

from .model import softmax


class CharTokenizer:
    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self._index = {c: i for i, c in enumerate(self.chars)}
        self.vocab_size = len(self.chars)

    def encode(self, text: str) -> list[int]:
        try:
            return [self._index[c] for c in text]
        except KeyError as missing:
            raise ValueError(f"unknown character {missing.args[0]!r}: not in the tokenizer's vocabulary") from None

    def decode(self, ids) -> str:
        if torch.is_tensor(ids):
            ids = ids.tolist()
        chars = self.chars
        return "".join([chars[i] for i in ids])


def get_batch(data, batch_size: int, context_length: int, device="cpu", generator=None):
    data = torch.as_tensor(data)
    if data.numel() <= context_length:
        raise ValueError(f"need more than {context_length} tokens for a window and its targets, got {data.numel()}")
    starts = torch.randint(data.numel() - context_length, (batch_size,), generator=generator)
    # One gather of T + 1 tokens per row; inputs and targets are two views of it.
    window = data[starts.unsqueeze(1) + torch.arange(context_length + 1)].long()
    x, y = window[:, :-1], window[:, 1:]
    if torch.device(device).type == "cuda":
        return x.pin_memory().to(device, non_blocking=True), y.pin_memory().to(device, non_blocking=True)
    return x.contiguous().to(device), y.contiguous().to(device)


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        if lr < 0 or eps < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"invalid AdamW hyperparameters: lr={lr}, betas={betas}, eps={eps}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["steps"] = 0
                    state["first_moment"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["second_moment"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                m, v = state["first_moment"], state["second_moment"]
                state["steps"] += 1
                t = state["steps"]

                p.mul_(1 - lr * wd)  # decoupled decay, from the pre-update value
                m.lerp_(grad, 1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                bias_correction1 = 1 - beta1**t
                bias_correction2 = 1 - beta2**t
                # lr * m_hat / (sqrt(v_hat) + eps) with the corrections folded into scalars
                denom = (v.sqrt() / math.sqrt(bias_correction2)).add_(eps)
                p.addcdiv_(m, denom, value=-lr / bias_correction1)
        return loss


def cosine_lr_schedule(t: int, lr_max: float, lr_min: float, warmup_iters: int, cosine_iters: int) -> float:
    if t < warmup_iters:
        return lr_max * t / warmup_iters
    if t > cosine_iters:
        return lr_min
    span = cosine_iters - warmup_iters
    cosine = math.cos(math.pi * (t - warmup_iters) / span) if span > 0 else 1.0
    return lr_min + 0.5 * (1.0 + cosine) * (lr_max - lr_min)


def clip_grad_norm(parameters, max_norm: float, eps: float = 1e-6) -> Tensor:
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.zeros(())
    # Accumulate in at least float32 (an fp16 sum of squares overflows), float64 stays float64.
    per_tensor = torch.stack([torch.linalg.vector_norm(g, dtype=torch.promote_types(g.dtype, torch.float32))
                              for g in grads])
    total = torch.linalg.vector_norm(per_tensor)
    # Branch-free, like torch: the factor is clamped to 1, so small gradients are multiplied by
    # exactly 1.0 (unchanged) and there is no host sync on `total > max_norm`.
    factor = (max_norm / (total + eps)).clamp(max=1.0)
    for g in grads:
        g.mul_(factor.to(g.dtype))
    return total


def save_checkpoint(out, model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None:
    torch.save({"model_state": model.state_dict(), "optim_state": optimizer.state_dict(), "iter": iteration}, out)


def load_checkpoint(src, model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    checkpoint = torch.load(src, map_location="cpu")
    model.load_state_dict(checkpoint["model_state"])
    optimizer.load_state_dict(checkpoint["optim_state"])
    return int(checkpoint["iter"])


def estimate_loss(model: nn.Module, data, batch_size: int, context_length: int, eval_iters: int,
                  device="cpu", generator=None) -> float:
    mode = model.training
    model.eval()
    total = 0.0
    try:
        with torch.no_grad():
            for _ in range(eval_iters):
                inputs, targets = get_batch(data, batch_size, context_length, device, generator)
                total += model(inputs, targets)[1].item()
    finally:
        model.train(mode)
    return total / eval_iters


@torch.no_grad()
def generate(model: nn.Module, idx: Tensor, max_new_tokens: int, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None) -> Tensor:
    B, T = idx.shape
    ctx = model.config.context_length
    # Preallocate the whole output and fill it in, instead of concatenating every step.
    out = torch.empty((B, T + max_new_tokens), dtype=idx.dtype, device=idx.device)
    out[:, :T] = idx
    for t in range(T, T + max_new_tokens):
        logits = model(out[:, max(0, t - ctx):t])[:, -1, :]
        if temperature == 0:
            out[:, t] = logits.argmax(dim=-1)
            continue
        logits = logits / temperature
        if top_k is not None and top_k < logits.shape[-1]:
            top_values, top_indices = torch.topk(logits, top_k, dim=-1)
            logits = torch.full_like(logits, float("-inf")).scatter_(-1, top_indices, top_values)
        probs = softmax(logits, dim=-1)
        if top_p is not None:
            # Work in sorted order and sample there; map the chosen rank back to a token id.
            sorted_probs, order = probs.sort(dim=-1, descending=True)
            outside = sorted_probs.cumsum(dim=-1) - sorted_probs >= top_p
            outside[:, 0] = False
            sorted_probs = sorted_probs.masked_fill(outside, 0.0)
            rank = torch.multinomial(sorted_probs, 1)
            out[:, t] = order.gather(-1, rank).squeeze(-1)
        else:
            out[:, t] = torch.multinomial(probs, 1).squeeze(-1)
    return out
