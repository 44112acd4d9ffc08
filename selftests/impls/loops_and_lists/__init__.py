"""Written by someone who thinks in loops: attention runs one head at a time, the rotary tables,
the tokenizer and the parameter count are built with explicit for-loops, AdamW and gradient
clipping walk the parameters one by one (the norm summed as Python floats), and get_batch stacks
a list of windows. Two modules: the network, and everything for training.
"""

from assignment.transformer import PRESETS, TransformerConfig

from .network import (
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
from .training_tools import (
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
    "TransformerBlock", "TransformerConfig", "TransformerLM", "count_parameters",
    "CharTokenizer", "get_batch", "AdamW", "cosine_lr_schedule", "clip_grad_norm", "save_checkpoint",
    "load_checkpoint", "estimate_loss", "generate",
]
