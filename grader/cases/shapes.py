"""The documented state-dict names and shapes of Part 2's modules, which the cases pin down.

gpt-preset modules have biases and LayerNorm's bias; llama-preset ones have neither, and a SwiGLU
feed-forward (w1, w2, w3) in place of the GELU MLP (w1, w2).
"""

from __future__ import annotations


def norm_shapes(prefix: str, d: int, gpt: bool) -> dict:
    return {f"{prefix}weight": (d,), **({f"{prefix}bias": (d,)} if gpt else {})}


def attention_shapes(prefix: str, d: int, bias: bool) -> dict:
    shapes = {f"{prefix}{p}_proj.weight": (d, d) for p in ("q", "k", "v", "output")}
    return {**shapes, **({f"{prefix}output_proj.bias": (d,)} if bias else {})}


def block_shapes(prefix: str, preset: str, d: int, d_ff: int) -> dict:
    gpt = preset == "gpt"
    ffn = (
        {"w1.weight": (d_ff, d), "w1.bias": (d_ff,), "w2.weight": (d, d_ff), "w2.bias": (d,)}
        if gpt
        else {"w1.weight": (d_ff, d), "w2.weight": (d, d_ff), "w3.weight": (d_ff, d)}
    )
    return {
        **norm_shapes(f"{prefix}ln1.", d, gpt),
        **attention_shapes(f"{prefix}attn.", d, gpt),
        **norm_shapes(f"{prefix}ln2.", d, gpt),
        **{f"{prefix}ffn.{k}": v for k, v in ffn.items()},
    }


def lm_shapes(preset: str, lm: dict) -> dict:
    """A TransformerLM's, for the sizes in `lm` (vocab_size, context_length, d_model, num_layers, d_ff)."""
    gpt, d, vocab = preset == "gpt", lm["d_model"], lm["vocab_size"]
    shapes = {"token_embeddings.weight": (vocab, d)}
    if gpt:
        shapes["position_embeddings.weight"] = (lm["context_length"], d)
    for i in range(lm["num_layers"]):
        shapes.update(block_shapes(f"layers.{i}.", preset, d, lm["d_ff"]))
    shapes.update(norm_shapes("ln_final.", d, gpt))
    shapes["lm_head.weight"] = (vocab, d)
    if gpt:
        shapes["lm_head.bias"] = (vocab,)
    return shapes
