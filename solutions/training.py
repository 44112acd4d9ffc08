"""Part 3: train it.

Parts 1 and 2 built a model that maps tokens to next-token logits. This
part writes everything needed to make it learn, and to use what it learned:

    1. CharTokenizer       text <-> token ids, one token per character
    2. get_batch           random training windows, targets shifted by one
    3. AdamW               the optimizer every modern LM is trained with
    4. cosine_lr_schedule  warm up, then decay the learning rate
    5. clip_grad_norm      keep one bad batch from wrecking the weights
    6. save_checkpoint /   stop and resume training exactly where it was
       load_checkpoint
    7. estimate_loss       a low-noise validation loss (uses get_batch)
    8. generate            sample new text from the model (uses softmax)

Then train your own model on the built-in corpus and watch it learn:

    uv run python train.py

Test one piece at a time (uv run pytest -k test_adamw) and see your score
with uv run python grade.py.
"""

import math
from typing import IO, Iterable

import torch
from jaxtyping import Float, Int
from torch import Tensor, nn

from .building_blocks import softmax


class CharTokenizer:
    """The simplest tokenizer: every distinct character of a text is a token.

    Built from a text, the vocabulary is its sorted set of characters, and a
    character's token id is its index in that list. So for "hello" the
    vocabulary is ['e', 'h', 'l', 'o'], vocab_size is 4, encode("hello") is
    [1, 0, 2, 2, 3] and decode([1, 0, 2, 2, 3]) is "hello" again.

    (GPT-2 and Llama use byte-pair encodings with tens of thousands of
    tokens made of common character runs. With one token per character the
    model has to learn spelling too, which is exactly what makes it fun to
    watch on a small corpus.)

    __init__(text):   build the vocabulary; store it as self.chars (a list
                      of single-character strings, sorted).
    vocab_size:       the number of tokens (a property or an attribute).
    encode(text):     list[int], one id per character.
    decode(ids):      the string; ids may be a list of ints or a 1-D tensor.

    Pitfalls:
      - Sort the characters: a Python set has no fixed order, so the same
        text could give different ids on different runs.
      - A character that was not in the text has no id: raise a ValueError
        that names it, not a bare KeyError.
    """

    def __init__(self, text: str):
        # BEGIN SOLUTION
        self.chars = sorted(set(text))
        self.ids = {c: i for i, c in enumerate(self.chars)}
        # END SOLUTION

    @property
    def vocab_size(self) -> int:
        # BEGIN SOLUTION
        return len(self.chars)
        # END SOLUTION

    def encode(self, text: str) -> list[int]:
        # BEGIN SOLUTION
        unknown = sorted(set(text) - self.ids.keys())
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {''.join(unknown)!r}")
        return [self.ids[c] for c in text]
        # END SOLUTION

    def decode(self, ids: Iterable[int]) -> str:
        # BEGIN SOLUTION
        return "".join(self.chars[int(i)] for i in ids)
        # END SOLUTION


def get_batch(
    data: Int[Tensor, "N"], batch_size: int, context_length: int, device: str | torch.device = "cpu",
    generator: torch.Generator | None = None,
) -> tuple[Int[Tensor, "B T"], Int[Tensor, "B T"]]:
    """A random batch of training windows: (inputs, targets), each (B, T).

    data is the whole token stream, a 1-D tensor (or numpy array) of N token
    ids. Pick batch_size random start positions s and return
        inputs[b]  = data[s_b     : s_b + T]
        targets[b] = data[s_b + 1 : s_b + T + 1]
    with T = context_length: the target at every position is the next token,
    so one window holds T training examples, one per prefix.

    Every start from 0 to N - T - 1 must be possible (the last one uses the
    final token as its last target). Draw the starts with torch.randint and
    pass it `generator`, so a seeded generator gives the same batch again.
    Return int64 (long) tensors on `device`.

    Pitfalls:
      - Off by one at the end: the largest start is N - T - 1, and
        torch.randint's upper bound is exclusive.
      - The targets are the inputs shifted by one, not the same window.
      - If N <= T there is no whole window: raise a ValueError that says so.
      - Build the windows with one indexing operation (or torch.stack),
        not a Python loop over tokens.
    """
    # BEGIN SOLUTION
    data = torch.as_tensor(data)
    if len(data) <= context_length:
        raise ValueError(f"the data has {len(data)} tokens: too few for one window of {context_length} and its targets")
    starts = torch.randint(len(data) - context_length, (batch_size, 1), generator=generator)  # (B, 1)
    positions = starts + torch.arange(context_length)  # (B, T)
    inputs, targets = data[positions], data[positions + 1]  # (B, T) each
    return inputs.long().to(device), targets.long().to(device)
    # END SOLUTION


