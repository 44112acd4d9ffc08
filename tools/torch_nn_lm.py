"""The benchmark's yardstick: the llama-preset TransformerLM built from torch.nn modules
(nn.Linear, nn.Embedding, nn.RMSNorm, F.scaled_dot_product_attention), same shapes."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    def __init__(self, d_model: int, num_heads: int, d_ff: int, eps: float, rope: tuple[torch.Tensor, torch.Tensor]):
        super().__init__()
        self.num_heads, self.cos, self.sin = num_heads, *rope
        self.ln1, self.ln2 = nn.RMSNorm(d_model, eps=eps), nn.RMSNorm(d_model, eps=eps)
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=False)
        self.out = nn.Linear(d_model, d_model, bias=False)
        self.w1, self.w3 = nn.Linear(d_model, d_ff, bias=False), nn.Linear(d_model, d_ff, bias=False)
        self.w2 = nn.Linear(d_ff, d_model, bias=False)

    def rotate(self, x: torch.Tensor) -> torch.Tensor:  # adjacent pairs, as in the reference
        T = x.shape[-2]
        x1, x2 = x[..., 0::2], x[..., 1::2]
        cos, sin = self.cos[:T], self.sin[:T]
        return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(self.rotate(q), self.rotate(k), v, is_causal=True)
        x = x + self.out(y.transpose(1, 2).reshape(B, T, C))
        h = self.ln2(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h))


class TorchNNLM(nn.Module):
    def __init__(self, config):
        super().__init__()
        d_head = config.d_model // config.num_heads
        angles = torch.outer(
            torch.arange(config.context_length).double(),
            config.rope_theta ** (-torch.arange(0, d_head, 2).double() / d_head),
        )
        rope = (angles.cos().float(), angles.sin().float())
        self.token_embeddings = nn.Embedding(config.vocab_size, config.d_model)
        self.layers = nn.ModuleList(
            Block(config.d_model, config.num_heads, config.d_ff, config.eps, rope) for _ in range(config.num_layers)
        )
        self.ln_final = nn.RMSNorm(config.d_model, eps=config.eps)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.token_embeddings(idx)
        for layer in self.layers:
            x = layer(x)
        return self.lm_head(self.ln_final(x))
