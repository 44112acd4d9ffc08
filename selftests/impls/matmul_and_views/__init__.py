"""Written in the style of a popular minimal GPT codebase, with no einsum or einops at all: `@` and
.transpose(-2, -1), heads split with .view(B, T, h, d).transpose(1, 2) and merged with .contiguous().view(...),
x.size(-1) and math.sqrt, Python floats from the schedule and estimate_loss, and the clipping norm taken with
torch.stack of per-parameter norms.
"""

from assignment.transformer import TransformerConfig

from .model import (
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
