"""The parts of the assignment, in learning order. Points live here and nowhere else.

A part's points are shared among its cases by each case's weight. A part that builds on
others names them in `requires`: when it fails while one of those is not yet passing, the
report says "blocked by <part>" where the case ran that part's code (or that code raised),
and otherwise names the failing part as a possible cause (grader/scoring.py).
"""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    name: str  # used for `-k test_<name>`, `-m <name>`, `--part <name>` and in the JSON report
    title: str
    points: float
    names: tuple[str, ...]  # the public names the learner writes for this part
    requires: tuple[str, ...] = ()

    @property
    def test_name(self) -> str:
        return f"test_{self.name}"


PARTS: list[Part] = [
    # Part 1: the building blocks
    Part("linear", "Linear layer", 1, ("Linear",)),
    Part("embedding", "Embedding", 1, ("Embedding",)),
    Part("rmsnorm", "RMSNorm", 1, ("RMSNorm",)),
    Part("silu", "SiLU", 1, ("silu",)),
    Part("swiglu", "SwiGLU feed-forward", 2, ("SwiGLU",), requires=("linear", "silu")),
    Part("softmax", "Softmax", 1, ("softmax",)),
    Part("attention", "Scaled dot-product attention", 5, ("scaled_dot_product_attention",), requires=("softmax",)),
    Part("cross_entropy", "Cross-entropy loss", 1, ("cross_entropy",)),
    # Part 2: the transformer
    Part("layernorm", "LayerNorm", 1, ("LayerNorm",)),
    Part("gelu", "GELU, biases and the classic MLP", 1, ("gelu", "BiasedLinear", "GeluMLP"), requires=("linear",)),
    Part("rope", "Rotary positional embedding", 2, ("RotaryPositionalEmbedding",)),
    Part(
        "multihead_attention", "Multi-head self-attention", 4, ("MultiHeadSelfAttention",),
        requires=("linear", "attention", "rope"),
    ),
    Part(
        "transformer_block", "Transformer block", 3, ("TransformerBlock", "make_norm"),
        requires=("multihead_attention", "rmsnorm", "layernorm", "swiglu", "gelu"),
    ),
    Part(
        "transformer_lm", "Transformer language model", 4, ("TransformerLM", "count_parameters"),
        requires=("transformer_block", "embedding", "cross_entropy"),
    ),
    # Part 3: training
    Part("tokenizer", "Character tokenizer", 1, ("CharTokenizer",)),
    Part("get_batch", "Training batches", 1, ("get_batch",)),
    Part("adamw", "AdamW", 3, ("AdamW",)),
    Part("cosine_lr_schedule", "Learning-rate schedule", 1, ("cosine_lr_schedule",)),
    Part("clip_grad_norm", "Gradient clipping", 1, ("clip_grad_norm",)),
    Part("checkpoint", "Checkpoints", 2, ("save_checkpoint", "load_checkpoint")),
    Part("estimate_loss", "Validation loss", 1, ("estimate_loss",), requires=("get_batch",)),
    Part("generate", "Sampling text", 2, ("generate",), requires=("softmax",)),
    Part(
        "training", "Training end to end", 4, (),
        requires=("transformer_lm", "get_batch", "adamw", "cosine_lr_schedule", "clip_grad_norm", "estimate_loss"),
    ),
]

PARTS_BY_NAME: dict[str, Part] = {part.name: part for part in PARTS}


def with_prerequisites(names: list[str]) -> list[str]:
    """`names` and every part they build on, directly or not, in PARTS order."""
    wanted, stack = set(), list(names)
    while stack:
        name = stack.pop()
        if name not in wanted:
            wanted.add(name)
            stack.extend(PARTS_BY_NAME[name].requires)
    return [p.name for p in PARTS if p.name in wanted]


def public_names(part_names: Iterable[str]) -> tuple[str, ...]:
    """The public names the learner writes for the parts `part_names`, in PARTS order."""
    wanted = set(part_names)
    return tuple(name for part in PARTS if part.name in wanted for name in part.names)
