"""Part 2 cases: the language model (TransformerLM, count_parameters). A row is a part, a name, its inputs, what
to call and how to judge; the helpers it shares with the rest of Part 2 are in transformer.py.

Points come from course/parts.py. The model is small (two blocks of width 16) and its sequences are shorter than
the context; both presets run through the same cases.
"""

from __future__ import annotations

import torch

from ..case import Case, CaseFailed
from ..checks import all_of, close
from .inputs import draw, integers, randint
from .judges import DEEP, batch_independent, future_does_not_leak, has_state_dict
from .learner import api, load_weights, structure
from .shapes import lm_shapes
from .transformer import LEAK_ADVICE, config, unprefixed, weights, with_future_changed, with_weights

LM = {"vocab_size": 29, "context_length": 16, "d_model": 16, "num_layers": 2, "num_heads": 4, "d_ff": 40}
LM_T = 11  # shorter than the context
SEED_GPT = {"vocab_size": 65, "context_length": 8, "d_model": 64, "num_layers": 4, "num_heads": 4, "d_ff": 256}
SEED_GPT_PARAMETERS = 208_193  # the small GPT of Karpathy's "Let's build GPT" lecture

CASES: list[Case] = []


def lm(impl, preset, weights):
    dtype = weights["token_embeddings.weight"].dtype
    model = api(impl, "TransformerLM")(config(impl, preset, **LM), dtype=dtype)
    return load_weights(model, f"TransformerLM ({preset})", weights)


# -- the language model ----------------------------------------------------------------------------
def lm_state_dicts(impl):
    return {p: structure(api(impl, "TransformerLM")(config(impl, p, **LM))) for p in ("llama", "gpt")}


def lm_logits(preset: str):
    def run(impl, idx, **w):
        return {"logits": lm(impl, preset, unprefixed("w.", w))(idx)}

    return run


def lm_logits_and_loss(impl, idx, targets, **w):
    out = lm(impl, "gpt", unprefixed("w.", w))(idx, targets)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise CaseFailed(f"model(idx, targets) should return a tuple (logits, loss), not {type(out).__name__}.")
    return {"logits": out[0], "loss": out[1]}


def lm_future_changed(impl, idx, idx_future_changed, **w):
    model = lm(impl, "llama", unprefixed("w.", w))
    return {"logits": model(idx), "logits_future_changed": model(idx_future_changed)}


def lm_others_changed(impl, idx, idx_others_changed, **w):
    model = lm(impl, "gpt", unprefixed("w.", w))
    return {"logits": model(idx), "logits_others_changed": model(idx_others_changed)}


def gradient_report(impl, preset):
    torch.manual_seed(0)
    model = api(impl, "TransformerLM")(config(impl, preset, **LM))
    g = torch.Generator().manual_seed(1)
    idx, targets = randint(g, LM["vocab_size"], 2, LM_T), randint(g, LM["vocab_size"], 2, LM_T)
    out = model(idx, targets)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise CaseFailed("model(idx, targets) should return (logits, loss).")
    out[1].backward()
    params = dict(model.named_parameters())
    missing = [n for n, p in params.items() if p.grad is None or not p.grad.abs().sum() > 0]
    return {"parameters": len(params), "without_gradient": missing}


def gradient_reports(impl):
    return {p: gradient_report(impl, p) for p in ("llama", "gpt")}


def every_parameter_gets_a_gradient(out, _):
    for preset in ("llama", "gpt"):
        result = out.get(preset)
        if not isinstance(result, dict) or not result.get("parameters"):
            raise CaseFailed(f"{preset}: the model has no parameters.")
        if result["without_gradient"]:
            missing = ", ".join(result["without_gradient"])
            raise CaseFailed(f"{preset}: these parameters got no gradient from the loss: {missing}.")


def tokens_and_future_changed(g):
    idx = randint(g, LM["vocab_size"], 2, LM_T)
    return {"idx": idx, "idx_future_changed": with_future_changed(idx, 6, randint(g, LM["vocab_size"], 2, LM_T - 6))}


