"""Someone who learned from nanoGPT: its file layout (model.py, train.py, sample.py, prepare.py),
its names (CausalSelfAttention, MLP, Block, GPT, exported under the assignment's names) and habits:
a registered non-persistent causal-mask buffer sliced to [:T, :T], generate with a topk threshold
v[:, [-1]], torch's AdamW state keys, get_batch by torch.stack of slices, and a parameter-count print.
"""

from assignment.transformer import TransformerConfig

from .model import GPT as TransformerLM
from .model import MLP as GeluMLP
from .model import (
    BiasedLinear,
    Embedding,
    LayerNorm,
    Linear,
    RMSNorm,
    RotaryPositionalEmbedding,
    SwiGLU,
    count_parameters,
    cross_entropy,
    gelu,
    make_norm,
    scaled_dot_product_attention,
    silu,
    softmax,
)
from .model import Block as TransformerBlock
from .model import CausalSelfAttention as MultiHeadSelfAttention
from .prepare import CharTokenizer
from .sample import generate
from .train import (
    AdamW,
    clip_grad_norm,
    cosine_lr_schedule,
    estimate_loss,
    get_batch,
    load_checkpoint,
    save_checkpoint,
)

__all__ = [
    "Linear", "Embedding", "RMSNorm", "silu", "SwiGLU", "softmax", "scaled_dot_product_attention", "cross_entropy",
    "LayerNorm", "gelu", "BiasedLinear", "GeluMLP", "RotaryPositionalEmbedding", "MultiHeadSelfAttention",
    "TransformerBlock", "make_norm", "TransformerConfig", "TransformerLM", "count_parameters",
    "CharTokenizer", "get_batch", "AdamW", "cosine_lr_schedule", "clip_grad_norm", "save_checkpoint",
    "load_checkpoint", "estimate_loss", "generate",
]
