"""A GPT-2 / Llama language model and its training utilities, in the style of the original papers."""

import math

import torch
import torch.nn as nn

MASK_BIAS = -1e9  # added to the scores of forbidden pairs; exp() of it underflows to exactly 0


# ----------------------------------------------------------------------------------------------
# initialisation


def truncated_normal_(tensor, std, cutoff=3.0):
    """Fill `tensor` with N(0, std^2) draws, redrawing every value beyond +-cutoff * std."""
    with torch.no_grad():
        tensor.normal_(0.0, std)
        outside = tensor.abs() > cutoff * std
        while outside.any():
            tensor[outside] = torch.randn(int(outside.sum()), device=tensor.device, dtype=tensor.dtype) * std
            outside = tensor.abs() > cutoff * std
    return tensor


# ----------------------------------------------------------------------------------------------
# Part 1: building blocks


class Linear(nn.Module):
    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features, device=device, dtype=dtype))
        truncated_normal_(self.weight, std=(2.0 / (in_features + out_features)) ** 0.5)

    def forward(self, x):
        return torch.matmul(x, self.weight.transpose(0, 1))


class Embedding(nn.Module):
    def __init__(self, num_embeddings, embedding_dim, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim, device=device, dtype=dtype))
        truncated_normal_(self.weight, std=1.0)

    def forward(self, token_ids):
        return self.weight[token_ids]


def _float32_at_least(x):
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


class RMSNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, x):
        h = _float32_at_least(x)
        h = h * (h.pow(2).mean(-1, keepdim=True) + self.eps).pow(-0.5)
        return (self.weight * h).to(x.dtype)


def silu(x):
    return x / (1.0 + torch.exp(-x))


class SwiGLU(nn.Module):
    def __init__(self, d_model, d_ff=None, device=None, dtype=None):
        super().__init__()
        if d_ff is None:
            d_ff = int(math.ceil(8 * d_model / 3 / 64)) * 64
        self.d_ff = d_ff
        self.w1 = Linear(d_model, d_ff, device, dtype)
        self.w2 = Linear(d_ff, d_model, device, dtype)
        self.w3 = Linear(d_model, d_ff, device, dtype)

    def forward(self, x):
        return self.w2(silu(self.w1(x)) * self.w3(x))


def softmax(x, dim):
    e = torch.exp(x - x.max(dim=dim, keepdim=True)[0])
    return e / e.sum(dim=dim, keepdim=True)


def scaled_dot_product_attention(q, k, v, mask=None):
    d_k = q.size(-1)
    scores = torch.matmul(q * (1.0 / math.sqrt(d_k)), k.transpose(-2, -1))
    if mask is not None:
        # 0 where attending is allowed, -1e9 where it is not, added to the scores
        bias = (1.0 - mask.to(scores.dtype)) * MASK_BIAS
        scores = scores + bias
    p_attn = softmax(scores, dim=-1)
    return torch.matmul(p_attn, v)


def cross_entropy(logits, targets):
    m = logits.max(dim=-1, keepdim=True)[0]
    log_z = m + torch.log(torch.exp(logits - m).sum(dim=-1, keepdim=True))
    log_probs = logits - log_z
    one_hot = (targets.unsqueeze(-1) == torch.arange(logits.size(-1), device=logits.device)).to(logits.dtype)
    return -(one_hot * log_probs).sum(dim=-1).mean()


# ----------------------------------------------------------------------------------------------
# Part 2: the transformer


class LayerNorm(nn.Module):
    def __init__(self, d_model, eps=1e-5, bias=True, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.d_model = d_model
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(d_model, device=device, dtype=dtype)) if bias else None

    def forward(self, x):
        h = _float32_at_least(x)
        mu = h.sum(-1, keepdim=True) / self.d_model
        sigma2 = ((h - mu) * (h - mu)).sum(-1, keepdim=True) / self.d_model  # biased: over d_model
        h = (h - mu) / torch.sqrt(sigma2 + self.eps)
        h = self.weight * h
        if self.bias is not None:
            h = h + self.bias
        return h.to(x.dtype)


def gelu(x):
    return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


class BiasedLinear(Linear):
    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))

    def forward(self, x):
        return super().forward(x) + self.bias


class GeluMLP(nn.Module):
    def __init__(self, d_model, d_ff, bias=True, device=None, dtype=None):
        super().__init__()
        layer = BiasedLinear if bias else Linear
        self.w1 = layer(d_model, d_ff, device, dtype)
        self.w2 = layer(d_ff, d_model, device, dtype)

    def forward(self, x):
        return self.w2(gelu(self.w1(x)))


def rotate_every_two(x):
    """(x0, x1, x2, x3, ...) -> (-x1, x0, -x3, x2, ...)"""
    x1 = x[..., ::2]
    x2 = x[..., 1::2]
    return torch.stack((-x2, x1), dim=-1).reshape(x.shape)


