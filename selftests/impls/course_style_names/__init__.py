"""In the style of a well-known university course's transformer assignment: its own argument names
everywhere (Linear(d_in, d_out), forward(in_features), Embedding(vocab_size, d_model), softmax(in_features,
dim), scaled_dot_product_attention(Q, K, V, mask), cross_entropy(inputs, targets), get_batch(dataset, ...)),
einops einsum for every projection, masks applied with masked_fill(~mask, -inf), several small modules.
"""

from assignment.transformer import TransformerConfig

from .data import get_batch
from .decoding import estimate_loss, generate
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
    make_norm,
)
from .nn_utils import cross_entropy, gelu, gradient_clipping, scaled_dot_product_attention, silu, softmax
from .optimizer import AdamW, get_lr_cosine_schedule
from .serialization import load_checkpoint, save_checkpoint
from .tokenizer import CharTokenizer

# The assignment's names for what the course calls otherwise.
cosine_lr_schedule = get_lr_cosine_schedule
clip_grad_norm = gradient_clipping

__all__ = [
    "Linear", "Embedding", "RMSNorm", "silu", "SwiGLU", "softmax", "scaled_dot_product_attention", "cross_entropy",
    "LayerNorm", "gelu", "BiasedLinear", "GeluMLP", "RotaryPositionalEmbedding", "MultiHeadSelfAttention",
    "TransformerBlock", "make_norm", "TransformerConfig", "TransformerLM", "count_parameters",
    "CharTokenizer", "get_batch", "AdamW", "cosine_lr_schedule", "clip_grad_norm", "save_checkpoint",
    "load_checkpoint", "estimate_loss", "generate",
]
