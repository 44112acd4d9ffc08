"""Part 3 cases: training. A row is a part, a name, its inputs, what to call and how to judge.

Points come from course/parts.py. Each utility is checked on its own, against the reference or a
property: AdamW's trajectory over several steps and parameter groups, the schedule's values, clipping
with frozen parameters, the windows get_batch draws, a checkpoint that resumes bit for bit, the modes
estimate_loss leaves. Checkpoints and estimate_loss run on small stand-in models (stand_ins.py), so they
are judged apart from the learner's TransformerLM. generate has its cases in sampling.py, and the
end-to-end training run in end_to_end.py.
"""

from __future__ import annotations

import io
import math
import os
import tempfile

import torch
from torch import nn

from ..case import Case, CaseFailed
from ..checks import Tol, close, describe, expect_close, expect_tensor
from .inputs import draw, normal, randn
from .judges import FP32
from .learner import api, as_number, raised
from .stand_ins import LossRecorder, tiny_model, train_steps

TEXT = "to be, or not to be: that is the question.\n"

CASES: list[Case] = []


# -- tokenizer -------------------------------------------------------------------------------------
def tokenizer_round_trip(impl):
    tok = api(impl, "CharTokenizer")(TEXT)
    ids = tok.encode(TEXT)
    return {
        "vocab_size": tok.vocab_size,
        "ids": [int(i) for i in ids],
        "decoded": tok.decode(ids),
        "decoded_tensor": tok.decode(torch.tensor(ids)),
    }


def round_trips(out, expected):
    if out.get("vocab_size") != expected["vocab_size"]:
        raise CaseFailed(f"vocab_size is {out.get('vocab_size')!r}; "
                         f"{TEXT!r} has {expected['vocab_size']} distinct characters.")
    if out.get("ids") != expected["ids"]:
        raise CaseFailed(
            f"encode gave {out.get('ids')} but should give {expected['ids']}: a character's id is its index "
            "in the sorted list of the text's distinct characters."
        )
    for key, how in (("decoded", "a list"), ("decoded_tensor", "a 1-D tensor")):
        if out.get(key) != TEXT:
            raise CaseFailed(f"decode(encode(text)) given {how} gave {out.get(key)!r}, not the text back.")


def unknown_character_is_a_value_error(out, _):
    if out.get("raised") is None:
        raise CaseFailed("encoding a character missing from the vocabulary should raise an error, "
                         "but nothing was raised.")
    if out["raised"] != "ValueError" or "Z" not in out.get("message", ""):
        raise CaseFailed(
            f"encoding 'Z', which the tokenizer never saw, raised {out['raised']}({out.get('message', '')!r}); "
            "raise a ValueError whose message names the character."
        )


def unknown_character(impl):
    return raised(lambda: api(impl, "CharTokenizer")(TEXT).encode("Zebra"))


CASES += [
    Case("tokenizer", "round_trip", run=tokenizer_round_trip, judge=round_trips),
    Case("tokenizer", "unknown_character", run=unknown_character, judge=unknown_character_is_a_value_error,
         reference=False),
]


# -- get_batch -------------------------------------------------------------------------------------
WINDOW_DATA = 7 + 3 * torch.arange(50, dtype=torch.int32)  # token i is 7 + 3i: a window's start is readable


def windows(impl):
    x, y = api(impl, "get_batch")(WINDOW_DATA, 8, 6, "cpu", torch.Generator().manual_seed(0))
    return {"inputs": x, "targets": y}


def are_shifted_windows(out, _):
    x, y = expect_tensor("inputs", out.get("inputs")), expect_tensor("targets", out.get("targets"))
    for name, t in (("inputs", x), ("targets", y)):
        if tuple(t.shape) != (8, 6):
            raise CaseFailed(f"`{name}` has shape {tuple(t.shape)}; "
                             "with batch_size 8 and context_length 6 it should be (8, 6).")
        if t.dtype != torch.int64:
            raise CaseFailed(f"`{name}` has dtype {str(t.dtype).removeprefix('torch.')}; "
                             "token ids for an Embedding should be int64 (long).")
    starts = (x[:, 0] - 7) // 3
    for b in range(8):
        window = WINDOW_DATA[starts[b] : starts[b] + 6].long()
        if len(window) != 6 or not torch.equal(x[b], window):
            raise CaseFailed(f"inputs[{b}] = {x[b].tolist()} is not 6 consecutive tokens of the data.")
        if torch.equal(y[b], x[b]):
            raise CaseFailed("the targets equal the inputs: they should be the same window shifted one token later.")
        if not torch.equal(y[b], WINDOW_DATA[starts[b] + 1 : starts[b] + 7].long()):
            raise CaseFailed(f"targets[{b}] = {y[b].tolist()} "
                             f"should be the next token after each input: {(x[b] + 3).tolist()}.")


