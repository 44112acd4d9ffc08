"""Print the project's speed figures (a script, not a timed test): `uv run python -m tools.benchmark`.

startup  `pytest -k test_linear` and a full `grade.py` as multiples of a bare
         `python -c "import torch"` in the same environment (aims: <= 1.5x and <= 2.5x);
         with --against REV, grade.py here against grade.py at git revision REV, runs
         alternated so that other work on the machine weighs on both alike.
ops      forward + backward of the reference's attention, RMSNorm, SwiGLU, softmax and
         cross-entropy against torch's built-ins, at batch 8, 256 tokens, d_model 512,
         8 heads (aim: <= 1.2x each); and one training step of the reference TransformerLM
         against the same model made of torch.nn modules (aim: <= 1.15x).
training the reference with train.py's default settings on the built-in corpus: seconds of
         training steps (evaluations not counted) until the validation loss is within 0.05 of
         the window floor, and of the entropy rate (aim: <= 60 s); and the tokens per second
         of that training loop against the same loop with the torch.nn model and
         torch.optim.AdamW.
"""

from __future__ import annotations

import argparse
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from course import REPO_ROOT as ROOT


def wall_time(command: list[str], repeats: int) -> float:
    """Median wall-clock seconds of `command` over `repeats` runs (after one warm-up run)."""
    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup(repeats: int, against: str | None = None) -> None:
    if against:
        return startup_against(repeats, against)
    py = sys.executable
    base = wall_time([py, "-c", "import torch"], repeats)
    rows = [
        ("pytest -k test_linear --impl solutions", [py, "-m", "pytest", "-q", "-k", "test_linear", "--impl", "solutions"], 1.5),
        ("grade.py --impl solutions", [py, "grade.py", "--impl", "solutions"], 2.5),
    ]
    label = 'python -c "import torch"'
    print(f"{label:45s} {base:6.2f} s   1.00x")
    for label, command, aim in rows:
        seconds = wall_time(command, repeats)
        print(f"{label:45s} {seconds:6.2f} s   {seconds / base:.2f}x (aim <= {aim}x)")


