"""Part 3: training, one step at a time."""

import math

import torch

from .building_blocks import softmax


class CharTokenizer:
    def __init__(self, text):
        # every distinct character, sorted so the ids are the same on every run
        self.chars = sorted(set(text))
        # stoi: string to integer, itos: integer to string
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
                raise ValueError(f"the character {ch!r} was not in the text this tokenizer was built from")
            ids.append(self.stoi[ch])
        return ids

    def decode(self, ids):
        # ids can be a list or a 1-D tensor
        if isinstance(ids, torch.Tensor):
            ids = ids.tolist()
        characters = []
        for i in ids:
            characters.append(self.itos[i])
        return "".join(characters)


def get_batch(data, batch_size, context_length, device="cpu", generator=None):
    data = torch.as_tensor(data)
    number_of_tokens = len(data)
    if number_of_tokens <= context_length:
        raise ValueError(
            f"not enough data: {number_of_tokens} tokens, but one window needs context_length + 1 = "
            f"{context_length + 1}"
        )
    # the largest start is N - T - 1, and randint's upper bound is exclusive, so N - T
    highest_start_plus_one = number_of_tokens - context_length
    starts = torch.randint(0, highest_start_plus_one, (batch_size,), generator=generator)
    input_rows = []
    target_rows = []
    for start in starts.tolist():
        input_rows.append(data[start : start + context_length])
        target_rows.append(data[start + 1 : start + context_length + 1])  # shifted by one
    inputs = torch.stack(input_rows).long().to(device)
    targets = torch.stack(target_rows).long().to(device)
    return inputs, targets


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = None
        if closure is not None:
            loss = closure()

        with torch.no_grad():
            for group in self.param_groups:
                lr = group["lr"]
                beta1 = group["betas"][0]
                beta2 = group["betas"][1]
                eps = group["eps"]
                weight_decay = group["weight_decay"]

                for p in group["params"]:
                    # a parameter without a gradient is skipped entirely
                    if p.grad is None:
                        continue
                    grad = p.grad

                    # m, v and t live in self.state[p]; they start at zero
                    state = self.state[p]
                    if len(state) == 0:
                        state["t"] = 0
                        state["m"] = torch.zeros_like(p)
                        state["v"] = torch.zeros_like(p)
                    state["t"] = state["t"] + 1
                    t = state["t"]
                    m = state["m"]
                    v = state["v"]

                    # running mean of the gradient, and of the squared gradient (in place, so the state keeps them)
                    m.mul_(beta1)
                    m.add_((1 - beta1) * grad)
                    v.mul_(beta2)
                    v.add_((1 - beta2) * grad * grad)

                    # bias correction
                    m_hat = m / (1 - beta1**t)
                    v_hat = v / (1 - beta2**t)

                    # decoupled weight decay, with the value of p from before this step
                    decay = lr * weight_decay * p
                    p.sub_(decay)

                    # the Adam step
                    update = lr * m_hat / (torch.sqrt(v_hat) + eps)
                    p.sub_(update)

        return loss


def cosine_lr_schedule(t, lr_max, lr_min, warmup_iters, cosine_iters):
    # part 1: warmup, climbing in a straight line from 0
    if t < warmup_iters:
        lr = t / warmup_iters * lr_max
        return lr
    # part 3: after the cosine, stay at the minimum
    if t > cosine_iters:
        return lr_min
    # part 2: half a cosine from lr_max down to lr_min
    cosine_length = cosine_iters - warmup_iters
    if cosine_length == 0:
        return lr_max
    progress = (t - warmup_iters) / cosine_length  # from 0 to 1
    cosine_factor = (1 + math.cos(math.pi * progress)) / 2  # from 1 down to 0
    lr = lr_min + cosine_factor * (lr_max - lr_min)
    return lr


def clip_grad_norm(parameters, max_norm, eps=1e-6):
    # parameters may be a generator, so make a list first
    parameters = list(parameters)
    # keep only the ones that have a gradient
    gradients = []
    for p in parameters:
        if p.grad is not None:
            gradients.append(p.grad)

    # the global norm: all gradients as one long vector
    sum_of_squares = 0.0
    for g in gradients:
        sum_of_squares = sum_of_squares + (g.double() ** 2).sum().item()
    total_norm = math.sqrt(sum_of_squares)

    # scale down only if the norm is too big
    if total_norm > max_norm:
        scale = max_norm / (total_norm + eps)
        for g in gradients:
            g.mul_(scale)

    return torch.tensor(total_norm)


def save_checkpoint(out, model, optimizer, iteration):
    checkpoint = {}
    checkpoint["model"] = model.state_dict()
    checkpoint["optimizer"] = optimizer.state_dict()
    checkpoint["iteration"] = iteration
    torch.save(checkpoint, out)


def load_checkpoint(src, model, optimizer):
    checkpoint = torch.load(src, map_location="cpu")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    iteration = checkpoint["iteration"]
    return iteration


def estimate_loss(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    # remember whether the model was training, so I can put it back
    was_training = model.training
    model.eval()

    losses = []
    with torch.no_grad():
        for _ in range(eval_iters):
            inputs, targets = get_batch(data, batch_size, context_length, device, generator)
            logits, loss = model(inputs, targets)
            losses.append(loss.item())  # a plain number

    model.train(was_training)

    mean_loss = sum(losses) / len(losses)
    return mean_loss


def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None):
    context_length = model.config.context_length
    with torch.no_grad():
        for _ in range(max_new_tokens):
            # step 1: crop to the last context_length tokens
            idx_cropped = idx[:, -context_length:]

            # step 2: run the model and keep only the last position's logits: (B, V)
            logits = model(idx_cropped)
            last_logits = logits[:, -1, :]

            # step 3: temperature; 0 means greedy
            if temperature == 0:
                next_token = torch.argmax(last_logits, dim=-1, keepdim=True)
                idx = torch.cat([idx, next_token], dim=1)
                continue
            last_logits = last_logits / temperature

            # step 4a: top-k: keep the k largest logits, the rest become -inf
            vocab_size = last_logits.shape[-1]
            if top_k is not None and top_k < vocab_size:
                top_values, _ = torch.topk(last_logits, top_k, dim=-1)
                kth_largest = top_values[:, -1].unsqueeze(-1)
                too_small = last_logits < kth_largest
                last_logits = last_logits.masked_fill(too_small, float("-inf"))

            # step 4b: top-p: keep the smallest set of most likely tokens whose probabilities reach top_p
            if top_p is not None:
                probs = softmax(last_logits, dim=-1)
                sorted_probs, sorted_ids = torch.sort(probs, dim=-1, descending=True)
                running_total = torch.cumsum(sorted_probs, dim=-1)
                total_before_this_token = running_total - sorted_probs
                drop_sorted = total_before_this_token >= top_p  # already reached top_p without it
                drop_sorted[:, 0] = False  # always keep the most likely token
                drop = torch.zeros_like(drop_sorted)
                drop.scatter_(1, sorted_ids, drop_sorted)  # back to the original order
                last_logits = last_logits.masked_fill(drop, float("-inf"))

            # step 5: sample one token per row and append it
            probs = softmax(last_logits, dim=-1)
            next_token = torch.multinomial(probs, num_samples=1)
            idx = torch.cat([idx, next_token], dim=1)
    return idx