class AdamW(torch.optim.Optimizer):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    For every parameter p with gradient g, at its step t = 1, 2, 3, ...:
        m = beta1 * m + (1 - beta1) * g          running mean of g
        v = beta2 * v + (1 - beta2) * g^2        running mean of g^2
        m_hat = m / (1 - beta1^t)                bias correction: m and v
        v_hat = v / (1 - beta2^t)                start at 0, so early
                                                 averages are too small
        p = p - lr * weight_decay * p            decoupled weight decay
        p = p - lr * m_hat / (sqrt(v_hat) + eps)
    m and v start at zero. Each coordinate gets its own step size: about lr
    in the direction of its recent gradients, whatever their scale.

    Write it as a torch.optim.Optimizer subclass, like the optimizers in
    torch.optim, so it works with everything else:
      - __init__(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
        weight_decay=0.01): the same defaults as torch.optim.AdamW. Pass the
        hyperparameters to super().__init__(params, defaults) as a dict;
        params may also be a list of parameter groups (dicts) that override
        them, e.g. no weight decay for norms.
      - step(closure=None): update every parameter of every group in
        self.param_groups, with that group's hyperparameters
        (group["lr"], ...), then return closure() if given, else None. Keep m,
        v and t for each parameter in self.state[p] (a dict); then
        state_dict() and load_state_dict() save and restore them for free.
    The result must match torch.optim.AdamW step for step.

    Pitfalls:
      - Decoupled means the decay never touches m or v. Adding
        weight_decay * p to the gradient instead is Adam with L2
        regularisation, a different optimizer.
      - The decay is lr * weight_decay * p, applied with the parameter's
        value from before this step's update.
      - t counts the steps of that parameter: a parameter whose .grad is
        None is skipped entirely (no decay, no step).
      - Update in place under torch.no_grad() (p.mul_, p.add_, ...);
        p = p - ... only rebinds a local name.
    """

    def __init__(
        self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
        weight_decay: float = 0.01,
    ):
        # BEGIN SOLUTION
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"invalid AdamW settings: lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})
        # END SOLUTION

    def step(self, closure=None):
        # BEGIN SOLUTION
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if not state:
                        state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                    state["step"] += 1
                    t, m, v, g = state["step"], state["m"], state["v"], p.grad
                    m.mul_(beta1).add_(g, alpha=1 - beta1)
                    v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                    m_hat = m / (1 - beta1**t)
                    v_hat = v / (1 - beta2**t)
                    p.mul_(1 - lr * weight_decay)  # decoupled: shrinks p itself, not through m or v
                    p.sub_(lr * m_hat / (v_hat.sqrt() + eps))
        return loss
        # END SOLUTION


def cosine_lr_schedule(t: int, lr_max: float, lr_min: float, warmup_iters: int, cosine_iters: int) -> float:
    """The learning rate at iteration t: linear warmup, cosine decay, then flat.

        t < warmup_iters:                 lr = t / warmup_iters * lr_max
        warmup_iters <= t <= cosine_iters:
            lr = lr_min + (1 + cos(pi * (t - warmup_iters)
                                      / (cosine_iters - warmup_iters))) / 2
                          * (lr_max - lr_min)
        t > cosine_iters:                 lr = lr_min

    So the rate climbs from 0 at t = 0 to lr_max at t = warmup_iters, falls
    along half a cosine to lr_min at t = cosine_iters (an iteration number,
    not a length), and stays there. Warmup keeps the first updates small
    while AdamW's running averages are still noisy; the slow decay lets the
    weights settle into a minimum at the end.

    Return a Python float. Set it before each step with
        for group in optimizer.param_groups: group["lr"] = lr

    Pitfalls:
      - At t = warmup_iters both formulas give lr_max: t / warmup_iters, not
        (t + 1) / warmup_iters, which reaches lr_max one step early.
      - The cosine's progress is measured from the end of warmup, over
        cosine_iters - warmup_iters iterations.
      - warmup_iters = 0 means no warmup (don't divide by zero).
    """
    # BEGIN SOLUTION
    if t < warmup_iters:
        return t / warmup_iters * lr_max
    if t > cosine_iters:
        return lr_min
    progress = (t - warmup_iters) / max(cosine_iters - warmup_iters, 1)  # 0 -> 1
    return lr_min + (1 + math.cos(math.pi * progress)) / 2 * (lr_max - lr_min)
    # END SOLUTION


def clip_grad_norm(parameters: Iterable[nn.Parameter], max_norm: float, eps: float = 1e-6) -> Float[Tensor, ""]:
    """Scale all gradients down together so their global L2 norm is at most max_norm.

    The global norm treats every gradient of every parameter as one long
    vector:
        total = sqrt(sum over parameters p of sum(p.grad^2))
    If total > max_norm, multiply every gradient, in place, by
        max_norm / (total + eps)
    (eps keeps the result just under max_norm); otherwise leave them all
    alone. Return total, the norm before clipping, as a 0-dim tensor: it is
    worth logging, since spikes in it show when training struggles.
    Parameters whose .grad is None (frozen, or unused) are skipped.

    Same as torch.nn.utils.clip_grad_norm_(parameters, max_norm).

    Pitfalls:
      - One norm for all parameters together, not one per parameter:
        clipping each on its own changes the direction of the update.
      - parameters may be a generator (model.parameters()), which can be
        iterated only once: make it a list first.
      - Never scale gradients up when the norm is already small.
    """
    # BEGIN SOLUTION
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total = torch.sqrt(sum((g.detach().double() ** 2).sum() for g in grads)).to(grads[0].dtype)
    if total > max_norm:
        for g in grads:
            g.mul_(max_norm / (total + eps))
    return total
    # END SOLUTION


def save_checkpoint(out: str | IO[bytes], model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None:
    """Save everything needed to resume training: weights, optimizer state, iteration.

    Write one dict with torch.save(obj, out) holding
        model.state_dict(), optimizer.state_dict() and iteration
    under keys of your choosing. out is a path or an open binary file.

    The optimizer's state matters as much as the weights: AdamW's m, v and
    step counts. Without them a resumed run restarts its averages from zero
    and its bias correction from step 1, and takes different steps than an
    uninterrupted one.
    """
    # BEGIN SOLUTION
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}
    torch.save(checkpoint, out)
    # END SOLUTION


def load_checkpoint(src: str | IO[bytes], model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """Restore a checkpoint written by save_checkpoint; return its iteration.

    Read it with torch.load(src, map_location="cpu") (so that a checkpoint
    saved on a GPU loads anywhere; load_state_dict copies each tensor onto
    the device of what it loads into), then model.load_state_dict(...) and
    optimizer.load_state_dict(...) from what was saved. After this, training
    on from the returned iteration takes exactly the steps it would have
    taken had it never stopped: the same weights, bit for bit.
    """
    # BEGIN SOLUTION
    checkpoint = torch.load(src, map_location="cpu")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["iteration"]
    # END SOLUTION


def estimate_loss(
    model: nn.Module, data: Int[Tensor, "N"], batch_size: int, context_length: int, eval_iters: int,
    device: str | torch.device = "cpu", generator: torch.Generator | None = None,
) -> float:
    """The model's mean loss over eval_iters random batches of data (a float).

    One batch's loss is noisy; the mean over a few is a steadier measure of
    how well the model does on text it was not trained on. Draw each batch
    with your get_batch(data, batch_size, context_length, device, generator)
    and take the loss from model(inputs, targets), which returns
    (logits, loss).

    Evaluate in eval mode (model.eval(): dropout off, for example), and
    under torch.no_grad() (no graph is kept, so it is faster and lighter).
    Afterwards, put the model back in the mode it was in: training goes on
    after an evaluation, and a model left in eval mode trains without its
    dropout from then on.

    Pitfalls:
      - Don't assume the model was training: save model.training first and
        restore exactly that with model.train(was_training).
      - Average plain numbers (loss.item()), not tensors attached to a graph.
    """
    # BEGIN SOLUTION
    was_training = model.training
    model.eval()
    with torch.no_grad():
        losses = []
        for _ in range(eval_iters):
            inputs, targets = get_batch(data, batch_size, context_length, device, generator)
            _, loss = model(inputs, targets)
            losses.append(loss.item())
    model.train(was_training)
    return sum(losses) / len(losses)
    # END SOLUTION


def generate(
    model: nn.Module, idx: Int[Tensor, "B T"], max_new_tokens: int, temperature: float = 1.0,
    top_k: int | None = None, top_p: float | None = None,
) -> Int[Tensor, "B T+N"]:
    """Extend each sequence in idx by max_new_tokens sampled tokens; return all of it.

    One token at a time:
      1. Crop: the model accepts at most model.config.context_length tokens,
         so feed it only the last context_length of the sequence so far.
      2. Run the model; keep only the logits of the last position, (B, V):
         the prediction for the next token.
      3. Temperature: divide the logits by temperature. Below 1 the
         distribution gets sharper, above 1 flatter. temperature == 0 means
         greedy: take the argmax and skip the sampling.
      4. Optionally filter the candidates:
           top_k: keep only the k largest logits (set the rest to -inf);
           top_p: nucleus sampling. Sort the probabilities in decreasing
             order and keep the smallest prefix whose sum reaches top_p
             (always at least the most likely token); drop the rest.
      5. Sample one token per row from the softmax of what is left
         (torch.multinomial), and append it: (B, T) -> (B, T + 1).
    Return (B, T + max_new_tokens): the prompt, then the new tokens.

    Sampling draws from torch's global random generator, so
    torch.manual_seed(...) makes it repeatable. Run the model under
    torch.no_grad(); nothing here is trained.

    Pitfalls:
      - The model predicts the token after every position; only the last
        position's prediction is new.
      - Crop to the last tokens (idx[:, -context_length:]), not the first.
      - top_k larger than the vocabulary means "keep everything".
    """
    # BEGIN SOLUTION
    context_length = model.config.context_length
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits = model(idx[:, -context_length:])[:, -1, :]  # (B, V): the next token's scores
            if temperature == 0:
                next_token = logits.argmax(dim=-1, keepdim=True)  # (B, 1)
            else:
                logits = logits / temperature
                if top_k is not None and top_k < logits.shape[-1]:
                    kth_largest = torch.topk(logits, top_k, dim=-1).values[:, -1:]  # (B, 1)
                    logits = logits.masked_fill(logits < kth_largest, float("-inf"))
                probs = softmax(logits, dim=-1)  # (B, V)
                if top_p is not None:
                    sorted_probs, order = probs.sort(dim=-1, descending=True)
                    # keep a token if the ones more likely than it sum to less than top_p
                    keep = (sorted_probs.cumsum(dim=-1) - sorted_probs) < top_p  # (B, V), sorted order
                    keep[:, 0] = True  # the most likely token always stays, even for top_p = 0
                    probs = probs * torch.zeros_like(keep).scatter(-1, order, keep)
                next_token = torch.multinomial(probs, num_samples=1)  # (B, 1); needn't sum to 1
            idx = torch.cat([idx, next_token], dim=1)  # (B, T + 1)
    return idx
    # END SOLUTION
