"""Everything the training loop needs besides the model."""

import math

import torch

from .model import softmax


class CharTokenizer:
    def __init__(self, text):
        self.chars = sorted(list(set(text)))
        self.char_to_id = {ch: i for i, ch in enumerate(self.chars)}

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, text):
        try:
            return [self.char_to_id[ch] for ch in text]
        except KeyError as e:
            raise ValueError(f"character {e.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids):
        if torch.is_tensor(ids):
            ids = ids.tolist()
        return "".join([self.chars[i] for i in ids])


def get_batch(data, batch_size, context_length, device="cpu", generator=None):
    data = torch.as_tensor(data)
    if data.size(0) <= context_length:
        raise ValueError(f"data has {data.size(0)} tokens; a window needs at least {context_length + 1}")
    windows = data.unfold(0, context_length + 1, 1)  # (N - T, T + 1), a view: nothing is copied yet
    ix = torch.randint(windows.size(0), (batch_size,), generator=generator)
    batch = windows[ix].long()
    x, y = batch[:, :-1], batch[:, 1:]
    return x.contiguous().to(device), y.contiguous().to(device)


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                state["step"] += 1
                step = state["step"]

                p.mul_(1 - group["lr"] * group["weight_decay"])

                exp_avg.mul_(beta1).add_(p.grad, alpha=1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)

                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                step_size = group["lr"] / bias_correction1
                denom = (exp_avg_sq.sqrt() / math.sqrt(bias_correction2)).add_(group["eps"])
                p.addcdiv_(exp_avg, denom, value=-step_size)
        return loss


def cosine_lr_schedule(t, lr_max, lr_min, warmup_iters, cosine_iters):
    # 1) linear warmup for warmup_iters steps
    if t < warmup_iters:
        return float(lr_max) * t / warmup_iters
    # 2) if t > cosine_iters, return min learning rate
    if t > cosine_iters:
        return float(lr_min)
    # 3) in between, use cosine decay down to min learning rate
    decay_ratio = (t - warmup_iters) / (cosine_iters - warmup_iters) if cosine_iters > warmup_iters else 0.0
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # coeff ranges 0..1
    return float(lr_min + coeff * (lr_max - lr_min))


def clip_grad_norm(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in list(parameters) if p.grad is not None]
    if len(grads) == 0:
        return torch.tensor(0.0)
    norms = torch.stack([g.detach().norm(2) for g in grads])  # one L2 norm per parameter
    total_norm = norms.norm(2)  # the norm of all of them together
    if total_norm > max_norm:
        clip_coef = max_norm / (total_norm + eps)
        for g in grads:
            g.mul_(clip_coef)
    return total_norm


def save_checkpoint(out, model, optimizer, iteration):
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "iter_num": iteration,
    }
    torch.save(checkpoint, out)


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, map_location="cpu")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["iter_num"]


@torch.no_grad()
def estimate_loss(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    was_training = model.training
    model.eval()
    losses = torch.zeros(eval_iters, dtype=torch.float64)
    for k in range(eval_iters):
        X, Y = get_batch(data, batch_size, context_length, device, generator)
        logits, loss = model(X, Y)
        losses[k] = loss.item()
    model.train(was_training)
    return losses.mean().item()


@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None):
    block_size = model.config.context_length
    for _ in range(max_new_tokens):
        # if the sequence context is growing too long we must crop it at block_size
        idx_cond = idx if idx.size(1) <= block_size else idx[:, -block_size:]
        logits = model(idx_cond)
        logits = logits[:, -1, :]  # (B, V)
        if temperature == 0:
            idx_next = logits.argmax(dim=-1, keepdim=True)
        else:
            logits = logits / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits = logits.masked_fill(logits < v[:, [-1]], -float("Inf"))
            if top_p is not None:
                sorted_logits, sorted_idx = torch.sort(logits, descending=True)
                sorted_probs = softmax(sorted_logits, dim=-1)
                cum = sorted_probs.cumsum(dim=-1)
                remove_sorted = (cum - sorted_probs) >= top_p  # the mass before this token already reached top_p
                remove_sorted[:, 0] = False
                remove = remove_sorted.scatter(1, sorted_idx, remove_sorted)
                logits = logits.masked_fill(remove, -float("Inf"))
            probs = softmax(logits, dim=-1)
            idx_next = torch.multinomial(probs, num_samples=1)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx
