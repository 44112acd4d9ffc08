"""What grade.py, train.py, pytest and the tools share; it imports nothing from them.

- parts.py       the parts of the assignment: their public names, points and prerequisites
- from_scratch.py  "from scratch": the torch built-ins each part may not use, and grading.toml's switch
- packages.py    find and import the implementation to grade or train (a package name or a folder)
- tracebacks.py  where in the learner's own files an exception was raised
- launch.py      run a top-level script's command line, re-run under uv when this Python lacks torch;
                 `positive`, the type of its number flags
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
