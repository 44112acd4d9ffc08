"""What grade.py, train.py, pytest and the tools share; it imports nothing from them.

- parts.py       the parts of the assignment: their public names, points and prerequisites
- from_scratch.py  "from scratch": the torch built-ins each part may not use, and grading.toml's switch
- packages.py    find and import the implementation to grade or train (a package name or a folder)
- tracebacks.py  where in the learner's own files an exception was raised
- files.py       write a file in one step (reports, results.json, a batch's fingerprints)
- launch.py      run a top-level script's command line, re-run under uv when this Python lacks torch;
                 `number` and `positive`, the types of their number flags

Here: REPO_ROOT, and fixtures_folder() (where the expected outputs are, GRADER_FIXTURES or fixtures/).
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def fixtures_folder() -> Path:
    """Where the expected outputs are read from: GRADER_FIXTURES (hidden tests, say), else fixtures/."""
    return Path(os.environ.get("GRADER_FIXTURES", REPO_ROOT / "fixtures"))
