"""train.py's command line: train a TransformerLM built from an implementation package and watch it learn.

Exit status: 0 when the run finished, 2 for a bad flag or file (one line), 1 when the trained
package's code is unfinished or fails (one line naming it), 130 after Ctrl-C (a checkpoint is
saved first).

The pieces, each in its own module: options (the flags), runs (run.json and the rules of
--resume), device, package (importing the trained package and explaining its failures),
interrupt (Ctrl-C) and session (progress, evaluations, checkpoints, the plot and the samples).
"""

from __future__ import annotations

import argparse
import sys

from .data import BadInput, builtin, from_file
from .device import pick_device
from .options import parse
from .package import LearnerError, check_model, import_impl, learner_code, tokenizer_for
from .runs import SAMPLES, plan, prepare_out, shown
from .session import Session


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        return train(args)
    except BadInput as exc:
        print(f"train.py: {exc}", file=sys.stderr)
        return 2
    except LearnerError as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("train.py: interrupted", file=sys.stderr)
        return 130


def train(args: argparse.Namespace) -> int:
    """Check everything that can be checked, then train, sample and sum up; returns the exit status."""
    from rich.console import Console

    run, out = plan(args)
    s = run.settings
    corpus = from_file(args.data or run.data, s.context_length) if run.data else builtin(s.context_length)
    device = pick_device(args.device)
    impl = import_impl(run.impl)
    # Text from files is printed as it is: no markup, emoji or highlighting.
    console = Console(markup=False, emoji=False, highlight=False, soft_wrap=True)
    with learner_code(impl):
        tokenizer = tokenizer_for(impl, corpus.vocabulary_text)
        vocab_size = tokenizer.vocab_size
    check_model(impl, s, vocab_size)
    prepare_out(out, args.resume)
    with learner_code(impl):
        session = Session(impl, run, corpus, tokenizer, device, out, console)
        if args.resume:
            session.resume()
        run.save(out)
        for line in session.describe():
            console.print(line)
        if not args.resume:
            session.evaluate()  # the untrained model: about ln(vocabulary size)
        if session.train():
            console.print(f"stopped at iter {session.trainer.iteration}: checkpoint saved; continue with "
                          f"`uv run python train.py --out {shown(out)} --resume`")
            return 130
        samples = session.samples()
    (out / SAMPLES).write_text("\n\n".join(samples) + "\n")
    for line in samples + session.summary():
        console.print(line)
    return 0
