"""Every shape operation through einops: the style of a learner who fell for einops early.

Heads are split and merged with `rearrange`, norms take their statistics with `reduce`, and
attention scores, linear layers and the rotary angles are `einsum` patterns with named axes.
Short argument names (`x`, `seq`, `positions`); three modules: layers, model, train_utils.
"""

from assignment.transformer import TransformerConfig

from .layers import (
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
from .train_utils import (
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

__all__ = [
    "Linear", "Embedding", "RMSNorm", "silu", "SwiGLU", "softmax", "scaled_dot_product_attention", "cross_entropy",
    "LayerNorm", "gelu", "BiasedLinear", "GeluMLP", "RotaryPositionalEmbedding", "MultiHeadSelfAttention",
    "TransformerBlock", "make_norm", "TransformerConfig", "TransformerLM", "count_parameters",
    "CharTokenizer", "get_batch", "AdamW", "cosine_lr_schedule", "clip_grad_norm", "save_checkpoint",
    "load_checkpoint", "estimate_loss", "generate",
]
