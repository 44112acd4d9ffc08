"""Written by a typing enthusiast: jaxtyping shapes on every tensor, Final constants for every
magic number, small typed helpers with docstrings, a TypedDict for the checkpoint. Attention adds
a bias mask built with torch.where(mask, 0, -inf); the loss gathers the target logits; the
schedule and estimate_loss return Python floats; get_batch indexes an unfolded view of windows.
"""

from assignment.transformer import PRESETS, TransformerConfig

from .blocks import (
    Embedding,
    Linear,
    RMSNorm,
    SwiGLU,
    cross_entropy,
    scaled_dot_product_attention,
    silu,
    softmax,
)
from .model import (
    BiasedLinear,
    GeluMLP,
    LayerNorm,
    MultiHeadSelfAttention,
    RotaryPositionalEmbedding,
    TransformerBlock,
    TransformerLM,
    count_parameters,
    gelu,
    make_norm,
)
from .training import (
    AdamW,
    CharTokenizer,
    clip_grad_norm,
    cosine_lr_schedule,
    estimate_loss,
    generate,
    get_batch,
    load_checkpoint,
    save_checkpoint,
)

__all__: list[str] = [
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
