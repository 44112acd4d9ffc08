"""Shared by the self-tests: build implementations from the reference, grade them, run grade.py."""

from __future__ import annotations

import json
import subprocess
import sys
from types import ModuleType

from course import REPO_ROOT as ROOT
from course.packages import load
from course.parts import PARTS, with_prerequisites
from grader.cases import CASES
from grader.in_process import run_cases
from grader.scoring import PartScore, tally

SOLUTIONS = load("solutions")


def patched(name: str, replaces: dict[str, object]) -> ModuleType:
    """The reference's public names with some replaced: an implementation with one difference."""
    module = ModuleType(name)
    module.__file__ = SOLUTIONS.__file__
    module.__dict__.update({n: getattr(SOLUTIONS, n) for n in SOLUTIONS.__all__})
    module.__dict__.update(replaces)
    return module


def grade_in_process(impl: ModuleType, parts: list[str] | None = None,
                     forbid_builtins: bool = False) -> dict[str, PartScore]:
    cases = [c for c in CASES if parts is None or c.part in parts]
    return {ps.part.name: ps for ps in tally(run_cases(cases, impl, forbid_builtins=forbid_builtins))}


def parts_using(names) -> list[str]:
    """The parts whose cases can reach these public names: their own, and every part built on those."""
    owners = {p.name for p in PARTS if set(p.names) & set(names)}
    return [p.name for p in PARTS if owners & set(with_prerequisites([p.name]))]


def lost_points(parts: dict[str, PartScore]) -> set[str]:
    return {name for name, ps in parts.items() if ps.score < ps.max_score}


def grade_py(*args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess, dict | None]:
    """Run grade.py as a learner would; returns the process and its --json report (if written)."""
    report = ROOT / ".selftest-report.json"
    report.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "grade.py"), *args, "--json", str(report)],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )
    data = json.loads(report.read_text()) if report.exists() else None
    report.unlink(missing_ok=True)
    return proc, data
