"""A careful engineer's implementation: every numerically delicate step is guarded.

Masked scores use torch.finfo(dtype).min (no -inf, so no inf - inf), norms use rsqrt with a
clamp_min floor and compute in at least float32, softmax and the loss subtract a detached max,
and AdamW's bias corrections are Python floats computed with math. Split into small modules.
"""

from assignment.transformer import PRESETS, TransformerConfig

from .data import CharTokenizer, get_batch
from .layers import BiasedLinear, Embedding, GeluMLP, LayerNorm, Linear, RMSNorm, RotaryPositionalEmbedding, SwiGLU
from .model import MultiHeadSelfAttention, TransformerBlock, TransformerLM, count_parameters, make_norm
from .numerics import cross_entropy, gelu, scaled_dot_product_attention, silu, softmax
from .optim import AdamW, clip_grad_norm, cosine_lr_schedule
from .runtime import estimate_loss, generate, load_checkpoint, save_checkpoint

__all__ = [
    "Linear",
    "Embedding",
    "RMSNorm",
    "silu",
    "SwiGLU",
    "softmax",
    "scaled_dot_product_attention",
    "cross_entropy",
    "LayerNorm",
    "gelu",
    "BiasedLinear",
    "GeluMLP",
    "RotaryPositionalEmbedding",
    "MultiHeadSelfAttention",
    "TransformerBlock",
    "TransformerConfig",
    "TransformerLM",
    "count_parameters",
    "CharTokenizer",
    "get_batch",
    "AdamW",
    "cosine_lr_schedule",
    "clip_grad_norm",
    "save_checkpoint",
    "load_checkpoint",
    "estimate_loss",
    "generate",
]
