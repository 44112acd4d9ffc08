"""Part 3. AdamW keeps its moments in float64; the loss estimate is a float64 0-dim tensor."""

import math
from typing import Iterable

import torch
from torch import Tensor, nn

from .building_blocks import softmax
from .precision import wide


class CharTokenizer:
    def __init__(self, text: str):
        self.chars: list[str] = sorted(set(text))
        self.index_of: dict[str, int] = {char: index for index, char in enumerate(self.chars)}

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        for char in text:
            if char not in self.index_of:
                raise ValueError(f"the character {char!r} is not in this tokenizer's vocabulary")
        return [self.index_of[char] for char in text]

    def decode(self, ids: Iterable[int]) -> str:
        if isinstance(ids, Tensor):
            ids = ids.reshape(-1).tolist()
        return "".join(self.chars[index] for index in ids)


def get_batch(data, batch_size: int, context_length: int, device="cpu", generator=None) -> tuple[Tensor, Tensor]:
    data = torch.as_tensor(data)
    n_tokens = data.shape[0]
    if n_tokens <= context_length:
        raise ValueError(f"the data has {n_tokens} tokens, not enough for a window of {context_length} "
                         f"plus its next token")
    starts = torch.randint(0, n_tokens - context_length, (batch_size, 1), generator=generator)
    positions = starts + torch.arange(context_length).unsqueeze(0)  # (batch_size, context_length)
    inputs = data[positions].to(torch.long)
    targets = data[positions + 1].to(torch.long)
    return inputs.to(device), targets.to(device)


class AdamW(torch.optim.Optimizer):
    """AdamW whose running averages live in float64, whatever the parameters' dtype."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2) = group["lr"], group["betas"]
            eps, weight_decay = group["eps"], group["weight_decay"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if "t" not in state:
                    state["t"] = 0
                    state["m"] = torch.zeros_like(param, dtype=torch.float64)
                    state["v"] = torch.zeros_like(param, dtype=torch.float64)
                state["t"] += 1
                t = state["t"]
                grad = wide(param.grad)
                state["m"].mul_(beta1).add_((1.0 - beta1) * grad)
                state["v"].mul_(beta2).add_((1.0 - beta2) * grad * grad)
                m_hat = state["m"] / (1.0 - beta1**t)
                v_hat = state["v"] / (1.0 - beta2**t)
                new_value = wide(param)
                new_value = new_value - lr * weight_decay * new_value  # decoupled decay, from the old value
                new_value = new_value - lr * m_hat / (v_hat.sqrt() + eps)
                param.copy_(new_value)  # copy_ casts back to the parameter's own dtype
        return loss

    def load_state_dict(self, state_dict: dict) -> None:
        # torch casts every loaded state tensor to its parameter's dtype; put the float64 moments back
        super().load_state_dict(state_dict)
        params = [p for group in self.param_groups for p in group["params"]]
        for index, saved in state_dict["state"].items():
            state = self.state[params[index]]
            for key in ("m", "v"):
                if key in saved:
                    state[key] = saved[key].to(device=params[index].device, dtype=torch.float64)


def cosine_lr_schedule(t: int, lr_max: float, lr_min: float, warmup_iters: int, cosine_iters: int) -> float:
    if warmup_iters > 0 and t < warmup_iters:
        return float(t / warmup_iters * lr_max)
    if t <= cosine_iters:
        span = cosine_iters - warmup_iters
        progress = (t - warmup_iters) / span if span > 0 else 0.0
        return float(lr_min + (1.0 + math.cos(math.pi * progress)) / 2.0 * (lr_max - lr_min))
    return float(lr_min)


def clip_grad_norm(parameters: Iterable[nn.Parameter], max_norm: float, eps: float = 1e-6) -> Tensor:
    grads = [p.grad for p in list(parameters) if p.grad is not None]
    total = torch.zeros((), dtype=torch.float64)
    for grad in grads:
        total = total + wide(grad.detach()).square().sum().cpu()
    total = total.sqrt()
    if total > max_norm:
        factor = (max_norm / (total + eps)).item()
        for grad in grads:
            grad.mul_(factor)
    return total


def save_checkpoint(out, model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None:
    torch.save({"iteration": iteration, "model_state": model.state_dict(),
                "optimizer_state": optimizer.state_dict()}, out)


def load_checkpoint(src, model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    saved = torch.load(src, map_location="cpu")
    model.load_state_dict(saved["model_state"])
    optimizer.load_state_dict(saved["optimizer_state"])
    return saved["iteration"]


def estimate_loss(model: nn.Module, data, batch_size: int, context_length: int, eval_iters: int,
                  device="cpu", generator=None) -> Tensor:
    """The mean of eval_iters batch losses, as a 0-dim float64 tensor (detached: built from plain numbers)."""
    was_training = model.training
    model.eval()
    batch_losses = []
    with torch.no_grad():
        for _ in range(eval_iters):
            inputs, targets = get_batch(data, batch_size, context_length, device, generator)
            _, loss = model(inputs, targets)
            batch_losses.append(loss.item())
    model.train(was_training)
    return torch.tensor(batch_losses, dtype=torch.float64).mean()


def generate(model: nn.Module, idx: Tensor, max_new_tokens: int, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None) -> Tensor:
    context_length = model.config.context_length
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits = wide(model(idx[:, -context_length:])[:, -1, :])
            if temperature == 0:
                next_ids = logits.argmax(dim=-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None and top_k < logits.shape[-1]:
                    kth_value = logits.topk(top_k, dim=-1).values[:, -1, None]
                    logits = torch.where(logits >= kth_value, logits, torch.full_like(logits, float("-inf")))
                probs = softmax(logits, dim=-1)
                if top_p is not None:
                    sorted_probs, order = probs.sort(dim=-1, descending=True)
                    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs
                    keep = mass_before < top_p
                    keep[:, 0] = True  # always at least the most likely token
                    sorted_probs = torch.where(keep, sorted_probs, torch.zeros_like(sorted_probs))
                    probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs)  # multinomial renormalises
                next_ids = torch.multinomial(probs, num_samples=1)
            idx = torch.cat([idx, next_ids], dim=1)
    return idx
