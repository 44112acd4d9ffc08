"""A numerically anxious learner: norms, softmax, attention scores, cross-entropy and the rotary tables are
computed in float64 and cast back to the input's dtype; AdamW keeps m and v in float64 state (and restores them
as float64 after load_state_dict); estimate_loss returns a 0-dim float64 tensor, the schedule a Python float.
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
