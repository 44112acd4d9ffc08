#!/usr/bin/env python3
"""Train your model: `python train.py` (or `uv run python train.py`); `--help` lists the options.

Ctrl-C stops after the current step and saves a checkpoint; `--resume` goes on from it.
"""

if __name__ == "__main__":
    from course.launch import run_script

    run_script(__file__, "trainer.cli")
