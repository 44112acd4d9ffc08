"""Written by someone who likes probability: generate samples with the Gumbel-max trick (argmax
of log-probabilities plus Gumbel noise from torch.rand) instead of torch.multinomial, top-p sorts,
cumsums and scatters back, top-k sorts; softmax is exp(x - logsumexp(x)), the loss is a gathered
log-softmax, RoPE multiplies complex numbers, and estimate_loss runs under torch.inference_mode.
"""

from assignment.transformer import PRESETS, TransformerConfig

from .components import (
    BiasedLinear,
    Embedding,
    GeluMLP,
    LayerNorm,
    Linear,
    RMSNorm,
    RotaryPositionalEmbedding,
    SwiGLU,
    gelu,
    silu,
)
from .data import CharTokenizer, estimate_loss, get_batch, load_checkpoint, save_checkpoint
from .language_model import MultiHeadSelfAttention, TransformerBlock, TransformerLM, count_parameters, make_norm
from .optimisation import AdamW, clip_grad_norm, cosine_lr_schedule
from .probability import cross_entropy, scaled_dot_product_attention, softmax
from .sampling import generate

__all__ = [
    "Linear", "Embedding", "RMSNorm", "silu", "SwiGLU", "softmax", "scaled_dot_product_attention", "cross_entropy",
    "LayerNorm", "gelu", "BiasedLinear", "GeluMLP", "RotaryPositionalEmbedding", "MultiHeadSelfAttention",
    "TransformerBlock", "TransformerConfig", "TransformerLM", "count_parameters", "CharTokenizer", "get_batch",
    "AdamW", "cosine_lr_schedule", "clip_grad_norm", "save_checkpoint", "load_checkpoint", "estimate_loss", "generate",
]
