"""A beginner who writes everything out: the assignment's own three files, many intermediate variables and
comments, sigmoid as 1 / (1 + exp(-x)), a home-made truncated normal, a Python loop over attention heads (a slice
per head, torch.cat at the end), the causal mask rebuilt with torch.tril in every forward, stoi/itos dicts, and
count_parameters adding up each component by formula.
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