class RotaryPositionalEmbedding(nn.Module):
    def __init__(self, theta, d_k, max_seq_len, device=None):
        super().__init__()
        if d_k % 2 != 0:
            raise ValueError("RotaryPositionalEmbedding needs an even d_k, got %d" % d_k)
        inv_freq = 1.0 / (theta ** (torch.arange(0, d_k, 2, device=device).float() / d_k))
        t = torch.arange(max_seq_len, device=device).float()
        freqs = torch.einsum("i,j->ij", t, inv_freq)  # (max_seq_len, d_k // 2)
        self.register_buffer("cos", freqs.cos(), persistent=False)
        self.register_buffer("sin", freqs.sin(), persistent=False)

    def forward(self, x, token_positions):
        # each angle serves both members of its pair: repeat it twice, interleaved
        cos = self.cos[token_positions].repeat_interleave(2, dim=-1)
        sin = self.sin[token_positions].repeat_interleave(2, dim=-1)
        return (x * cos + rotate_every_two(x) * sin).to(x.dtype)


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, d_model, num_heads, bias=False, rope=None, device=None, dtype=None):
        super().__init__()
        assert d_model % num_heads == 0
        self.num_heads = num_heads
        self.d_k = d_model // num_heads
        self.rope = rope
        self.q_proj = Linear(d_model, d_model, device, dtype)
        self.k_proj = Linear(d_model, d_model, device, dtype)
        self.v_proj = Linear(d_model, d_model, device, dtype)
        self.output_proj = (BiasedLinear if bias else Linear)(d_model, d_model, device, dtype)

    def _split(self, x):
        B, T, _ = x.shape
        return x.reshape(B, T, self.num_heads, self.d_k).permute(0, 2, 1, 3)  # (B, h, T, d_k)

    def forward(self, x, token_positions=None):
        B, T, C = x.shape
        q, k, v = self._split(self.q_proj(x)), self._split(self.k_proj(x)), self._split(self.v_proj(x))
        if self.rope is not None:
            if token_positions is None:
                token_positions = torch.arange(T, device=x.device)
            pos = token_positions.unsqueeze(-2)  # (..., 1, T): the same positions for every head
            q = self.rope(q, pos)
            k = self.rope(k, pos)
        mask = torch.tril(torch.ones(T, T, device=x.device)).bool()
        y = scaled_dot_product_attention(q, k, v, mask)  # (B, h, T, d_k)
        y = y.permute(0, 2, 1, 3).reshape(B, T, C)
        return self.output_proj(y)


def make_norm(config, device=None, dtype=None):
    if config.norm == "rmsnorm":
        return RMSNorm(config.d_model, config.eps, device, dtype)
    return LayerNorm(config.d_model, config.eps, config.bias, device, dtype)


class TransformerBlock(nn.Module):
    def __init__(self, config, rope=None, device=None, dtype=None):
        super().__init__()
        self.ln1 = make_norm(config, device, dtype)
        self.attn = MultiHeadSelfAttention(config.d_model, config.num_heads, config.bias, rope, device, dtype)
        self.ln2 = make_norm(config, device, dtype)
        if config.ffn == "swiglu":
            self.ffn = SwiGLU(config.d_model, config.d_ff, device, dtype)
        else:
            self.ffn = GeluMLP(config.d_model, config.d_ff, config.bias, device, dtype)

    def forward(self, x, token_positions=None):
        x = x + self.attn(self.ln1(x), token_positions)
        x = x + self.ffn(self.ln2(x))
        return x


class TransformerLM(nn.Module):
    def __init__(self, config, device=None, dtype=None):
        super().__init__()
        self.config = config
        self.token_embeddings = Embedding(config.vocab_size, config.d_model, device, dtype)
        if config.positions == "learned":
            self.position_embeddings = Embedding(config.context_length, config.d_model, device, dtype)
            self.rope = None
        else:
            self.position_embeddings = None
            self.rope = RotaryPositionalEmbedding(config.rope_theta, config.d_head, config.context_length, device)
        self.layers = nn.ModuleList([TransformerBlock(config, self.rope, device, dtype)
                                     for _ in range(config.num_layers)])
        self.ln_final = make_norm(config, device, dtype)
        self.lm_head = (BiasedLinear if config.bias else Linear)(config.d_model, config.vocab_size, device, dtype)

    def forward(self, idx, targets=None):
        B, T = idx.size()
        if T > self.config.context_length:
            raise ValueError("cannot forward a sequence of length %d, the context length is only %d"
                             % (T, self.config.context_length))
        pos = torch.arange(0, T, dtype=torch.long, device=idx.device)
        x = self.token_embeddings(idx)
        if self.position_embeddings is not None:
            x = x + self.position_embeddings(pos)
        for block in self.layers:
            x = block(x, pos)
        x = self.ln_final(x)
        logits = self.lm_head(x)
        if targets is None:
            return logits
        return logits, cross_entropy(logits, targets)


