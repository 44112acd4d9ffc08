"""Part 3: training and sampling."""

import math

import torch
from torch import Tensor, nn

from .building_blocks import softmax


class CharTokenizer:
    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.vocab_size = len(self.chars)
        self.char_to_id = {c: i for i, c in enumerate(self.chars)}

    def encode(self, text: str) -> list[int]:
        for c in text:
            if c not in self.char_to_id:
                raise ValueError(f"{c!r} does not occur in the text the tokenizer was built from")
        return [self.char_to_id[c] for c in text]

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def get_batch(data, batch_size: int, context_length: int, device="cpu", generator=None):
    data = torch.as_tensor(data)
    N, T = len(data), context_length
    if N <= T:
        raise ValueError(f"a window needs T + 1 = {T + 1} tokens but the data has only {N}")
    s = torch.randint(0, N - T, (batch_size,), generator=generator)  # s in {0, ..., N - T - 1}
    index = s[:, None] + torch.arange(T)[None, :]  # index[b, t] = s_b + t
    return data[index].to(device, torch.long), data[index + 1].to(device, torch.long)


class AdamW(torch.optim.Optimizer):
    """Decoupled weight decay, with the bias corrections in the step size (Kingma and Ba, section 2).

    lr m_hat / (sqrt(v_hat) + eps) = alpha_t m / (sqrt(v) + eps sqrt(1 - beta2^t)),
    with alpha_t = lr sqrt(1 - beta2^t) / (1 - beta1^t): the same update, one scalar per step.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def step(self, closure=None):
        with torch.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                lr, eps, lam = group["lr"], group["eps"], group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad
                    state = self.state[p]
                    if "t" not in state:
                        state["t"], state["m"], state["v"] = 0, torch.zeros_like(p), torch.zeros_like(p)
                    state["t"] += 1
                    t = state["t"]
                    state["m"].mul_(beta1).add_(g, alpha=1 - beta1)
                    state["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
                    c2 = math.sqrt(1 - beta2**t)
                    alpha_t = lr * c2 / (1 - beta1**t)
                    p.mul_(1 - lr * lam)
                    p.sub_(alpha_t * state["m"] / (state["v"].sqrt() + eps * c2))
        if closure is not None:
            return closure()
        return None


def cosine_lr_schedule(t: int, lr_max: float, lr_min: float, warmup_iters: int, cosine_iters: int) -> float:
    if t < warmup_iters:
        return lr_max * t / warmup_iters
    if t <= cosine_iters:
        phase = math.pi * (t - warmup_iters) / max(cosine_iters - warmup_iters, 1)
        return lr_min + (1 + math.cos(phase)) / 2 * (lr_max - lr_min)
    return lr_min


def clip_grad_norm(parameters, max_norm: float, eps: float = 1e-6) -> Tensor:
    grads = [p.grad for p in list(parameters) if p.grad is not None]
    if not grads:
        return torch.zeros(())
    # ||g|| over the concatenation of every gradient = sqrt(sum_p ||g_p||^2), summed in float64
    total = torch.sqrt(sum(g.double().square().sum() for g in grads))
    if total > max_norm:
        scale = max_norm / (total + eps)
        for g in grads:
            g.mul_(scale.to(g.dtype))
    return total


def save_checkpoint(out, model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None:
    state = {"iteration": iteration, "model": model.state_dict(), "optimizer": optimizer.state_dict()}
    torch.save(state, out)


def load_checkpoint(src, model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    state = torch.load(src, map_location="cpu")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    return state["iteration"]


def estimate_loss(model: nn.Module, data, batch_size: int, context_length: int, eval_iters: int,
                  device="cpu", generator=None) -> float:
    was_training = model.training
    model.eval()
    with torch.no_grad():
        losses = [model(*get_batch(data, batch_size, context_length, device, generator))[1].item()
                  for _ in range(eval_iters)]
    model.train(was_training)
    return math.fsum(losses) / len(losses)


def generate(model: nn.Module, idx: Tensor, max_new_tokens: int, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None) -> Tensor:
    context_length = model.config.context_length
    with torch.no_grad():
        for _ in range(max_new_tokens):
            z = model(idx[:, -context_length:])[:, -1, :]  # (B, V)
            if temperature == 0:
                next_token = torch.argmax(z, dim=-1, keepdim=True)
            else:
                z = z / temperature
                if top_k is not None and top_k < z.size(-1):
                    kth_largest = torch.sort(z, dim=-1, descending=True).values[:, top_k - 1 : top_k]
                    z = z.masked_fill(z < kth_largest, -math.inf)
                p = softmax(z, dim=-1)
                if top_p is not None:
                    # keep token j iff the mass strictly more likely than it is below top_p
                    p_sorted, order = torch.sort(p, dim=-1, descending=True)
                    mass_before = torch.cumsum(p_sorted, dim=-1) - p_sorted
                    keep_sorted = mass_before < top_p
                    keep_sorted[:, 0] = True
                    keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
                    p = p * keep
                    p = p / p.sum(dim=-1, keepdim=True)
                next_token = torch.multinomial(p, num_samples=1)
            idx = torch.cat([idx, next_token], dim=1)
    return idx