def batch_of_tokens_and_others_changed(g):
    idx = randint(g, LM["vocab_size"], 3, LM_T)
    return {"idx": idx, "idx_others_changed": torch.cat([idx[:1], randint(g, LM["vocab_size"], 2, LM_T)])}


def lm_weights(preset: str) -> dict:
    return weights(lm_shapes(preset, LM), "w.")


TOKENS = integers(LM["vocab_size"], 2, LM_T)

CASES += [
    Case("transformer_lm", "state_dict",  # the documented names, and no RoPE tables
         run=lm_state_dicts, reference=False,
         judge=all_of(*(has_state_dict(p, f"TransformerLM ({p})", lm_shapes(p, LM)) for p in ("llama", "gpt")))),
    *(
        Case("transformer_lm", f"forward_{preset}",  # T = 11 < context 16
             inputs=draw(idx=TOKENS, **lm_weights(preset)), run=lm_logits(preset), judge=close("logits", tol=DEEP))
        for preset in ("llama", "gpt")
    ),
    Case("transformer_lm", "loss",  # model(idx, targets) -> (logits, loss)
         inputs=draw(idx=TOKENS, targets=TOKENS, **lm_weights("gpt")), run=lm_logits_and_loss,
         judge=close("logits", "loss", tol=DEEP)),
    Case("transformer_lm", "causal_no_leak",
         inputs=with_weights(tokens_and_future_changed, lm_shapes("llama", LM), "w."), run=lm_future_changed,
         judge=future_does_not_leak("logits", 6, "input", LEAK_ADVICE)),
    Case("transformer_lm", "batch_independent",
         inputs=with_weights(batch_of_tokens_and_others_changed, lm_shapes("gpt", LM), "w."),
         run=lm_others_changed, judge=batch_independent("logits")),
    Case("transformer_lm", "every_parameter_learns", run=gradient_reports, judge=every_parameter_gets_a_gradient,
         reference=False),
]


# -- a fresh model's weights are initialised ---------------------------------------------------------
PLAUSIBLE_STD = (1e-4, 1e2)  # a fresh matrix's std: the documented inits (0.2 to 1 here) and GPT-2's 0.02 are inside


def matrix_summary(w: torch.Tensor) -> dict:
    finite = bool(torch.isfinite(w).all())
    first = w.flatten()[0].item()
    return {"finite": finite, "all_equal_to": first if finite and bool((w == first).all()) else None,
            "std": w.double().std().item() if finite else None}


def fresh_matrices(impl):
    """Each fresh model's matrices (its parameters of two dims or more), summarised as plain data."""
    summaries = {}
    for preset in ("llama", "gpt"):
        model = api(impl, "TransformerLM")(config(impl, preset, **LM))
        if not isinstance(model, torch.nn.Module):
            raise CaseFailed(f"TransformerLM should be a torch.nn.Module, but it is a {type(model).__name__}.")
        summaries[preset] = {n: matrix_summary(p.detach()) for n, p in model.named_parameters() if p.dim() >= 2}
    return summaries


def initialised(out, _):
    low, high = PLAUSIBLE_STD
    advice = ("a weight created with torch.empty and never initialised holds whatever was in memory (often zeros). "
              "Build it from your Linear or Embedding, which initialise their weights, or initialise it yourself.")
    for preset in ("llama", "gpt"):
        for name, s in sorted(out.get(preset, {}).items()):
            what = f"A fresh TransformerLM ({preset})'s {name}"
            if not s["finite"]:
                raise CaseFailed(f"{what} holds NaN or Inf: {advice}")
            if s["all_equal_to"] is not None:
                raise CaseFailed(f"{what} starts with every value equal to {s['all_equal_to']:g}: {advice}")
            if not low <= s["std"] <= high:
                raise CaseFailed(f"{what} starts with std {s['std']:.3g}, far from any initialisation: {advice}")


CASES += [
    Case("transformer_lm", "initialised",  # finite, not constant, of a plausible scale: no torch.empty left as it is
         run=fresh_matrices, judge=initialised, reference=False, seed=3),
]


