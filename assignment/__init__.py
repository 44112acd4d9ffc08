"""The public names of this package: the tests and grade.py reach the code only through these."""

from .building_blocks import (
    Embedding,
    Linear,
    RMSNorm,
    SwiGLU,
    cross_entropy,
    scaled_dot_product_attention,
    silu,
    softmax,
)
from .transformer import (
    BiasedLinear,
    GeluMLP,
    LayerNorm,
    MultiHeadSelfAttention,
    RotaryPositionalEmbedding,
    TransformerBlock,
    TransformerConfig,
    TransformerLM,
    count_parameters,
    gelu,
)

__all__ = [
    # Part 1: the building blocks
    "Linear",
    "Embedding",
    "RMSNorm",
    "silu",
    "SwiGLU",
    "softmax",
    "scaled_dot_product_attention",
    "cross_entropy",
    # Part 2: the transformer
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
]
