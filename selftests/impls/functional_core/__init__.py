"""A functional-programming learner: the maths lives in pure, type-hinted functions.

functional.py holds linear(inputs, weights), rms_norm, attention(query, key, value, attn_mask)
(an additive -inf mask), rope as x cos + partner(x) sin, even the parameter shapes by name;
modules.py wraps them in thin nn.Modules that own the parameters; training.py's AdamW calls a
pure adamw_update, get_batch slices windows with unfold, and estimate_loss returns a 0-dim tensor.
"""

from assignment.transformer import TransformerConfig

from .modules import (
    BiasedLinear,
    Embedding,
    GeluMLP,
    LayerNorm,
    Linear,
    MultiHeadSelfAttention,
    RMSNorm,
    RotaryPositionalEmbedding,
    SwiGLU,
    TransformerBlock,
    TransformerLM,
    count_parameters,
    cross_entropy,
    gelu,
    make_norm,
    scaled_dot_product_attention,
    silu,
    softmax,
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

__all__ = [
    "Linear", "Embedding", "RMSNorm", "silu", "SwiGLU", "softmax", "scaled_dot_product_attention", "cross_entropy",
    "LayerNorm", "gelu", "BiasedLinear", "GeluMLP", "RotaryPositionalEmbedding", "MultiHeadSelfAttention",
    "TransformerBlock", "make_norm", "TransformerConfig", "TransformerLM", "count_parameters",
    "CharTokenizer", "get_batch", "AdamW", "cosine_lr_schedule", "clip_grad_norm", "save_checkpoint",
    "load_checkpoint", "estimate_loss", "generate",
]