SPREAD_N, SPREAD_T = 40, 8  # valid starts 0 .. 31


def starts_drawn(impl):
    g = torch.Generator().manual_seed(0)
    data = torch.arange(SPREAD_N)
    starts = [api(impl, "get_batch")(data, 16, SPREAD_T, "cpu", g)[0][:, 0] for _ in range(50)]
    return {"starts": torch.cat([expect_tensor("inputs", s) for s in starts])}


def spread_over_every_start(out, _):
    starts = expect_tensor("starts", out.get("starts")).long()
    last = SPREAD_N - SPREAD_T - 1
    missing = sorted(set(range(last + 1)) - set(starts.tolist()))
    if starts.min() < 0 or starts.max() > last:
        raise CaseFailed(f"a window started at {starts.max().item()}, past the last valid start {last}.")
    if missing:
        raise CaseFailed(
            f"in 800 windows of {SPREAD_T} from {SPREAD_N} tokens, no window started at {missing}; every start "
            f"from 0 to {last} = N - T - 1 should be possible (torch.randint's upper bound is exclusive)."
        )


def seeded_batches(impl):
    get_batch, data = api(impl, "get_batch"), torch.arange(1000)
    return {
        f"inputs_{name}": get_batch(data, 4, 8, "cpu", torch.Generator().manual_seed(seed))[0]
        for name, seed in (("seed_1", 1), ("seed_1_again", 1), ("seed_2", 2))
    }


def follow_the_generator(out, _):
    a, again, b = (expect_tensor(k, out.get(k)) for k in ("inputs_seed_1", "inputs_seed_1_again", "inputs_seed_2"))
    if not torch.equal(a, again):
        raise CaseFailed("two generators with the same seed gave different batches: "
                         "draw the starts with torch.randint(..., generator=generator).")
    if torch.equal(a, b):
        raise CaseFailed("generators with different seeds gave the same batch: "
                         "draw the starts with torch.randint(..., generator=generator).")


def too_short_is_a_value_error(out, _):
    if out.get("raised") != "ValueError":
        got = out.get("raised") or "nothing"
        raise CaseFailed(f"get_batch on 8 tokens with context_length 8 (no whole window and target) raised {got}; "
                         "raise a ValueError that says so.")


def too_short(impl):
    return raised(lambda: api(impl, "get_batch")(torch.arange(8), 2, 8, "cpu"))


CASES += [
    Case("get_batch", "shifted_windows", run=windows, judge=are_shifted_windows, reference=False),
    Case("get_batch", "every_start", run=starts_drawn, judge=spread_over_every_start, reference=False),
    Case("get_batch", "seeded", run=seeded_batches, judge=follow_the_generator, reference=False),
    Case("get_batch", "too_short", run=too_short, judge=too_short_is_a_value_error, reference=False, weight=0.5),
]


# -- AdamW -----------------------------------------------------------------------------------------
def adamw_trajectory(impl, grads: dict, groups: list[dict], defaults: dict, initial: dict, skip=()) -> dict:
    """Parameters after every step; grads[name][s] is the gradient at step s, but (name, s) in skip gets none."""
    params = {name: nn.Parameter(value.clone()) for name, value in initial.items()}
    opt = api(impl, "AdamW")([{**g, "params": [params[n] for n in g["params"]]} for g in groups], **defaults)
    trajectory = {name: [] for name in params}
    for s in range(len(next(iter(grads.values())))):
        for name, p in params.items():
            g = grads[name][s]
            p.grad = None if (name, s) in skip else g.clone()
        opt.step()
        for name, p in params.items():
            trajectory[name].append(p.detach().clone())
    return {name: torch.stack(values) for name, values in trajectory.items()}


TWO_GROUPS = [{"params": ["w"], "weight_decay": 0.5}, {"params": ["b"], "lr": 0.02, "betas": (0.8, 0.99)}]


def adamw_inputs(g, steps=6):
    """Weights, and per-step gradients on scales from 0.1 to 100: large next to eps, so that every valid way of
    writing AdamW agrees here (the Adam paper's order adds eps to sqrt(v) before the bias correction)."""
    grad_w = randn(g, steps, 4, 3) * 10 ** torch.empty(steps, 1, 3).uniform_(-1, 2, generator=g)
    return {"w": randn(g, 4, 3), "b": randn(g, 5), "grad_w": grad_w, "grad_b": randn(g, steps, 5)}


