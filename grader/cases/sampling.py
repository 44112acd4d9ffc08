"""Part 3 cases: sampling text with generate. A row is a part, a name, its inputs, what to call and how to judge.

generate runs on a stand-in bigram model that records what it is fed (stand_ins.py): the cases check the
cropping, greedy decoding, and the frequencies sampled at a temperature, with top-k and with top-p.
"""

from __future__ import annotations

import torch

from ..case import Case, CaseFailed
from ..checks import Tol, close, expect_tensor
from .inputs import draw, integers, normal, randn
from .learner import api
from .stand_ins import GEN_CONTEXT, GEN_VOCAB, BigramRecorder

EXACT = Tol(rtol=0, atol=0)  # token ids: integers, equal or not

CASES: list[Case] = []


def generated(impl, table, prompt, **sampling):
    model = BigramRecorder(table)
    out = expect_tensor("generate(...)", api(impl, "generate")(model, prompt.clone(), 12, **sampling))
    if out.dim() != 2 or out.shape[0] != prompt.shape[0]:
        raise CaseFailed(
            f"generate returned shape {tuple(out.shape)}; expected (B, T + max_new_tokens) = "
            f"({prompt.shape[0]}, {prompt.shape[1] + 12})."
        )
    crops = [bool(x.shape[-1] <= GEN_CONTEXT and torch.equal(x, out[:, : prompt.shape[1] + i][:, -x.shape[-1] :]))
             for i, x in enumerate(model.inputs)]
    return {
        "tokens": out,
        "longest_input": max((x.shape[-1] for x in model.inputs), default=0),
        "inputs_are_suffixes": all(crops) and len(crops) == 12,
    }


def crops_and_matches(out, expected):
    if out.get("longest_input", 0) > GEN_CONTEXT:
        raise CaseFailed(
            f"generate fed the model {out['longest_input']} tokens, but its context length is {GEN_CONTEXT}: "
            "crop to idx[:, -model.config.context_length:] before each call."
        )
    if not out.get("inputs_are_suffixes"):
        raise CaseFailed(
            "each call to the model should get the last (at most context_length) tokens of the sequence so far, "
            "once per new token."
        )
    close("tokens", tol=EXACT)(out, expected)


SAMPLES = 4000


def sample_frequencies(impl, table, **sampling):
    """Frequencies of one sampled token after token 0, over many rows."""
    model = BigramRecorder(table)
    out = expect_tensor(
        "generate(...)", api(impl, "generate")(model, torch.zeros(SAMPLES, 1, dtype=torch.long), 1, **sampling)
    )
    return {
        "frequencies": torch.bincount(out[:, -1].long().clamp(0, GEN_VOCAB), minlength=GEN_VOCAB + 1)[:GEN_VOCAB]
        / SAMPLES
    }


def filtered(logits, temperature=1.0, top_k=None, top_p=None):
    """The distribution sampling should follow: the referee's own, independent of any package."""
    probs = torch.softmax(logits.double() / temperature, dim=-1)
    order = probs.argsort(descending=True)
    keep = torch.ones_like(probs, dtype=torch.bool)
    if top_k is not None:
        keep[order[top_k:]] = False
    if top_p is not None:
        before = probs[order].cumsum(0) - probs[order]
        keep[order[before >= top_p]] = False
        keep[order[0]] = True  # the most likely token always stays
    return torch.where(keep, probs, 0) / probs[keep].sum()


def sampling_case(name, **sampling):
    def inputs(g):
        return {"table": randn(g, GEN_VOCAB, GEN_VOCAB, scale=1.5)}

    def judge(out, expected):
        freq = expect_tensor("frequencies", out.get("frequencies")).double()
        want = expected["probabilities"].value
        outside = [t for t in range(GEN_VOCAB) if want[t] == 0 and freq[t] > 0]
        if outside:
            raise CaseFailed(f"with {sampling}, token {outside[0]} was sampled, but it should have been filtered out.")
        sigma = (want * (1 - want) / SAMPLES).sqrt()
        worst = int(((freq - want).abs() - 5 * sigma).argmax())
        if (freq[worst] - want[worst]).abs() > 5 * sigma[worst] + 1e-3:
            raise CaseFailed(
                f"with {sampling}, token {worst} came up in {100 * freq[worst]:.1f}% of {SAMPLES} samples; it should "
                f"be about {100 * want[worst]:.1f}%: sample from softmax(logits / temperature) after filtering."
            )

    def run(impl, table):
        return {**sample_frequencies(impl, table, **sampling), "probabilities": filtered(table[0], **sampling)}

    return Case("generate", name, inputs=inputs, run=run, judge=judge, reference_in_float64=False, seed=1,
                resemblance=Tol(rtol=0, atol=0.03))  # sampling noise


def generated_with(**sampling):
    def run(impl, table, prompt):
        return generated(impl, table, prompt, **sampling)

    return run


CASES += [
    *(
        Case("generate", name,
             inputs=draw(table=normal(GEN_VOCAB, GEN_VOCAB, scale=3), prompt=integers(GEN_VOCAB, 3, 5)),
             run=generated_with(**sampling), judge=crops_and_matches, reference_in_float64=False)
        for name, sampling in (("greedy_and_cropped", {"temperature": 0}), ("top_k_1_is_greedy", {"top_k": 1}))
    ),
    sampling_case("temperature", temperature=0.5),
    sampling_case("top_k", top_k=3),
    sampling_case("top_p", top_p=0.7),
    sampling_case("top_k_above_vocabulary", top_k=GEN_VOCAB + 8),
]