# -- count_parameters ------------------------------------------------------------------------------
PRESET_CHOICES = {  # the two families, as TransformerConfig.preset documents them
    "gpt": {"norm": "layernorm", "ffn": "gelu", "positions": "learned", "bias": True},
    "llama": {"norm": "rmsnorm", "ffn": "swiglu", "positions": "rope", "bias": False},
}
COUNTED = {  # count_parameters' configurations: the preset, then its sizes and any choice overridden
    "seed_gpt": ("gpt", SEED_GPT),
    "llama": ("llama", LM),
    "gpt": ("gpt", LM),
    "gpt_no_bias": ("gpt", {**LM, "bias": False}),
    "llama_with_bias_and_layernorm": ("llama", {**LM, "bias": True, "norm": "layernorm"}),
}


def parameter_breakdown(preset: str, settings: dict) -> tuple[int, str]:
    """The parameters of TransformerLM(TransformerConfig.preset(preset, **settings)), worked out here from the
    documented shapes (not from the reference), and the sum written out term by term for the learner."""
    c = {**PRESET_CHOICES[preset], **settings}
    C, V, F, L, bias = c["d_model"], c["vocab_size"], c["d_ff"], c["num_layers"], int(c["bias"])
    norm = (f"2 x {C}", 2 * C) if c["norm"] == "layernorm" and bias else (f"{C}", C)  # a gain, and a bias
    if c["ffn"] == "swiglu":
        ffn = ("ffn (SwiGLU)", f"3 x {C} x {F}", 3 * C * F)
    else:
        ffn = ("ffn (GELU MLP)", f"2 x {C} x {F}" + f" + {F} + {C}" * bias, 2 * C * F + (F + C) * bias)
    block = [("ln1", *norm), ("attn", f"4 x {C} x {C}" + f" + {C}" * bias, 4 * C * C + C * bias), ("ln2", *norm), ffn]
    per_block = sum(n for *_, n in block)
    terms = [("token_embeddings", f"{V} x {C}", V * C)]
    if c["positions"] == "learned":
        terms.append(("position_embeddings", f"{c['context_length']} x {C}", c["context_length"] * C))
    else:
        terms.append(("rotary positions (their cos/sin tables are buffers)", "0", 0))
    terms += [
        (f"{L} blocks", f"{L} x {per_block:,} ({', '.join(term(*t) for t in block)})", L * per_block),
        ("ln_final", *norm),
        ("lm_head", f"{C} x {V}" + f" + {V}" * bias, C * V + V * bias),
    ]
    return sum(n for *_, n in terms), "; ".join(term(*t) for t in terms)


def term(name: str, formula: str, n: int) -> str:
    return f"{name} {n:,}" if formula == str(n) else f"{name} {formula} = {n:,}"


def as_call(preset: str, settings: dict) -> str:
    given = ", ".join(f'{k}="{v}"' if isinstance(v, str) else f"{k}={v}" for k, v in settings.items())
    return f'TransformerConfig.preset("{preset}", {given})'


assert parameter_breakdown(*COUNTED["seed_gpt"])[0] == SEED_GPT_PARAMETERS


def parameter_counts(impl):
    count_parameters = api(impl, "count_parameters")
    return {name: count_parameters(config(impl, preset, **settings)) for name, (preset, settings) in COUNTED.items()}


def counts_match(out, _):
    for name, (preset, settings) in COUNTED.items():
        total, terms = parameter_breakdown(preset, settings)
        yours = out.get(name)
        if yours != total:
            shown = f"{yours:,}" if isinstance(yours, int) and not isinstance(yours, bool) else repr(yours)
            raise CaseFailed(
                f"count_parameters gave {shown} for {as_call(preset, settings)}, which has {total:,} parameters: "
                f"{terms}. Find the term your count leaves out or counts differently."
            )


CASES += [
    Case("transformer_lm", "count_parameters",  # by formula; the seed GPT has exactly 208,193
         run=parameter_counts, judge=counts_match, reference=False),
]
