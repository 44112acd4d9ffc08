"""Training utilities, each after its paper: Adam/AdamW, SGDR's cosine, gradient clipping, nucleus sampling."""

import math

import torch
from torch import Tensor, nn

from .layers import softmax


class CharTokenizer:
    """One token per distinct character, ids in sorted order."""

    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self._id_of = {c: i for i, c in enumerate(self.chars)}

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        unknown = next((c for c in text if c not in self._id_of), None)
        if unknown is not None:
            raise ValueError(f"unknown character {unknown!r}: it does not occur in the tokenizer's text")
        return [self._id_of[c] for c in text]

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def get_batch(data, batch_size: int, context_length: int, device="cpu", generator=None):
    data = torch.as_tensor(data)
    if len(data) <= context_length:
        raise ValueError(f"need more than context_length = {context_length} tokens of data, got {len(data)}")
    starts = torch.randint(len(data) - context_length, (batch_size,), generator=generator)
    window = starts[:, None] + torch.arange(context_length + 1)  # one extra token for the last target
    chunk = data[window].to(device=device, dtype=torch.long)
    return chunk[:, :-1], chunk[:, 1:]


class AdamW(torch.optim.Optimizer):
    """AdamW (Loshchilov and Hutter, 2019, algorithm 2), with the update of Kingma and Ba (2015)
    in the "more efficient" order of their section 2: the bias corrections folded into the step size,
        alpha_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t),   theta -= alpha_t * m_t / (sqrt(v_t) + eps),
    and the decoupled decay theta -= lr * lambda * theta taken first, from the weights before the step.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        with torch.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                lr, eps, lam = group["lr"], group["eps"], group["weight_decay"]
                for theta in group["params"]:
                    g = theta.grad
                    if g is None:
                        continue
                    state = self.state[theta]
                    if not state:
                        state["step"] = 0
                        state["exp_avg"] = torch.zeros_like(theta)
                        state["exp_avg_sq"] = torch.zeros_like(theta)
                    state["step"] += 1
                    t = state["step"]
                    m, v = state["exp_avg"], state["exp_avg_sq"]
                    m.lerp_(g, 1 - beta1)  # m = beta1 m + (1 - beta1) g
                    v.mul_(beta2).add_(g * g, alpha=1 - beta2)
                    theta.add_(theta, alpha=-lr * lam)  # decoupled weight decay
                    alpha_t = lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)
                    theta.addcdiv_(m, v.sqrt().add_(eps), value=-alpha_t)
        return loss


def cosine_lr_schedule(t: int, lr_max: float, lr_min: float, warmup_iters: int, cosine_iters: int) -> float:
    """Linear warmup, then eta_min + (eta_max - eta_min) (1 + cos(pi T_cur / T)) / 2 (SGDR, Loshchilov and Hutter,
    2017, eq. 5) over T = cosine_iters - warmup_iters iterations, then eta_min.
    """
    if t < warmup_iters:
        return lr_max * t / warmup_iters
    if t > cosine_iters:
        return lr_min
    t_cur, t_total = t - warmup_iters, cosine_iters - warmup_iters
    if t_total == 0:
        return lr_max
    return lr_min + (lr_max - lr_min) * (1.0 + math.cos(math.pi * t_cur / t_total)) / 2.0


def clip_grad_norm(parameters, max_norm: float, eps: float = 1e-6) -> Tensor:
    """Rescale g to g * threshold / ||g|| when ||g|| > threshold (Pascanu et al., 2013, algorithm 1), ||g|| global."""
    grads = [p.grad for p in list(parameters) if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    squared = 0.0
    for g in grads:
        squared = squared + g.detach().pow(2).sum()
    norm = torch.sqrt(squared)
    if norm > max_norm:
        scale = max_norm / (norm.item() + eps)
        for g in grads:
            g.mul_(scale)
    return norm


def save_checkpoint(out, model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None:
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}, out)


def load_checkpoint(src, model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    checkpoint = torch.load(src, map_location="cpu")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return int(checkpoint["iteration"])


def estimate_loss(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None) -> float:
    was_training = model.training
    model.eval()
    total = 0.0
    try:
        with torch.no_grad():
            for _ in range(eval_iters):
                x, y = get_batch(data, batch_size, context_length, device, generator)
                total += model(x, y)[1].item()
    finally:
        model.train(was_training)
    return total / eval_iters


def _nucleus(logits: Tensor, p: float) -> Tensor:
    """Top-p filtering (Holtzman et al., 2020): the smallest set of most likely tokens whose mass reaches p."""
    probs = softmax(logits, dim=-1)
    sorted_probs, order = probs.sort(dim=-1, descending=True)
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs
    drop_sorted = mass_before >= p
    drop_sorted[..., 0] = False
    drop = drop_sorted.scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None):
    n_ctx = model.config.context_length
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits = model(idx[:, -n_ctx:])[:, -1, :]
            if temperature == 0:
                nxt = logits.argmax(dim=-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None:
                    k = min(top_k, logits.shape[-1])
                    threshold = logits.topk(k, dim=-1).values[..., -1:]
                    logits = logits.masked_fill(logits < threshold, float("-inf"))
                if top_p is not None:
                    logits = _nucleus(logits, top_p)
                nxt = torch.multinomial(softmax(logits, dim=-1), 1)
            idx = torch.cat((idx, nxt), dim=1)
    return idx