# Gradients of about 3e-4, so that eps matters: sqrt(v) is near eps. With beta2 = 0.1 the bias correction of v
# is close to 1 from the first step, so the Adam paper's order (eps added before it) stays within 0.22 of this
# tolerance, while eps inside the square root is off by 1,400 times it and a group's own eps ignored by 19 times
# (selftests/ grades all three).
SMALL_GRADIENTS = [{"params": ["w"]}, {"params": ["s"], "betas": (0.9, 0.1), "eps": 1e-6}]
SMALL_GRADIENT_TOL = Tol(rtol=1e-4, atol=1e-4)


def small_gradient_inputs(g, steps=6):
    return {
        "w": randn(g, 4, 3), "s": randn(g, 5), "grad_w": randn(g, steps, 4, 3), "grad_s": randn(g, steps, 5, scale=3e-4)
    }


def optimizer_facts(impl):
    p = nn.Parameter(torch.ones(3))
    opt = api(impl, "AdamW")([p])
    p.grad = torch.ones(3)

    def closure():
        return torch.tensor(42.0)

    returned = opt.step(closure)
    return {
        "is_optimizer": isinstance(opt, torch.optim.Optimizer),
        "defaults": {k: list(v) if isinstance(v, tuple) else v
                     for k, v in opt.defaults.items() if k in ("lr", "betas", "eps", "weight_decay")},
        "closure_loss": as_number("step(closure)", returned) if returned is not None else None,
    }


def is_torch_optimizer(out, expected):
    if not out.get("is_optimizer"):
        raise CaseFailed("AdamW should subclass torch.optim.Optimizer (class AdamW(torch.optim.Optimizer)).")
    if out.get("defaults") != expected["defaults"]:
        raise CaseFailed(f"AdamW's defaults are {out.get('defaults')}; "
                         f"they should be torch.optim.AdamW's: {expected['defaults']}.")
    if out.get("closure_loss") != 42.0:
        raise CaseFailed("step(closure) should call closure() and return what it returns.")


def adamw_resume(impl, w, grad_w):
    """Five steps straight, against two steps, a state_dict round trip into a new AdamW, three more."""
    AdamW = api(impl, "AdamW")

    def run(split: int | None):
        p = nn.Parameter(w.clone())
        opt = AdamW([p], lr=0.05, weight_decay=0.1)
        for s in range(5):
            if s == split:
                state = opt.state_dict()
                p = nn.Parameter(p.detach().clone())
                opt = AdamW([p], lr=0.05, weight_decay=0.1)
                opt.load_state_dict(state)
            p.grad = grad_w[s].clone()
            opt.step()
        return p.detach()

    return {"straight": run(None), "resumed": run(2)}


def resumes_from_state_dict(out, _):
    straight, resumed = expect_tensor("straight", out.get("straight")), expect_tensor("resumed", out.get("resumed"))
    if not torch.equal(straight, resumed):
        raise CaseFailed(
            "an AdamW restored with load_state_dict() after 2 steps ends elsewhere than one that never stopped: "
            "keep m, v and the step count in self.state[p], where state_dict() saves them."
        )


def two_groups(impl, w, b, grad_w, grad_b):
    return adamw_trajectory(
        impl, {"w": grad_w, "b": grad_b}, TWO_GROUPS, {"lr": 0.05, "weight_decay": 0.1}, {"w": w, "b": b}
    )


def small_gradients(impl, w, s, grad_w, grad_s):
    return adamw_trajectory(impl, {"w": grad_w, "s": grad_s}, SMALL_GRADIENTS, {"lr": 0.05, "weight_decay": 0.1},
                            {"w": w, "s": s})


def missing_gradients(impl, w, b, grad_w, grad_b):
    """b has no gradient at steps 0, 1 and 3: its t counts its own steps."""
    return adamw_trajectory(impl, {"w": grad_w, "b": grad_b}, [{"params": ["w", "b"]}],
                            {"lr": 0.05, "weight_decay": 0.2}, {"w": w, "b": b}, skip={("b", 0), ("b", 1), ("b", 3)})


