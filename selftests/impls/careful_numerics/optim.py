"""AdamW, the learning-rate schedule and gradient clipping."""

import math
from typing import Iterable

import torch
from torch import Tensor, nn


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01):
        if lr < 0.0 or eps < 0.0 or weight_decay < 0.0:
            raise ValueError(f"lr, eps and weight_decay must be non-negative, not {lr}, {eps}, {weight_decay}")
        if not all(0.0 <= beta < 1.0 for beta in betas):
            raise ValueError(f"betas must lie in [0, 1), not {betas}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2) = group["lr"], group["betas"]
            eps, weight_decay = group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(beta1).add_(grad, alpha=1.0 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
                # Bias corrections as exact Python floats; sqrt(v_hat) = sqrt(v) / sqrt(1 - beta2^t).
                correction1 = 1.0 - math.pow(beta1, t)
                correction2 = 1.0 - math.pow(beta2, t)
                denominator = (v.sqrt() / math.sqrt(correction2)).add_(eps)
                p.mul_(1.0 - lr * weight_decay)  # decoupled decay, from the value before this update
                p.addcdiv_(m, denominator, value=-lr / correction1)
        return loss


def cosine_lr_schedule(t: int, lr_max: float, lr_min: float, warmup_iters: int, cosine_iters: int) -> float:
    if t < warmup_iters:
        return lr_max * t / warmup_iters
    if t > cosine_iters:
        return float(lr_min)
    span = cosine_iters - warmup_iters
    if span <= 0:  # no room for a decay: the warmup ends at the peak
        return float(lr_max)
    progress = (t - warmup_iters) / span
    return lr_min + 0.5 * (1.0 + math.cos(math.pi * progress)) * (lr_max - lr_min)


def clip_grad_norm(parameters: Iterable[nn.Parameter], max_norm: float, eps: float = 1e-6) -> Tensor:
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.zeros(())
    # Sum the squares in at least float32, so that half-precision gradients do not overflow.
    squares = [g.detach().to(torch.promote_types(g.dtype, torch.float32)).pow(2).sum() for g in grads]
    device = squares[0].device
    total = torch.sqrt(sum(s.to(device) for s in squares))
    if total > max_norm:
        scale = max_norm / (total + eps)
        for g in grads:
            g.mul_(scale.to(device=g.device, dtype=g.dtype))
    return total
