"""What the Gradescope bundle runs for each submission (its run_autograder): `python -m tools.gradescope_autograder`.

It finds the submitted package in /autograder/submission (see `find_package`), copies it where grade.py's
worker, which runs the learner's code as another user, can read it, and grades it twice with grade.py: on the
public fixtures (the inputs learners have in their handout) and on the hidden ones (the same checks on
inputs generated with the instructor's salt). /autograder/results/results.json then holds every case once
per run: the public ones visible at once, the hidden ones as gradescope.json says (after the due date
unless the instructor chose otherwise), each run's points scaled by its share of the total. A results.json
saying that grading did not finish is there from the start; the final one replaces it in one step.

AUTOGRADER_ROOT, for the self-tests only, stands in for /autograder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from course.files import write_atomically

SOURCE = Path(__file__).resolve().parents[1]  # the bundle: grade.py, grader/, the fixtures, gradescope.json
SETTINGS = SOURCE / "gradescope.json"
PACKAGE = "assignment"
MODULES = ("building_blocks.py", "transformer.py", "training.py")
RUNS = ("public", "hidden")
FIXTURES = {"public": SOURCE / "fixtures", "hidden": SOURCE / "fixtures-hidden"}
WHEN_SHOWN = {"visible": "below", "after_due_date": "after the due date", "after_published": "when grades are "
              "published", "hidden": "to your instructor only"}
NOT_FINISHED = "grading did not finish"
SEARCH_DEPTH = 4  # how deep in the submission a package folder is looked for
NEVER_SEARCHED = {".git", ".venv", "venv", "__pycache__", "node_modules", "site-packages", "__MACOSX"}


def autograder_root() -> Path:
    return Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))


# -- the submission ------------------------------------------------------------------------------------------


@dataclass
class Found:
    folder: Path  # the package folder, or the folder holding loose module files
    loose: bool  # module files without an __init__.py: graded on top of the stubs
    shown: str  # how results.json names what was graded
    top: bool = False  # the folder is the submission itself


def folders(top: Path, depth: int = SEARCH_DEPTH):
    """`top` and the folders below it, shallowest first, in name order; never hidden folders or environments."""
    level = [top]
    for _ in range(depth + 1):
        yield from level
        level = sorted(child for folder in level for child in folder.iterdir() if child.is_dir() and not
                       child.is_symlink() and not child.name.startswith(".") and child.name not in NEVER_SEARCHED)


def find_package(submission: Path) -> Found | None:
    """The package to grade: an `assignment/` folder (the repository submitted whole, or the folder alone),
    the submission itself if it is a package, another package folder holding the assignment's modules, or
    else loose module files (building_blocks.py, ...) uploaded without their __init__.py."""
    def where(folder: Path) -> str:
        relative = folder.relative_to(submission).as_posix()
        return "the top of your submission" if relative == "." else f"{relative}/"

    if not submission.is_dir():
        return None
    candidates = [f for f in folders(submission) if any((f / m).is_file() for m in MODULES)]
    packages = [f for f in candidates if (f / "__init__.py").is_file()]
    for folder in sorted(packages, key=lambda f: (f.name != PACKAGE, len(f.parts))):
        top = folder == submission
        return Found(folder, False, f"the package at {where(folder)}" if top else where(folder), top)
    for folder in candidates:
        files = [m for m in MODULES if (folder / m).is_file()]
        names = files[0] if len(files) == 1 else ", ".join(files[:-1]) + " and " + files[-1]
        return Found(folder, True, f"{names} at {where(folder)} (the handout's stubs stand in for any file missing)",
                     folder == submission)
    return None


def copy_regular_files(source: Path, target: Path, recursive: bool = True) -> None:
    """Copy the regular files in `source` (never a symbolic link: it could point at the hidden fixtures)."""
    for folder, subfolders, names in os.walk(source):  # os.walk never follows a link to a folder
        subfolders[:] = sorted(d for d in subfolders if recursive and d != "__pycache__" and not d.startswith("."))
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file() or name.startswith(".") or name.endswith(".pyc"):
                continue
            copy = target / path.relative_to(source)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)


def prepare(found: Found, scratch: Path) -> Path:
    """A copy of the package to grade, readable by everyone (the worker is another user), writable by no one else.

    It keeps the package folder's name (the learner's own imports may use it), or else is named assignment."""
    kept = not found.loose and not found.top and found.folder.name.isidentifier()
    package = scratch / (found.folder.name if kept else PACKAGE)
    if found.loose:
        copy_regular_files(SOURCE / PACKAGE, package)
        copy_regular_files(found.folder, package, recursive=False)
    else:
        copy_regular_files(found.folder, package)
    for path in [scratch, *scratch.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return package


# -- grading -------------------------------------------------------------------------------------------------


def grade(package: Path, run: str, reports: Path) -> tuple[float, list[dict]]:
    """grade.py's score and Gradescope tests for `package` on one run's fixtures (0 and [] if it wrote none)."""
    report = reports / f"{run}.json"
    env = {**os.environ, "GRADER_FIXTURES": str(FIXTURES[run])}
    print(f"== grade.py on the {run} inputs", flush=True)
    command = [sys.executable, str(SOURCE / "grade.py"), "--impl", str(package), "--gradescope", str(report)]
    status = subprocess.run(command, cwd=SOURCE, env=env).returncode
    if status != 0:
        print(f"grade.py on the {run} inputs exited with status {status}", flush=True)
    try:
        written = json.loads(report.read_text())
        score, tests = float(written.get("score", 0)), written.get("tests") or []
    except (OSError, ValueError, TypeError, AttributeError):
        return 0.0, []
    return (score, tests) if isinstance(tests, list) and tests else (0.0, [])


def max_points() -> float:
    from course.parts import PARTS  # the bundle's root is this process's working folder

    return float(sum(part.points for part in PARTS))


def scaled(tests: list[dict], run: str, share: float, visibility: str) -> list[dict]:
    """One run's tests for results.json: named by their run, their points times `share`."""
    if not tests:  # grade.py wrote nothing: the run's points are lost, and it says so
        tests = [{"name": "every case", "score": 0.0, "max_score": max_points(), "status": "failed",
                  "output": f"{NOT_FINISHED}: your instructor can see why in the autograder's output"}]
    return [{**test, "name": f"{run} inputs · {test.get('name', '')}", "visibility": visibility,
             "score": float(test.get("score", 0)) * share, "max_score": float(test.get("max_score", 0)) * share}
            for test in tests]


