#!/usr/bin/env python3
"""Train your model: `python train.py` (or `uv run python train.py`).

    --impl NAME     whose code to train: assignment (default), solutions, a package name or folder
    --data FILE     a UTF-8 text file instead of the built-in corpus
    --out DIR       where the checkpoint, losses, plot and samples go (default runs/...)
    --resume        continue the run in --out from its checkpoint, with the settings it recorded
    --force         start afresh in --out even when it holds a run (train.py refuses otherwise)

`python train.py --help` lists the model's sizes and the training settings. Ctrl-C stops
after the current step and saves a checkpoint.
"""

if __name__ == "__main__":
    from course.launch import run_script

    run_script(__file__, "trainer.cli")
