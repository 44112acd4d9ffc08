#!/usr/bin/env python3
"""Grade your implementation: `python grade.py` (or `uv run python grade.py`); `--help` lists the options.

Your code runs in a separate process; the score is decided here. Exit status is 0 whenever
grading completed, whatever the score.
"""

if __name__ == "__main__":
    from course.launch import run_script

    run_script(__file__, "grader.cli")
