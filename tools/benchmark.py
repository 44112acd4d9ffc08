"""Print the project's speed figures (a script, not a timed test): `uv run python -m tools.benchmark`.

startup  `pytest -k test_linear` and a full `grade.py` as multiples of a bare
         `python -c "import torch"` in the same environment (aims: <= 1.5x and <= 2.5x).
ops      forward + backward of the reference's attention, RMSNorm, SwiGLU, softmax and
         cross-entropy against torch's built-ins, at batch 8, 256 tokens, d_model 512,
         8 heads (aim: <= 1.2x each); and one training step of the reference TransformerLM
         against the same model made of torch.nn modules (aim: <= 1.15x).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall_time(command: list[str], repeats: int) -> float:
    """Median wall-clock seconds of `command` over `repeats` runs (after one warm-up run)."""
    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup(repeats: int) -> None:
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


SECTIONS = {"startup": startup, "ops": ops}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"which figures: {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing, median reported (default 3)")
    args = parser.parse_args(argv)
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    for name in args.sections or SECTIONS:
        print(f"== {name}")
        SECTIONS[name](args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
