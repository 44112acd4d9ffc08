"""Training: tokenizer, batches, AdamW, schedule, clipping, checkpoints, evaluation, sampling."""

import math

import numpy as np
import torch
from einops import rearrange, reduce
from torch import Tensor

from .layers import softmax


class CharTokenizer:
    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.stoi = {ch: i for i, ch in enumerate(self.chars)}

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        unknown = [ch for ch in text if ch not in self.stoi]
        if unknown:
            raise ValueError(f"character {unknown[0]!r} is not in the vocabulary")
        return [self.stoi[ch] for ch in text]

    def decode(self, ids) -> str:
        if isinstance(ids, Tensor):
            ids = ids.tolist()
        return "".join(self.chars[i] for i in ids)


def get_batch(data, batch_size: int, context_length: int, device="cpu", generator=None):
    if isinstance(data, np.ndarray):
        data = torch.from_numpy(data)
    n = len(data)
    if n <= context_length:
        raise ValueError(f"data has {n} tokens, not enough for one window of {context_length} plus a target")
    starts = torch.randint(0, n - context_length, (batch_size,), generator=generator)
    offsets = torch.arange(context_length)
    index = rearrange(starts, "b -> b 1") + rearrange(offsets, "t -> 1 t")  # (B, T)
    x = data[index].long().to(device)
    y = data[index + 1].long().to(device)
    return x, y


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                state = self.state[p]
                if not state:
                    state["t"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                state["t"] += 1
                t = state["t"]
                state["m"] = beta1 * state["m"] + (1 - beta1) * g
                state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
                m_hat = state["m"] / (1 - beta1 ** t)
                v_hat = state["v"] / (1 - beta2 ** t)
                p.sub_(lr * wd * p)
                p.sub_(lr * m_hat / (v_hat.sqrt() + eps))
        return closure() if closure is not None else None


def cosine_lr_schedule(t: int, lr_max: float, lr_min: float, warmup_iters: int, cosine_iters: int) -> float:
    if t < warmup_iters:
        return t / warmup_iters * lr_max
    if t <= cosine_iters:
        progress = (t - warmup_iters) / (cosine_iters - warmup_iters) if cosine_iters > warmup_iters else 0.0
        return lr_min + 0.5 * (1 + math.cos(math.pi * progress)) * (lr_max - lr_min)
    return lr_min


def clip_grad_norm(parameters, max_norm: float, eps: float = 1e-6) -> Tensor:
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    wide = [g.to(torch.promote_types(g.dtype, torch.float32)) for g in grads]  # fp16 squares overflow
    squares = torch.stack([reduce(g * g, "... -> ", "sum") for g in wide])
    total = reduce(squares, "n -> ", "sum").sqrt()
    if total > max_norm:
        scale = max_norm / (total + eps)
        for g in grads:
            g.mul_(scale.to(g.dtype))
    return total


def save_checkpoint(out, model, optimizer, iteration: int) -> None:
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)


def load_checkpoint(src, model, optimizer) -> int:
    ckpt = torch.load(src, map_location="cpu")
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    return ckpt["iteration"]


def estimate_loss(model, data, batch_size: int, context_length: int, eval_iters: int, device="cpu", generator=None):
    was_training = model.training
    model.eval()
    losses = []
    with torch.no_grad():
        for _ in range(eval_iters):
            x, y = get_batch(data, batch_size, context_length, device, generator)
            _, loss = model(x, y)
            losses.append(loss.item())
    model.train(was_training)
    return sum(losses) / len(losses)


@torch.no_grad()
def generate(model, seq: Tensor, max_new_tokens: int, temperature: float = 1.0, top_k=None, top_p=None) -> Tensor:
    ctx = model.config.context_length
    for _ in range(max_new_tokens):
        logits = model(seq[:, -ctx:])[:, -1, :]  # (B, V)
        if temperature == 0:
            nxt = rearrange(logits.argmax(dim=-1), "b -> b 1")
        else:
            logits = logits / temperature
            if top_k is not None and top_k < logits.shape[-1]:
                kth = rearrange(torch.topk(logits, top_k, dim=-1).values[:, -1], "b -> b 1")
                logits = logits.masked_fill(logits < kth, float("-inf"))
            if top_p is not None:
                probs = softmax(logits, dim=-1)
                sorted_probs, order = probs.sort(dim=-1, descending=True)
                mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs
                drop_sorted = mass_before >= top_p
                drop_sorted[:, 0] = False  # always keep the most likely token
                drop = drop_sorted.scatter(-1, order, drop_sorted)
                logits = logits.masked_fill(drop, float("-inf"))
            nxt = torch.multinomial(softmax(logits, dim=-1), num_samples=1)
        seq = torch.cat((seq, nxt), dim=1)
    return seq