CASES += [
    Case("adamw", "is_an_optimizer", run=optimizer_facts, judge=is_torch_optimizer, weight=0.5),
    Case("adamw", "trajectory",  # two parameter groups with their own hyperparameters
         inputs=adamw_inputs, run=two_groups, judge=close("w", "b", tol=FP32), weight=2, resemblance=FP32),
    Case("adamw", "small_gradients",  # where eps matters: inside or outside the sqrt, and each group's own
         inputs=small_gradient_inputs, run=small_gradients, judge=close("w", "s", tol=SMALL_GRADIENT_TOL)),
    Case("adamw", "skips_missing_gradients", inputs=adamw_inputs, run=missing_gradients,
         judge=close("w", "b", tol=FP32), resemblance=FP32),
    Case("adamw", "state_dict", inputs=draw(w=normal(4, 3), grad_w=normal(5, 4, 3)), run=adamw_resume,
         judge=resumes_from_state_dict, reference=False, weight=0.5),
]


# -- learning-rate schedule ------------------------------------------------------------------------
SCHEDULES = {
    "warmup_5_cosine_20": (1.0, 0.1, 5, 20),
    "no_warmup": (3e-3, 3e-4, 0, 10),
}


def schedule_values(impl):
    schedule = api(impl, "cosine_lr_schedule")
    return {
        name: torch.tensor(
            [as_number("cosine_lr_schedule", schedule(t, *args)) for t in range(args[3] + 5)], dtype=torch.float64
        )
        for name, args in SCHEDULES.items()
    }


def schedule_matches(out, expected):
    for name, (lr_max, lr_min, warmup, cosine) in SCHEDULES.items():
        yours, want = expect_tensor(name, out.get(name)), expected[name].value
        if yours.shape != want.shape:
            raise CaseFailed(f"{name}: expected {len(want)} values.")
        wrong = [t for t in range(len(want)) if abs(yours[t] - want[t]) > 1e-9 * max(1.0, abs(want[t]))]
        if wrong:
            t = wrong[0]
            phase = "warmup" if t < warmup else "cosine decay" if t <= cosine else "the flat end"
            raise CaseFailed(
                f"with lr_max={lr_max}, lr_min={lr_min}, warmup_iters={warmup}, cosine_iters={cosine}: "
                f"at t={t} ({phase}) yours is {yours[t].item():.6g}, expected {want[t].item():.6g} "
                f"(wrong at t = {', '.join(map(str, wrong[:8]))}{'...' if len(wrong) > 8 else ''})."
            )


CASES += [Case("cosine_lr_schedule", "values", run=schedule_values, judge=schedule_matches)]


# -- gradient clipping -----------------------------------------------------------------------------
def clip(impl, max_norm, a, b, c):
    """Three parameters with gradients, one frozen, one trainable but unused; given as a generator."""
    params = [nn.Parameter(t.clone()) for t in (a, b, c)]
    for p, t in zip(params, (a, b, c)):
        p.grad = t.clone() * 2 + 1
    frozen, unused = nn.Parameter(torch.ones(4), requires_grad=False), nn.Parameter(torch.ones(4))
    everything = [params[0], frozen, params[1], unused, params[2]]
    norm = api(impl, "clip_grad_norm")((p for p in everything), max_norm)
    out = {f"{name}.grad": p.grad for name, p in zip("abc", params)}
    out["norm"] = norm
    out["untouched_have_no_grad"] = frozen.grad is None and unused.grad is None
    return out


def clipped_like_torch(out, expected):
    norm = out.get("norm")
    if norm is None:
        raise CaseFailed("clip_grad_norm should return the total norm from before clipping (a 0-dim tensor); "
                         "it returned None.")
    if isinstance(norm, (int, float)) and not isinstance(norm, bool):
        norm = torch.tensor(float(norm))
    if not isinstance(norm, torch.Tensor) or norm.numel() != 1:
        raise CaseFailed(f"clip_grad_norm should return the total norm from before clipping, one number "
                         f"(a 0-dim tensor); it returned {describe(norm)}.")
    if not out.get("untouched_have_no_grad"):
        raise CaseFailed("parameters without a gradient (frozen, or unused) should be skipped, "
                         "and their .grad left None.")
    close("a.grad", "b.grad", "c.grad", tol=FP32)(out, expected)
    expect_close("norm", norm.reshape(()).to(torch.float32), expected["norm"], FP32)


def clip_to(max_norm: float):
    def run(impl, a, b, c):
        return clip(impl, max_norm, a, b, c)

    return run


THREE_GRADIENTS = draw(a=normal(4, 3), b=normal(5), c=normal(2, 2, 2))

CASES += [
    Case("clip_grad_norm", "above_max_norm", inputs=THREE_GRADIENTS, run=clip_to(1.0), judge=clipped_like_torch,
         weight=2),
    Case("clip_grad_norm", "below_max_norm",  # leaves the gradients alone
         inputs=THREE_GRADIENTS, run=clip_to(100.0), judge=clipped_like_torch),
]


