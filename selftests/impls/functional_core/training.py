"""Part 3 as pure functions (adamw_update, lr schedule, norms, sampling) plus the classes that must hold state."""

import math
from typing import IO, Iterable

import torch
from torch import Tensor, nn

from .functional import softmax


class CharTokenizer:
    def __init__(self, text: str) -> None:
        self.chars: list[str] = sorted(set(text))
        self.ids: dict[str, int] = {char: position for position, char in enumerate(self.chars)}

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        missing = sorted(set(text) - self.ids.keys())
        if missing:
            raise ValueError(f"cannot encode {missing[0]!r}: the tokenizer never saw that character")
        return list(map(self.ids.__getitem__, text))

    def decode(self, ids: Iterable[int] | Tensor) -> str:
        values = ids.tolist() if isinstance(ids, Tensor) else ids
        return "".join(map(self.chars.__getitem__, values))


def get_batch(data: Tensor, batch_size: int, context_length: int, device: str | torch.device = "cpu",
              generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    tokens = torch.as_tensor(data)
    if tokens.shape[0] <= context_length:
        raise ValueError(f"{tokens.shape[0]} tokens are too few for windows of {context_length} and their targets")
    # Every window of T + 1 consecutive tokens, as a view: row s is data[s : s + T + 1].
    windows = tokens.unfold(0, context_length + 1, 1)
    chosen = windows[torch.randint(0, windows.shape[0], (batch_size,), generator=generator)].to(torch.long)
    return chosen[:, :-1].to(device), chosen[:, 1:].to(device)


def adamw_update(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: int, lr: float, beta1: float,
                 beta2: float, eps: float, weight_decay: float) -> tuple[Tensor, Tensor, Tensor]:
    """One AdamW step for one tensor; returns the new (param, m, v) and changes nothing."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1**step)
    v_hat = v / (1 - beta2**step)
    decayed = param - lr * weight_decay * param
    return decayed - lr * m_hat / (torch.sqrt(v_hat) + eps), m, v


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                step = state.get("t", 0) + 1
                m = state.get("moment1", torch.zeros_like(param))
                v = state.get("moment2", torch.zeros_like(param))
                new_param, state["moment1"], state["moment2"] = adamw_update(
                    param, param.grad, m, v, step, group["lr"], beta1, beta2, group["eps"], group["weight_decay"])
                state["t"] = step
                param.copy_(new_param)
        return loss


def cosine_lr_schedule(t: int, lr_max: float, lr_min: float, warmup_iters: int, cosine_iters: int) -> float:
    if t < warmup_iters:
        return t / warmup_iters * lr_max
    if t > cosine_iters:
        return lr_min
    fraction = (t - warmup_iters) / (cosine_iters - warmup_iters) if cosine_iters != warmup_iters else 0.0
    return lr_min + (1 + math.cos(math.pi * fraction)) / 2 * (lr_max - lr_min)


def global_norm(tensors: list[Tensor]) -> Tensor:
    """The L2 norm of all the tensors taken as one long vector."""
    squares = [torch.sum(t.to(torch.promote_types(t.dtype, torch.float32)) ** 2) for t in tensors]
    return torch.sqrt(torch.stack(squares).sum())


def clip_grad_norm(parameters: Iterable[nn.Parameter], max_norm: float, eps: float = 1e-6) -> Tensor:
    grads = [param.grad for param in parameters if param.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total = global_norm(grads)
    if total.item() > max_norm:
        factor = max_norm / (total.item() + eps)
        for grad in grads:
            grad.mul_(factor)
    return total


def save_checkpoint(out: str | IO[bytes], model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None:
    torch.save({"weights": model.state_dict(), "optimizer": optimizer.state_dict(), "step": iteration}, out)


def load_checkpoint(src: str | IO[bytes], model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    saved = torch.load(src, map_location="cpu")
    model.load_state_dict(saved["weights"])
    optimizer.load_state_dict(saved["optimizer"])
    return saved["step"]


def estimate_loss(model: nn.Module, data: Tensor, batch_size: int, context_length: int, eval_iters: int,
                  device: str | torch.device = "cpu", generator: torch.Generator | None = None) -> Tensor:
    """The mean validation loss, as a 0-dim tensor (detached: computed under no_grad)."""
    previous_mode = model.training
    model.eval()
    with torch.no_grad():
        losses = [model(*get_batch(data, batch_size, context_length, device, generator))[1] for _ in range(eval_iters)]
    model.train(previous_mode)
    return torch.stack(losses).mean().cpu()


def keep_top_k(logits: Tensor, k: int) -> Tensor:
    if k >= logits.shape[-1]:
        return logits
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return torch.where(logits >= kth, logits, torch.full_like(logits, -math.inf))


def keep_top_p(logits: Tensor, p: float) -> Tensor:
    """Nucleus filter: in increasing order of probability, drop tokens while the mass so far is <= 1 - p."""
    ascending, order = torch.sort(softmax(logits, dim=-1), dim=-1)
    drop_sorted = torch.cumsum(ascending, dim=-1) <= 1 - p
    drop_sorted[..., -1] = False  # the most likely token always stays
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, -math.inf)


def sample_next(logits: Tensor, temperature: float, top_k: int | None, top_p: float | None) -> Tensor:
    """(B, V) logits -> (B, 1) token ids."""
    if temperature == 0:
        return torch.argmax(logits, dim=-1, keepdim=True)
    logits = logits / temperature
    if top_k is not None:
        logits = keep_top_k(logits, top_k)
    if top_p is not None:
        logits = keep_top_p(logits, top_p)
    return torch.multinomial(softmax(logits, dim=-1), 1)


def generate(model: nn.Module, idx: Tensor, max_new_tokens: int, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None) -> Tensor:
    window = model.config.context_length
    with torch.no_grad():
        for _ in range(max_new_tokens):
            last_logits = model(idx[:, -window:])[:, -1, :]
            idx = torch.cat((idx, sample_next(last_logits, temperature, top_k, top_p)), dim=-1)
    return idx
