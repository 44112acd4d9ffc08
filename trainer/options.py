"""train.py's flags: what to train, how, and where the output goes."""

from __future__ import annotations

import argparse
from pathlib import Path

from course.launch import number
from course.packages import IMPL_HELP

from .loop import Settings
from .progress import PLAIN_EVERY_SECONDS, RUNNING_MEAN
from .runs import Reporting


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line; a setting's flag left out is None, so that --resume can tell it from one given."""
    d, r = Settings(), Reporting()
    parser = argparse.ArgumentParser(
        prog="train.py",
        description="Train a TransformerLM built from your code (or another package) on the built-in corpus or a text "
        "file, and watch its validation loss approach the floor no model can beat.",
        epilog=f"Progress: in a terminal, a bar with the training loss (the mean of the last {RUNNING_MEAN} steps), "
        "tokens/s and the time elapsed and left; without one (CI, a notebook, a pipe), the same as a plain line every "
        f"{PLAIN_EVERY_SECONDS:g} seconds and where training stops. Every --eval-interval steps, a line with the "
        "validation loss. "
        "Ctrl-C stops after the current step and saves a checkpoint. DIR/run.json records every flag but "
        "--device and --out; with --resume, flags left out take the resumed run's values from it, and those given "
        "change them (but not the model's sizes, nor --data).",
    )
    what = parser.add_argument_group("what to train")
    what.add_argument("--impl", help=IMPL_HELP)
    what.add_argument("--data", metavar="FILE",
                      help="a UTF-8 text file to train on (its last 10%% validates) instead of the built-in corpus")
    what.add_argument("--preset", choices=("llama", "gpt"), help=f"model family (default {d.preset})")
    what.add_argument("--context-length", type=int, metavar="T",
                      help=f"tokens per training window (default {d.context_length})")
    what.add_argument("--d-model", type=int, metavar="C", help=f"width of each token's vector (default {d.d_model})")
    what.add_argument("--num-layers", type=int, metavar="N", help=f"transformer blocks (default {d.num_layers})")
    what.add_argument("--num-heads", type=int, metavar="H", help=f"attention heads per block (default {d.num_heads})")
    how = parser.add_argument_group("how to train")
    how.add_argument("--max-iters", type=number(int, 1), metavar="N",
                     help=f"training steps in all (default {d.max_iters}); with --resume, a larger number trains on")
    how.add_argument("--batch-size", type=number(int, 1), metavar="B",
                     help=f"windows per step (default {d.batch_size})")
    how.add_argument("--lr", dest="lr_max", type=number(float, 0, inclusive=False), metavar="LR",
                     help=f"peak learning rate; the cosine schedule decays it to a tenth (default {d.lr_max:g})")
    how.add_argument("--warmup-iters", type=number(int, 0), metavar="N",
                     help=f"steps of linear warm-up (default {d.warmup_iters})")
    how.add_argument("--seed", type=int, help=f"seeds the initial weights and the batches (default {d.seed})")
    how.add_argument("--eval-interval", type=number(int, 1), metavar="N",
                     help="measure the validation loss and save a checkpoint every N steps "
                     f"(default {r.eval_interval})")
    how.add_argument("--device", default="cpu",
                     help="cpu (default), cuda or mps; not saved in run.json, so give it again with --resume")
    out = parser.add_argument_group("output")
    out.add_argument("--out", metavar="DIR", type=Path, help="folder for the checkpoint, the losses and the plot "
                     "(default runs/<impl>-<data>-<preset>)")
    again = out.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue the run saved in --out from its checkpoint")
    again.add_argument("--force", action="store_true", help="start afresh in --out even when it holds a run with a "
                       "checkpoint, replacing that run (without --resume or --force, train.py refuses to)")
    out.add_argument("--samples", type=number(int, 0), metavar="N",
                     help=f"texts to generate at the end (default {r.samples})")
    out.add_argument("--sample-length", type=number(int, 1), metavar="N",
                     help=f"characters per sample (default {r.sample_length})")
    out.add_argument("--temperature", type=number(float, 0), metavar="TEMP",
                     help="sampling temperature: lower is safer, higher is wilder, 0 always takes the likeliest "
                     f"(default {r.temperature:g})")
    return parser.parse_args(argv)
