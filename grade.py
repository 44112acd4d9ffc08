#!/usr/bin/env python3
"""Grade your implementation: `python grade.py` (or `uv run python grade.py`).

    --impl NAME   what to grade: assignment (default), solutions, a package name or folder
    --part NAME   grade one part only (linear, embedding, rmsnorm, ...)
    --json PATH   also write the results as JSON

Your code runs in a separate process; the score is decided here. Exit status is 0 whenever
grading completed, whatever the score.
"""

if __name__ == "__main__":
    from course.launch import run_script

    run_script(__file__, "grader.cli")