def startup_against(repeats: int, revision: str) -> None:
    """Median seconds of `grade.py --impl solutions` in this tree and at `revision` (same environment), alternated."""
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        trees = {"here": ROOT, revision: Path(folder)}
        times: dict[str, list[float]] = {name: [] for name in trees}
        cpu: dict[str, list[float]] = {name: [] for name in trees}
        for i in range(repeats + 1):  # the first round warms up (and compiles the revision's bytecode)
            for name, tree in trees.items():
                used, start = children_cpu(), time.perf_counter()
                subprocess.run([sys.executable, "grade.py", "--impl", "solutions"], cwd=tree, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if i:
                    times[name].append(time.perf_counter() - start)
                    cpu[name].append(children_cpu() - used)
    for label, unit, figures in (("wall-clock", "s", times), ("CPU (all its processes)", "s", cpu)):
        here, there = statistics.median(figures["here"]), statistics.median(figures[revision])
        print(f"grade.py --impl solutions, {label}, medians of {repeats} alternated runs: here {here:.2f} {unit}, "
              f"at {revision} {there:.2f} {unit}, {here / there:.2f}x (aim <= 1.2x)")
        for name in trees:
            print(f"  {name:>8}: " + " ".join(f"{t:.2f}" for t in figures[name]))


def children_cpu() -> float:
    """CPU seconds used so far by this process's waited-for children and their descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def seconds_per_call(fn, repeats: int, min_time: float = 0.5) -> float:
    """Best-of-`repeats` mean seconds per call, each timing at least `min_time` long."""
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        n, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < min_time or n == 0:
            fn()
            n += 1
        best = min(best, elapsed / n)
    return best


def forward_backward(fn, *inputs):
    """A callable running fn(*inputs) and a backward pass through its output."""

    leaves = [x.detach().requires_grad_(x.is_floating_point()) for x in inputs]

    def step():
        for x in leaves:
            x.grad = None
        out = fn(*leaves)
        (out if out.dim() == 0 else out.square().mean()).backward()

    return step


def ops(repeats: int) -> None:
    import torch
    import torch.nn.functional as F

    import solutions as ref

    torch.manual_seed(0)
    B, T, C, H, V = 8, 256, 512, 8, 2048
    x = torch.randn(B, T, C)
    q, k, v = (torch.randn(B, H, T, C // H) for _ in range(3))
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    logits, targets = torch.randn(B, T, V), torch.randint(0, V, (B, T))
    norm = ref.RMSNorm(C)
    swiglu = ref.SwiGLU(C)
    w1, w2, w3 = swiglu.w1.weight, swiglu.w2.weight, swiglu.w3.weight
    rows = [
        ("scaled_dot_product_attention (causal)", forward_backward(lambda q, k, v: ref.scaled_dot_product_attention(q, k, v, causal), q, k, v),
         forward_backward(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), q, k, v)),
        ("RMSNorm", forward_backward(norm, x), forward_backward(lambda x: F.rms_norm(x, (C,), norm.weight, norm.eps), x)),
        ("SwiGLU", forward_backward(swiglu, x), forward_backward(lambda x: F.linear(F.silu(F.linear(x, w1)) * F.linear(x, w3), w2), x)),
        ("softmax", forward_backward(lambda t: ref.softmax(t, -1), logits), forward_backward(lambda t: F.softmax(t, -1), logits)),
        ("cross_entropy", forward_backward(ref.cross_entropy, logits, targets),
         forward_backward(lambda t, y: F.cross_entropy(t.view(-1, V), y.view(-1)), logits, targets)),
    ]
    print(f"forward + backward, batch {B}, {T} tokens, d_model {C}, {H} heads, vocab {V}; torch threads: {torch.get_num_threads()}")
    for label, ours, theirs in rows:
        a, b = seconds_per_call(ours, repeats), seconds_per_call(theirs, repeats)
        print(f"  {label:40s} {a * 1e3:8.2f} ms  torch {b * 1e3:8.2f} ms   {a / b:.2f}x (aim <= 1.2x)")

    from tools.torch_nn_lm import TorchNNLM

    config = ref.TransformerConfig.preset("llama", vocab_size=V, context_length=T, d_model=C, num_layers=2, num_heads=H)
    idx, y = torch.randint(0, V, (B, T)), torch.randint(0, V, (B, T))

    def training_step(model):
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

        def step():
            optimizer.zero_grad(set_to_none=True)
            logits = model(idx)
            F.cross_entropy(logits.view(-1, V), y.view(-1)).backward()
            optimizer.step()

        return step

    ours = ref.TransformerLM(config)
    theirs = TorchNNLM(config)
    a, b = seconds_per_call(training_step(ours), repeats, 2.0), seconds_per_call(training_step(theirs), repeats, 2.0)
    n = sum(p.numel() for p in ours.parameters())
    print(f"training step, llama preset, {config.num_layers} layers, {n / 1e6:.1f} M parameters, batch {B} x {T} tokens:")
    print(f"  {'reference TransformerLM':40s} {a * 1e3:8.1f} ms  torch.nn {b * 1e3:8.1f} ms   {a / b:.2f}x (aim <= 1.15x)")


WITHIN = 0.05  # nats per character above a floor that counts as reaching it
EVAL_EVERY, ITERATION_CAP = 25, 3000


def training(repeats: int) -> None:
    import torch

    import solutions as ref
    from trainer.data import builtin, token_ids
    from trainer.loop import Settings, Trainer

    s = Settings()
    corpus = builtin(s.context_length)
    tokenizer = ref.CharTokenizer(corpus.vocabulary_text)
    data = (tokenizer.vocab_size, *token_ids(tokenizer, corpus))
    print(f"train.py's defaults: {s.preset}, {s.num_layers} layers, d_model {s.d_model}, {s.num_heads} heads, batch {s.batch_size} "
          f"x {s.context_length} tokens, a {s.max_iters}-iteration schedule; torch threads: {torch.get_num_threads()}")
    time_to_floors(Trainer(ref, s, *data), {"window floor": corpus.floor, "entropy rate": corpus.entropy_rate})
    tokens = s.batch_size * s.context_length
    a = seconds_per_call(Trainer(ref, s, *data).step, repeats, 2.0)
    b = seconds_per_call(Trainer(torch_nn_training(ref), s, *data).step, repeats, 2.0)
    print(f"  training loop, tokens/s: reference {tokens / a:8,.0f}  torch.nn + torch.optim.AdamW {tokens / b:8,.0f}   "
          f"time {a / b:.2f}x torch's")


def time_to_floors(trainer, floors: dict[str, float]) -> None:
    """Train until the validation loss is within WITHIN of each floor; print the seconds of stepping it took.

    The iterations needed are the same on every run (all is seeded); the seconds are given as
    iterations x the median step, which a burst of another process's work does not move, and
    as the plain sum.
    """
    steps, val = [], math.inf
    while floors and trainer.iteration < ITERATION_CAP:
        start = time.perf_counter()
        trainer.step()
        steps.append(time.perf_counter() - start)
        if trainer.iteration % EVAL_EVERY == 0:
            val = trainer.validation_loss()
            for label, floor in [(label, floor) for label, floor in floors.items() if val <= floor + WITHIN]:
                median = statistics.median(steps)
                print(f"  val {val:.3f}, within {WITHIN} of the {label} {floor:.3f}: iter {trainer.iteration:4}, "
                      f"{len(steps) * median:5.1f} s of training ({median * 1e3:.1f} ms a step; sum {sum(steps):.1f} s) (aim <= 60 s)")
                del floors[label]
    for label, floor in floors.items():
        print(f"  not within {WITHIN} of the {label} {floor:.3f} after {trainer.iteration} iterations (val {val:.3f})")


def torch_nn_training(ref):
    """The reference's training names with the model and the optimizer replaced by torch's."""
    import torch
    import torch.nn.functional as F

    from tools.torch_nn_lm import TorchNNLM

    class TorchNNTransformerLM(TorchNNLM):
        """The torch.nn model with TransformerLM's signature: built from (config, device), (logits, loss) given targets."""

        def __init__(self, config, device=None):
            super().__init__(config)
            self.to(device)

        def forward(self, idx, targets=None):
            logits = super().forward(idx)
            return logits if targets is None else (logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten()))

    names = {name: getattr(ref, name) for name in ref.__all__}
    return SimpleNamespace(**{**names, "TransformerLM": TorchNNTransformerLM, "AdamW": torch.optim.AdamW})


SECTIONS = {"startup": startup, "ops": ops, "training": training}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"which figures: {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing, median reported (default 3)")
    parser.add_argument("--against", metavar="REV", help="startup: grade.py here against grade.py at git revision REV")
    args = parser.parse_args(argv)
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    for name in args.sections or SECTIONS:
        print(f"== {name}")
        if name == "startup":
            startup(args.repeats, args.against)
        else:
            SECTIONS[name](args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
