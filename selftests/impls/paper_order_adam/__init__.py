"""Written by someone who follows the original papers, citing them: AdamW in the Adam paper's "efficient" order
(bias corrections folded into alpha_t, decoupled decay first), masks with -1e9 instead of -inf, cross-entropy
via an explicit log-sum-exp, RMSNorm and LayerNorm with rsqrt, exact erf GELU, RoPE as complex multiplication.
"""

from assignment.transformer import TransformerConfig

from .layers import (
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
