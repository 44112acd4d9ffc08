"""rmsnorm appends to every file of the repository it can reach (grader/, fixtures/, tests/, course/,
solutions/, trainer/), rewrites the fixtures' manifest and adds a module to grader/: what broke every later
run of a clone in the issue. The repository must stay byte for byte the same.
"""

import os
from pathlib import Path

import course

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("rmsnorm",)
HONEST = ("silu",)
SANDBOX_ONLY = True
ALSO_IN = ("user",)

REPO = Path(course.__file__).resolve().parent.parent


def vandalise() -> int:
    done = 0
    for folder in ("grader", "fixtures", "tests", "course", "solutions", "trainer"):
        for root, _, files in os.walk(REPO / folder):
            for name in files:
                try:
                    with open(os.path.join(root, name), "ab") as f:
                        f.write(b"\n# hacked\n")
                    done += 1
                except OSError:
                    pass
    for path, text in ((REPO / "fixtures" / "manifest.json", "{}"), (REPO / "grader" / "evil.py", "HACKED = True\n")):
        try:
            path.write_text(text)
            done += 1
        except OSError:
            pass
    return done


class RMSNorm:
    def __init__(self, *args, **kwargs):
        raise RuntimeError(f"RMSNorm: changed {vandalise()} files of the repository")
