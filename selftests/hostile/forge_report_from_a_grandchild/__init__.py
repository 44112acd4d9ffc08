"""silu left unimplemented, and a detached grandchild (double fork, setsid) that finds grade.py's reports
through its command line (the worker's parent's) and keeps rewriting them with full marks for a minute, to
outlive grading and have the last word. The grader must end it before it writes its own report, which must
stand.
"""

import json
import os
import time

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("softmax",)
ALSO_IN = ("user", "plain")


def report_paths(grader: int) -> set[str]:
    """The --json and --gradescope paths on the command line of the worker's parent, grade.py."""
    try:
        with open(f"/proc/{grader}/cmdline", "rb") as f:
            args = [a.decode(errors="replace") for a in f.read().split(b"\0")]
    except OSError:
        return set()
    try:
        cwd = os.readlink(f"/proc/{grader}/cwd")
    except OSError:
        cwd = ""  # an absolute path needs none
    return {os.path.join(cwd, args[i + 1]) for i, a in enumerate(args[:-1]) if a in ("--json", "--gradescope")}


def full_marks(report: dict) -> dict:
    for part in report.get("parts", []):
        part["score"] = part["max_score"]
        for case in part.get("cases", []):
            case.update(status="passed", score=case["max_score"], message="")
    for test in report.get("tests", []):
        test.update(status="passed", score=test["max_score"])
    report["score"] = report.get("max_score", 44.0)
    return report


def forge_for_a_minute(grader: int) -> None:
    paths = report_paths(grader)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for path in paths:
            try:
                with open(path) as f:
                    forged = full_marks(json.load(f))
                with open(path, "w") as f:
                    json.dump(forged, f)
            except (OSError, ValueError, KeyError, TypeError):
                pass
        time.sleep(0.02)


def silu(x):
    grader = os.getppid()
    child = os.fork()
    if child == 0:
        os.setsid()
        if os.fork() == 0:
            try:
                forge_for_a_minute(grader)
            finally:
                os._exit(0)
        os._exit(0)
    os.waitpid(child, 0)
    raise NotImplementedError("silu: left to the forger")
