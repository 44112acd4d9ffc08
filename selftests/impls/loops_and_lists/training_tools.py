"""Everything around the network: tokenizer, batches, optimizer, schedule, clipping, checkpoints,
evaluation and sampling."""

import math

import torch

from .network import softmax


class CharTokenizer:
    def __init__(self, text):
        seen = set()
        for ch in text:
            seen.add(ch)
        self.chars = sorted(seen)
        self.stoi = {}
        self.itos = {}
        for i, ch in enumerate(self.chars):
            self.stoi[ch] = i
            self.itos[i] = ch

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, text):
        ids = []
        for ch in text:
            if ch not in self.stoi:
                raise ValueError(f"unknown character {ch!r}: it was not in the text the tokenizer was built from")
            ids.append(self.stoi[ch])
        return ids

    def decode(self, ids):
        if isinstance(ids, torch.Tensor):
            ids = ids.tolist()
        pieces = []
        for i in ids:
            pieces.append(self.itos[int(i)])
        return "".join(pieces)


def get_batch(data, batch_size, context_length, device="cpu", generator=None):
    data = torch.as_tensor(data)
    n = len(data)
    if n <= context_length:
        raise ValueError(f"need more than context_length={context_length} tokens for a window and its target, got {n}")
    starts = torch.randint(0, n - context_length, (batch_size,), generator=generator).tolist()
    x = torch.stack([data[s : s + context_length] for s in starts])
    y = torch.stack([data[s + 1 : s + 1 + context_length] for s in starts])
    return x.long().to(device), y.long().to(device)


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                lr = group["lr"]
                beta1, beta2 = group["betas"]
                eps = group["eps"]
                wd = group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["t"] = 0
                        state["m"] = torch.zeros_like(p)
                        state["v"] = torch.zeros_like(p)
                    state["t"] += 1
                    t = state["t"]
                    g = p.grad
                    state["m"].mul_(beta1).add_((1 - beta1) * g)
                    state["v"].mul_(beta2).add_((1 - beta2) * g * g)
                    m_hat = state["m"] / (1 - beta1 ** t)
                    v_hat = state["v"] / (1 - beta2 ** t)
                    p.sub_(lr * wd * p)
                    p.sub_(lr * m_hat / (torch.sqrt(v_hat) + eps))
        return loss


def cosine_lr_schedule(t, lr_max, lr_min, warmup_iters, cosine_iters):
    if t < warmup_iters:
        return t / warmup_iters * lr_max
    if t <= cosine_iters:
        progress = (t - warmup_iters) / max(cosine_iters - warmup_iters, 1)
        return lr_min + (1 + math.cos(math.pi * progress)) / 2 * (lr_max - lr_min)
    return lr_min


def clip_grad_norm(parameters, max_norm, eps=1e-6):
    with_grads = []
    for p in parameters:
        if p.grad is not None:
            with_grads.append(p)
    sum_of_squares = 0.0
    for p in with_grads:
        sum_of_squares += (p.grad.double() ** 2).sum().item()
    total = math.sqrt(sum_of_squares)
    if total > max_norm:
        factor = max_norm / (total + eps)
        for p in with_grads:
            p.grad.mul_(factor)
    return torch.tensor(total)


def save_checkpoint(out, model, optimizer, iteration):
    checkpoint = {}
    checkpoint["model_state"] = model.state_dict()
    checkpoint["optimizer_state"] = optimizer.state_dict()
    checkpoint["iteration"] = iteration
    torch.save(checkpoint, out)


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, map_location="cpu")
    model.load_state_dict(checkpoint["model_state"])
    optimizer.load_state_dict(checkpoint["optimizer_state"])
    return checkpoint["iteration"]


def estimate_loss(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
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


def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None):
    context_length = model.config.context_length
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits = model(idx[:, -context_length:])
            logits = logits[:, -1, :]
            if temperature == 0:
                next_ids = torch.argmax(logits, dim=-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None and top_k < logits.shape[-1]:
                    kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                probs = softmax(logits, dim=-1)
                if top_p is not None:
                    rows = []
                    for row in probs:  # one sequence at a time
                        sorted_probs, order = torch.sort(row, descending=True)
                        kept = torch.zeros_like(row)
                        so_far = 0.0
                        for p, i in zip(sorted_probs.tolist(), order.tolist()):
                            kept[i] = p
                            so_far += p
                            if so_far >= top_p:
                                break
                        rows.append(kept / kept.sum())
                    probs = torch.stack(rows)
                next_ids = torch.multinomial(probs, num_samples=1)
            idx = torch.cat([idx, next_ids], dim=1)
    return idx