def summary(shown: str, tests: list[dict], settings: dict) -> str:
    """The text at the top of the results: what was graded, and what of it students see now."""
    public = [t for t in tests if t["name"].startswith("public")]
    passed = sum(t.get("status") == "passed" for t in public)
    public_points = (f", {points(sum(t['score'] for t in public))} of {points(sum(t['max_score'] for t in public))}"
                     " points" if any(t["max_score"] for t in public) else "")
    lines = [f"Graded {shown}.",
             f"On the inputs you have (your handout's): {passed} of {len(public)} cases passed{public_points}."]
    hidden_points = sum(t["max_score"] for t in tests if t["name"].startswith("hidden"))
    lines.append(f"The same checks on hidden inputs ({points(hidden_points)} points) are shown "
                 f"{WHEN_SHOWN[settings['hidden_visibility']]}.")
    return "\n".join(lines)


def points(x: float) -> str:
    return f"{round(x, 2):g}"


def results(shown: str, graded: dict[str, tuple[float, list[dict]]], settings: dict, seconds: float) -> dict:
    """results.json from each run's score and tests. The score is the runs' own totals (each part's points,
    as grade.py adds them), shared out: the tests' points are rounded case by case, so they add up to it
    only nearly."""
    share = {"public": 1 - settings["hidden_share"], "hidden": settings["hidden_share"]}
    visibility = {"public": "visible", "hidden": settings["hidden_visibility"]}
    tests = [t for run in RUNS for t in scaled(graded[run][1], run, share[run], visibility[run])]
    return {"score": round(sum(share[run] * graded[run][0] for run in RUNS), 4), "execution_time": round(seconds),
            "output": summary(shown, tests, settings), "output_format": "text", "test_output_format": "text",
            "stdout_visibility": "hidden", "tests": tests}


def nothing_graded(output: str) -> dict:
    return {"score": 0.0, "output": output, "output_format": "text", "stdout_visibility": "hidden", "tests": []}


def write_results(path: Path, data: dict) -> None:
    """Replace results.json in one step: Gradescope reads the old one or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o755)  # the worker, and anything it starts, may not write here
    write_atomically(path, json.dumps(data, indent=2) + "\n", mode=0o644)


def main() -> int:
    started = time.monotonic()
    root = autograder_root()
    out = root / "results" / "results.json"
    write_results(out, nothing_graded(f"{NOT_FINISHED}: your instructor can see why in the autograder's output."))
    try:
        settings = json.loads(SETTINGS.read_text())
        found = find_package(root / "submission")
        if found is None:
            write_results(out, nothing_graded(
                f"No {PACKAGE}/ folder in your submission. Submit your repository, your {PACKAGE}/ folder, or its "
                f"files ({', '.join(MODULES)} and __init__.py)."))
            return 0
        print(f"grading {found.shown}", flush=True)
        scratch = Path(tempfile.mkdtemp(prefix="submission-"))
        try:
            package = prepare(found, scratch)
            with tempfile.TemporaryDirectory(prefix="reports-") as reports:
                graded = {run: grade(package, run, Path(reports)) for run in RUNS}
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        write_results(out, results(found.shown, graded, settings, time.monotonic() - started))
        return 0
    except Exception:
        traceback.print_exc()
        write_results(out, nothing_graded("The autograder failed before it could grade your submission; your "
                                          "instructor can see why in its output."))
        return 1


if __name__ == "__main__":
    sys.exit(main())