# -- checkpoints -----------------------------------------------------------------------------------
def checkpoint_resume(impl, x, y, to_path: bool):
    """Three steps and a checkpoint, then three more: straight on, or in a new model loaded from it."""
    save, load = api(impl, "save_checkpoint"), api(impl, "load_checkpoint")
    model = tiny_model(0)
    opt = torch.optim.AdamW(model.parameters(), lr=0.01)
    train_steps(model, opt, x, y, 3)
    with tempfile.TemporaryDirectory() as folder:
        target = os.path.join(folder, "checkpoint.pt") if to_path else io.BytesIO()
        save(target, model, opt, 3)
        train_steps(model, opt, x, y, 3)
        fresh = tiny_model(1)
        fresh_opt = torch.optim.AdamW(fresh.parameters(), lr=0.01)
        if not to_path:
            target.seek(0)
        iteration = load(target, fresh, fresh_opt)
    train_steps(fresh, fresh_opt, x, y, 3)
    same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), fresh.state_dict().values()))
    return {"iteration": iteration if isinstance(iteration, int) else repr(iteration), "bit_for_bit": same}


def resumes_bit_for_bit(out, _):
    if out.get("iteration") != 3:
        raise CaseFailed(f"load_checkpoint returned {out.get('iteration')!r}; "
                         "it should return the iteration that was saved, 3.")
    if not out.get("bit_for_bit"):
        raise CaseFailed(
            "training resumed from the checkpoint ends with different weights than training that never stopped: "
            "save and restore both model.state_dict() and optimizer.state_dict() (AdamW's m, v and step counts)."
        )


def resume_from(where: str):
    def run(impl, x, y):
        return checkpoint_resume(impl, x, y, to_path=where == "path")

    return run


CASES += [
    Case("checkpoint", f"resume_{where}", inputs=draw(x=normal(8, 6), y=normal(8, 3)), run=resume_from(where),
         judge=resumes_bit_for_bit, reference=False)
    for where in ("path", "file")
]


# -- estimate_loss ---------------------------------------------------------------------------------
def loss_estimates(impl):
    estimate = api(impl, "estimate_loss")
    data, out = torch.arange(200) % 97, {}
    for mode in ("train", "eval"):
        model = LossRecorder()
        model.train(mode == "train")
        value = estimate(model, data, 4, 8, 5, "cpu", torch.Generator().manual_seed(0))
        out[mode] = {
            "value": as_number("estimate_loss", value),
            "mean_of_calls": sum(c["loss"] for c in model.calls) / max(len(model.calls), 1),
            "calls": len(model.calls),
            "all_in_eval_mode": all(not c["training"] for c in model.calls),
            "any_with_grad": any(c["grad"] for c in model.calls),
            "mode_after": "train" if model.training else "eval",
        }
    model = LossRecorder()
    out["same_seed"], out["same_seed_again"], out["other_seed"] = (
        as_number("estimate_loss", estimate(model, data, 4, 8, 5, "cpu", torch.Generator().manual_seed(seed)))
        for seed in (1, 1, 2)
    )
    return out


def evaluates_politely(out, _):
    for mode in ("train", "eval"):
        r = out.get(mode) or {}
        if r.get("calls") != 5:
            raise CaseFailed(f"estimate_loss with eval_iters=5 called the model {r.get('calls')} times; "
                             "it should evaluate 5 batches.")
        if not r.get("all_in_eval_mode"):
            raise CaseFailed("the model was in training mode while estimate_loss evaluated it: "
                             "call model.eval() first.")
        if r.get("any_with_grad"):
            raise CaseFailed("estimate_loss ran the model with gradients enabled: evaluate under torch.no_grad().")
        if not math.isclose(r["value"], r["mean_of_calls"], rel_tol=1e-6, abs_tol=1e-9):
            raise CaseFailed(f"estimate_loss returned {r['value']:.6g}, "
                             f"but the mean of the 5 losses the model returned is {r['mean_of_calls']:.6g}.")
        if r.get("mode_after") != mode:
            raise CaseFailed(
                f"a model in {mode} mode was left in {r.get('mode_after')} mode after estimate_loss: "
                "save model.training before evaluating and restore it with model.train(was_training)."
            )
    if out.get("same_seed") != out.get("same_seed_again") or out.get("same_seed") == out.get("other_seed"):
        raise CaseFailed("estimate_loss should draw its batches with get_batch(..., generator): "
                         "the same seed should give the same value.")


CASES += [Case("estimate_loss", "modes_and_mean", run=loss_estimates, judge=evaluates_politely, reference=False)]