def count_parameters(config):
    d, V, d_ff, N = config.d_model, config.vocab_size, config.d_ff, config.num_layers
    norm = 2 * d if (config.norm == "layernorm" and config.bias) else d
    per_layer = 4 * d * d + 2 * norm
    if config.ffn == "swiglu":
        per_layer += 3 * d * d_ff
    else:
        per_layer += 2 * d * d_ff
    if config.bias:
        per_layer += d  # output projection bias
        if config.ffn == "gelu":
            per_layer += d_ff + d  # MLP biases
    embeddings = V * d + (config.context_length * d if config.positions == "learned" else 0)
    head = V * d + (V if config.bias else 0)
    return embeddings + N * per_layer + norm + head


# ----------------------------------------------------------------------------------------------
# Part 3: training


class CharTokenizer:
    def __init__(self, text):
        self.chars = sorted(list(set(text)))
        self.stoi = {ch: i for i, ch in enumerate(self.chars)}
        self.itos = {i: ch for i, ch in enumerate(self.chars)}

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, s):
        unknown = [c for c in s if c not in self.stoi]
        if unknown:
            raise ValueError("character %r is not in the vocabulary" % unknown[0])
        return [self.stoi[c] for c in s]

    def decode(self, ids):
        return "".join(self.itos[int(i)] for i in ids)


def get_batch(data, batch_size, context_length, device="cpu", generator=None):
    data = torch.as_tensor(data)
    if len(data) <= context_length:
        raise ValueError("data has %d tokens: not enough for one window of %d and its next token"
                         % (len(data), context_length))
    ix = torch.randint(len(data) - context_length, (batch_size,), generator=generator)
    x = torch.stack([data[i:i + context_length] for i in ix])
    y = torch.stack([data[i + 1:i + context_length + 1] for i in ix])
    return x.to(device=device, dtype=torch.long), y.to(device=device, dtype=torch.long)


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                state["step"] += 1
                m, v, t = state["m"], state["v"], state["step"]
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                m_hat = m / (1 - beta1 ** t)
                v_hat = v / (1 - beta2 ** t)
                # decoupled weight decay folded into the same update, on the value from before it
                p.sub_(lr * (m_hat / (v_hat.sqrt() + eps) + wd * p))
        return loss


def cosine_lr_schedule(t, lr_max, lr_min, warmup_iters, cosine_iters):
    if t < warmup_iters:
        return lr_max * t / warmup_iters
    if t > cosine_iters:
        return lr_min
    decay_ratio = (t - warmup_iters) / (cosine_iters - warmup_iters) if cosine_iters > warmup_iters else 0.0
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # from 1 down to 0
    return lr_min + coeff * (lr_max - lr_min)


def clip_grad_norm(parameters, max_norm, eps=1e-6):
    grads = [p.grad for p in parameters if p.grad is not None]
    if len(grads) == 0:
        return torch.tensor(0.0)
    total_norm = torch.sqrt(sum((g.detach() ** 2).sum() for g in grads))
    clip_coef = max_norm / (total_norm + eps)
    if clip_coef < 1:
        for g in grads:
            g.mul_(clip_coef)
    return total_norm


def save_checkpoint(out, model, optimizer, iteration):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iter_num": iteration}, out)


def load_checkpoint(src, model, optimizer):
    ckpt = torch.load(src, map_location="cpu")
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    return ckpt["iter_num"]


@torch.no_grad()
def estimate_loss(model, data, batch_size, context_length, eval_iters, device="cpu", generator=None):
    was_training = model.training
    model.eval()
    losses = torch.zeros(eval_iters)
    for k in range(eval_iters):
        X, Y = get_batch(data, batch_size, context_length, device, generator)
        _, loss = model(X, Y)
        losses[k] = loss.item()
    model.train(was_training)
    return losses.mean().item()


@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None):
    for _ in range(max_new_tokens):
        idx_cond = idx if idx.size(1) <= model.config.context_length else idx[:, -model.config.context_length:]
        logits = model(idx_cond)
        logits = logits[:, -1, :]
        if temperature == 0:
            idx_next = torch.argmax(logits, dim=-1, keepdim=True)
        else:
            logits = logits / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = -float("inf")
            probs = softmax(logits, dim=-1)
            if top_p is not None:
                sorted_probs, sorted_idx = torch.sort(probs, dim=-1, descending=True)
                cumulative = torch.cumsum(sorted_probs, dim=-1)
                remove = cumulative - sorted_probs >= top_p  # the mass before a token already reaches top_p
                sorted_probs[remove] = 0.0
                probs = torch.zeros_like(probs).scatter_(-1, sorted_idx, sorted_probs)
                probs = probs / probs.sum(dim=-1, keepdim=True)
            idx_next = torch.multinomial(probs, num_samples=1)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx
