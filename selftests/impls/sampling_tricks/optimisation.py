"""AdamW, the warmup-cosine schedule, global-norm clipping."""

import math

import torch
from torch import Tensor


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in (p for p in group["params"] if p.grad is not None):
                state = self.state[p]
                if "step" not in state:
                    state["step"] = torch.zeros((), dtype=torch.float32)
                    state["first_moment"] = torch.zeros_like(p)
                    state["second_moment"] = torch.zeros_like(p)
                state["step"].add_(1)
                t = int(state["step"])
                m, v, g = state["first_moment"], state["second_moment"], p.grad
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).add_(g.square(), alpha=1 - beta2)
                m_hat = m / (1 - beta1**t)
                v_hat = v / (1 - beta2**t)
                p.mul_(1 - group["lr"] * group["weight_decay"])
                p.add_(m_hat / (v_hat.sqrt() + group["eps"]), alpha=-group["lr"])
        return loss


def cosine_lr_schedule(t: int, lr_max: float, lr_min: float, warmup_iters: int, cosine_iters: int) -> float:
    if t < warmup_iters:
        return lr_max * t / warmup_iters
    # fraction of the decay done, clamped to [0, 1]: after cosine_iters the cosine stays at its bottom
    done = min(1.0, max(0.0, (t - warmup_iters) / max(1, cosine_iters - warmup_iters)))
    return lr_min + 0.5 * (1.0 + math.cos(math.pi * done)) * (lr_max - lr_min)


def clip_grad_norm(parameters, max_norm: float, eps: float = 1e-6) -> Tensor:
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total = torch.sqrt(torch.stack([torch.sum(g * g) for g in grads]).sum())
    # max_norm / (total + eps), never above 1: a no-op when the norm is already small
    scale = torch.clamp(max_norm / (total + eps), max=1.0)
    for g in grads:
        g.mul_(scale)
    return total
