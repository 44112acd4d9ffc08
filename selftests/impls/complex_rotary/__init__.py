"""A mathematically minded learner: the formulas written as they appear on paper.

RoPE treats each pair of features as a complex number and rotates it by e^{i pos w} (built
with torch.polar), GELU is x Phi(x) from erf, the initialisers draw a truncated normal by
inverting its CDF, softmax is exp(x - logsumexp x), and AdamW uses the Adam paper's
step-size form. Keeps the assignment's three-file layout.
"""

from assignment.transformer import TransformerConfig

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
from .transformer import (
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

__all__ = [
    "Linear", "Embedding", "RMSNorm", "silu", "SwiGLU", "softmax", "scaled_dot_product_attention", "cross_entropy",
    "LayerNorm", "gelu", "BiasedLinear", "GeluMLP", "RotaryPositionalEmbedding", "MultiHeadSelfAttention",
    "TransformerBlock", "make_norm", "TransformerConfig", "TransformerLM", "count_parameters",
    "CharTokenizer", "get_batch", "AdamW", "cosine_lr_schedule", "clip_grad_norm", "save_checkpoint",
    "load_checkpoint", "estimate_loss", "generate",
]
