"""Written by someone who learned attention from the older papers and codebases: the mask becomes
an additive bias of 0 / -1e9, q is scaled by 1/sqrt(d_k) before q k^T, heads are split with
reshape + permute(0, 2, 1, 3), RoPE is RoFormer's cos/sin with rotate-every-two, LayerNorm's mean
and biased variance are written out by hand, weights use a hand-made rejection-sampled truncated
normal, and AdamW folds the decay into the update. Everything in one module.
"""

from assignment.transformer import PRESETS, TransformerConfig

from .core import (
    AdamW,
    BiasedLinear,
    CharTokenizer,
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
    clip_grad_norm,
    cosine_lr_schedule,
    count_parameters,
    cross_entropy,
    estimate_loss,
    gelu,
    generate,
    get_batch,
    load_checkpoint,
    make_norm,
    save_checkpoint,
    scaled_dot_product_attention,
    silu,
    softmax,
)
