"""Print the project's speed figures (a script, not a timed test): `uv run python -m tools.benchmark [GROUP ...]`.

startup  `pytest -k test_linear` and a full `grade.py` (its sandboxed worker included) as multiples of a bare
         `python -c "import torch"` in the same environment (aims: <= 1.5x and <= 2.5x); with --against REV,
         grade.py here against grade.py at git revision REV, runs alternated so that other work on the machine
         weighs on both alike.
ops      forward + backward of the reference's attention, RMSNorm, SwiGLU, softmax and cross-entropy against
         torch's built-ins, at batch 8, 256 tokens, d_model 512, 8 heads (aim: <= 1.2x each); and one training
         step of the reference TransformerLM against the same model made of torch.nn modules (aim: <= 1.15x).
training the reference with train.py's default settings on the built-in corpus: seconds of training steps
         (evaluations not counted) until the validation loss is within 0.05 of the window floor, and of the
         entropy rate (aim: <= 60 s); and the tokens per second of that training loop against the same loop
         with the torch.nn model and torch.optim.AdamW.
batch    `grade.py --batch` over copies of the reference in a temporary folder, with --jobs 1 and one job per
         core: seconds, submissions per minute, and per minute per core.

--readme also writes the figures of the groups measured into README.md's `bench:` blocks (tools/bench_figures.py).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from course import REPO_ROOT as ROOT

from . import bench_figures as figures
from .bench_figures import Compared, Floor, Machine, Timed

README = ROOT / "README.md"
STARTUP_AIMS = {"pytest": 1.5, "grade.py": 2.5}  # multiples of the bare import of torch
OP_AIM, STEP_AIM = 1.2, 1.15  # the reference's time over torch's
WITHIN = 0.05  # nats per character above a floor that counts as reaching it
FLOOR_AIM = 60.0  # seconds of training steps to get within WITHIN of each floor
EVAL_EVERY, ITERATION_CAP = 25, 3000
OP_TIME, STEP_TIME = 0.5, 2.0  # seconds each timing lasts at least: an operation's, a training step's


def run_quietly(command: list[str], cwd: Path = ROOT) -> None:
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wall_time(command: list[str], repeats: int) -> float:
    """Median wall-clock seconds of `command` over `repeats` runs (after one warm-up run)."""
    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        run_quietly(command)
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


# -- startup -----------------------------------------------------------------------------------------------


def startup(args: argparse.Namespace, machine: Machine) -> figures.Startup | None:
    if args.against:  # two trees compared: no figure for the README
        startup_against(args.repeats, args.against)
        return None
    py = sys.executable
    base = wall_time([py, "-c", "import torch"], args.repeats)
    commands = [
        ("`pytest -k test_linear --impl solutions`", [py, "-m", "pytest", "-q", "-k", "test_linear", "--impl",
                                                      "solutions"], STARTUP_AIMS["pytest"]),
        ("`grade.py --impl solutions` (every part, in the sandboxed worker)", [py, "grade.py", "--impl", "solutions"],
         STARTUP_AIMS["grade.py"]),
    ]
    label = 'python -c "import torch"'
    print(f"{label:45s} {base:6.2f} s   1.00x")
    rows = []
    for label, command, aim in commands:
        seconds = wall_time(command, args.repeats)
        rows.append(Timed(label, seconds, aim))
        print(f"{label.split('`')[1]:45s} {seconds:6.2f} s   {seconds / base:.2f}x (aim <= {aim}x)")
    return figures.Startup(machine, args.repeats, base, rows)


def startup_against(repeats: int, revision: str) -> None:
    """Median seconds of `grade.py --impl solutions` in this tree and at `revision` (same environment), alternated."""
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        trees = {"here": ROOT, revision: Path(folder)}
        times: dict[str, list[float]] = {name: [] for name in trees}
        for i in range(repeats + 1):  # the first round warms up (and compiles the revision's bytecode)
            for name, tree in trees.items():
                start = time.perf_counter()
                run_quietly([sys.executable, "grade.py", "--impl", "solutions"], cwd=tree)
                if i:
                    times[name].append(time.perf_counter() - start)
    # Wall-clock only: the sandboxed worker's CPU time is not reliably counted in this process's children.
    here, there = statistics.median(times["here"]), statistics.median(times[revision])
    print(f"grade.py --impl solutions, wall-clock, medians of {repeats} alternated runs: here {here:.2f} s, "
          f"at {revision} {there:.2f} s, {here / there:.2f}x (aim <= 1.2x)")
    for name in trees:
        print(f"  {name:>8}: " + " ".join(f"{t:.2f}" for t in times[name]))


# -- ops ---------------------------------------------------------------------------------------------------


def seconds_per_call(fn, repeats: int, min_time: float = OP_TIME) -> float:
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


def ops(args: argparse.Namespace, machine: Machine) -> figures.Ops:
    import torch
    import torch.nn.functional as F

    import solutions as ref

    repeats = args.repeats
    torch.manual_seed(0)
    B, T, C, H, V = 8, 256, 512, 8, 2048
    x = torch.randn(B, T, C)
    q, k, v = (torch.randn(B, H, T, C // H) for _ in range(3))
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    logits, targets = torch.randn(B, T, V), torch.randint(0, V, (B, T))
    norm = ref.RMSNorm(C)
    swiglu = ref.SwiGLU(C)
    w1, w2, w3 = swiglu.w1.weight, swiglu.w2.weight, swiglu.w3.weight
    rows = [  # (printed, in the README, the reference's, torch's)
        ("scaled_dot_product_attention (causal)",
         "`scaled_dot_product_attention`, causal, vs `F.scaled_dot_product_attention`",
         forward_backward(lambda q, k, v: ref.scaled_dot_product_attention(q, k, v, causal), q, k, v),
         forward_backward(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), q, k, v)),
        ("RMSNorm", "`RMSNorm` vs `F.rms_norm`", forward_backward(norm, x),
         forward_backward(lambda x: F.rms_norm(x, (C,), norm.weight, norm.eps), x)),
        ("SwiGLU", "`SwiGLU` vs `F.linear` and `F.silu`", forward_backward(swiglu, x),
         forward_backward(lambda x: F.linear(F.silu(F.linear(x, w1)) * F.linear(x, w3), w2), x)),
        ("softmax", "`softmax` vs `F.softmax`", forward_backward(lambda t: ref.softmax(t, -1), logits),
         forward_backward(lambda t: F.softmax(t, -1), logits)),
        ("cross_entropy", "`cross_entropy` vs `F.cross_entropy`", forward_backward(ref.cross_entropy, logits, targets),
         forward_backward(lambda t, y: F.cross_entropy(t.view(-1, V), y.view(-1)), logits, targets)),
    ]
    shape = f"batch {B}, {T} tokens, d_model {C}, {H} heads, vocabulary {V}"
    print(f"forward + backward, {shape}; torch threads: {torch.get_num_threads()}")
    compared = []
    for label, markdown, ours, theirs in rows:
        a, b = seconds_per_call(ours, repeats), seconds_per_call(theirs, repeats)
        compared.append(Compared(markdown, a, b, OP_AIM))
        print(f"  {label:40s} {a * 1e3:8.2f} ms  torch {b * 1e3:8.2f} ms   {a / b:.2f}x (aim <= {OP_AIM}x)")
    step = training_step(ref, B, T, C, H, V, repeats)
    return figures.Ops(machine, shape, torch.get_num_threads(), repeats, (OP_TIME, STEP_TIME), compared, step)


def training_step(ref, B: int, T: int, C: int, H: int, V: int, repeats: int) -> Compared:
    """One AdamW step of the reference TransformerLM against the same model of torch.nn modules."""
    import torch
    import torch.nn.functional as F

    from tools.torch_nn_lm import TorchNNLM

    config = ref.TransformerConfig.preset("llama", vocab_size=V, context_length=T, d_model=C, num_layers=2,
                                          num_heads=H)
    idx, y = torch.randint(0, V, (B, T)), torch.randint(0, V, (B, T))

    def step_of(model):
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

        def step():
            optimizer.zero_grad(set_to_none=True)
            logits = model(idx)
            F.cross_entropy(logits.view(-1, V), y.view(-1)).backward()
            optimizer.step()

        return step

    ours = ref.TransformerLM(config)
    a = seconds_per_call(step_of(ours), repeats, STEP_TIME)
    b = seconds_per_call(step_of(TorchNNLM(config)), repeats, STEP_TIME)
    n = sum(p.numel() for p in ours.parameters())
    print(f"training step, llama preset, {config.num_layers} layers, {n / 1e6:.1f} M parameters, "
          f"batch {B} x {T} tokens:")
    print(f"  {'reference TransformerLM':40s} {a * 1e3:8.1f} ms  torch.nn {b * 1e3:8.1f} ms   {a / b:.2f}x "
          f"(aim <= {STEP_AIM}x)")
    label = (f"a training step of the llama-preset `TransformerLM` ({config.num_layers} layers, {n / 1e6:.1f} M "
             "parameters, AdamW) vs the same model of `torch.nn` modules")
    return Compared(label, a, b, STEP_AIM)


# -- training ----------------------------------------------------------------------------------------------


def training(args: argparse.Namespace, machine: Machine) -> figures.Training:
    import torch

    import solutions as ref
    from trainer.data import builtin, token_ids
    from trainer.loop import Settings, Trainer

    s = Settings()
    corpus = builtin(s.context_length)
    tokenizer = ref.CharTokenizer(corpus.vocabulary_text)
    data = (tokenizer.vocab_size, *token_ids(tokenizer, corpus))
    settings = (f"{s.preset} preset, {s.num_layers} layers, d_model {s.d_model}, {s.num_heads} heads, batch "
                f"{s.batch_size} x {s.context_length} characters, a {s.max_iters}-iteration schedule")
    print(f"train.py's defaults: {settings}; torch threads: {torch.get_num_threads()}")
    floors = time_to_floors(Trainer(ref, s, *data), {"the window floor": corpus.floor,
                                                      "the entropy rate": corpus.entropy_rate})
    tokens = s.batch_size * s.context_length
    a = seconds_per_call(Trainer(ref, s, *data).step, args.repeats, STEP_TIME)
    b = seconds_per_call(Trainer(torch_nn_training(ref), s, *data).step, args.repeats, STEP_TIME)
    print(f"  training loop, tokens/s: reference {tokens / a:8,.0f}  torch.nn + torch.optim.AdamW "
          f"{tokens / b:8,.0f}   time {a / b:.2f}x torch's")
    threads = figures.counted(torch.get_num_threads(), "torch thread")
    return figures.Training(machine, f"{settings}, {threads}", WITHIN, FLOOR_AIM, ITERATION_CAP, floors, tokens / a,
                            tokens / b)


def time_to_floors(trainer, floors: dict[str, float]) -> list[Floor]:
    """Train until the validation loss is within WITHIN of each floor: the seconds of stepping it took.

    The iterations needed are the same on every run (all is seeded); the seconds are given as
    iterations x the median step, which a burst of another process's work does not move, and
    (printed) as the plain sum.
    """
    steps, val, reached = [], math.inf, {}
    waiting = dict(floors)
    while waiting and trainer.iteration < ITERATION_CAP:
        start = time.perf_counter()
        trainer.step()
        steps.append(time.perf_counter() - start)
        if trainer.iteration % EVAL_EVERY == 0:
            val = trainer.validation_loss()
            for label, floor in [(label, floor) for label, floor in waiting.items() if val <= floor + WITHIN]:
                median = statistics.median(steps)
                print(f"  val {val:.3f}, within {WITHIN} of {label} {floor:.3f}: iter {trainer.iteration:4}, "
                      f"{len(steps) * median:5.1f} s of training ({median * 1e3:.1f} ms a step; "
                      f"sum {sum(steps):.1f} s) (aim <= {FLOOR_AIM:g} s)")
                reached[label] = (trainer.iteration, len(steps) * median)
                del waiting[label]
    for label, floor in waiting.items():
        print(f"  not within {WITHIN} of {label} {floor:.3f} after {trainer.iteration} iterations (val {val:.3f})")
    return [Floor(f"{label}, {floor:.3f}", *reached.get(label, (None, None))) for label, floor in floors.items()]


def torch_nn_training(ref):
    """The reference's training names with the model and the optimizer replaced by torch's."""
    import torch
    import torch.nn.functional as F

    from tools.torch_nn_lm import TorchNNLM

    class TorchNNTransformerLM(TorchNNLM):
        """The torch.nn model with TransformerLM's signature: built from (config, device), (logits, loss) given
        targets."""

        def __init__(self, config, device=None):
            super().__init__(config)
            self.to(device)

        def forward(self, idx, targets=None):
            logits = super().forward(idx)
            return logits if targets is None else (logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten()))

    names = {name: getattr(ref, name) for name in ref.__all__}
    return SimpleNamespace(**{**names, "TransformerLM": TorchNNTransformerLM, "AdamW": torch.optim.AdamW})


# -- batch -------------------------------------------------------------------------------------------------


def batch(args: argparse.Namespace, machine: Machine) -> figures.Batch:
    """grade.py --batch over copies of the reference, timed as a whole command, one job and one per core."""
    copies = args.copies or max(6, 2 * machine.cores)
    result = figures.Batch(machine, copies)
    with tempfile.TemporaryDirectory(prefix="benchmark-class-") as folder:
        top = Path(folder)
        top.chmod(0o755)  # graded as root, the worker runs as another user: the copies must be readable by all
        for i in range(1, copies + 1):
            shutil.copytree(ROOT / "solutions", top / "class" / f"copy{i}",
                            ignore=shutil.ignore_patterns("__pycache__"))
        print(f"grade.py --batch over {copies} copies of the reference")
        for jobs in sorted({1, machine.cores}):
            grades = top / f"grades-jobs{jobs}.csv"
            command = [sys.executable, "grade.py", "--batch", str(top / "class"), "--csv", str(grades),
                       "--jobs", str(jobs)]
            start = time.perf_counter()
            run_quietly(command)
            seconds = time.perf_counter() - start
            check_full_marks(grades, copies)
            result.runs.append(figures.BatchRun(jobs, seconds))
            rate = copies / seconds * 60
            print(f"  --jobs {jobs}: {seconds:6.1f} s, {rate:5.1f} submissions per minute, {rate / jobs:5.1f} per "
                  "minute per core")
    return result


def check_full_marks(grades: Path, copies: int) -> None:
    """Every copy of the reference graded, with full marks: a grading that failed would make the figure a lie."""
    with open(grades, newline="") as f:
        rows = list(csv.DictReader(f))
    short = [row["name"] for row in rows if float(row["total"]) != float(row["max_score"])]
    if len(rows) != copies or short:
        raise SystemExit(f"grade.py --batch did not give every copy of the reference full marks ({', '.join(short)} "
                         f"short, {len(rows)} rows of {copies}): the timing is not of a real grading")


# -- the command line --------------------------------------------------------------------------------------

GROUPS = {"startup": startup, "ops": ops, "training": training, "batch": batch}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP", help=f"which figures: {', '.join(GROUPS)} or all "
                        "(the default)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing, median reported (default 3)")
    parser.add_argument("--against", metavar="REV", help="startup: grade.py here against grade.py at git revision REV")
    parser.add_argument("--copies", type=int, help="batch: how many copies of the reference to grade "
                        "(default: twice the cores, at least 6)")
    parser.add_argument("--readme", action="store_true", help="also write the figures into README.md's bench: blocks")
    args = parser.parse_args(argv)
    unknown = [g for g in args.groups if g not in (*GROUPS, "all")]
    if unknown:
        parser.error(f"unknown group {', '.join(unknown)}; choose from {', '.join(GROUPS)} or all")
    if args.readme and args.against:
        parser.error("--against compares two trees, not figures for the README: leave out --readme")
    chosen = list(GROUPS) if not args.groups or "all" in args.groups else list(dict.fromkeys(args.groups))
    machine, results = Machine.now(), []  # the load before the benchmark adds its own
    print(machine.line(), flush=True)
    for name in chosen:
        print(f"== {name} (load average {os.getloadavg()[0]:.2f})", flush=True)
        result = GROUPS[name](args, machine)
        if result is not None:
            results.append(result)
    print(f"== done (load average {os.getloadavg()[0]:.2f})")
    if args.readme and results:
        written = figures.write_readme(README, results)
        missing = [name for name in chosen if name not in written]
        print(f"README.md: wrote {', '.join(written) or 'nothing'}"
              + (f"; it has no bench: block for {', '.join(missing)}" if missing else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
