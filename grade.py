#!/usr/bin/env python3
"""Grade your implementation: `python grade.py` (or `uv run python grade.py`).

    --impl NAME   what to grade: assignment (default), solutions, a package name or folder
    --part NAME   grade one part only (linear, embedding, rmsnorm, ...)
    --json PATH   also write the results as JSON

Your code runs in a separate process; the score is decided here. Exit status is 0 whenever
grading completed, whatever the score.
"""

import importlib.util
import os
import shutil
import sys

if __name__ == "__main__":
    if importlib.util.find_spec("torch") is None:
        # This Python lacks the project's packages: run again inside the project's environment.
        uv = shutil.which("uv")
        if uv and not os.environ.get("GRADE_PY_UNDER_UV"):
            os.environ["GRADE_PY_UNDER_UV"] = "1"
            here = os.path.dirname(os.path.abspath(__file__))
            os.execv(uv, [uv, "run", "--project", here, "python", os.path.abspath(__file__), *sys.argv[1:]])
        sys.exit("grade.py needs the project's packages (torch, ...). Install uv (`pip install uv`), then run `uv run python grade.py`.")
    from grader.cli import main

    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # skips the interpreter's slow teardown of torch; everything is written
