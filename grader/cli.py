"""grade.py's command line. Exit status 0 whenever grading completed, whatever the score."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from course.packages import ImplNotFound, resolve
from course.parts import PARTS, with_prerequisites

from .worker.process import Worker


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="grade.py",
        description="Grade an implementation of the assignment. Learner code runs in a separate process, "
        "so a crash, an exit or an endless loop costs only the case it happens in.",
    )
    parser.add_argument("--impl", default="assignment", help="package to grade: assignment (default), solutions, a package name or a path to a package folder")
    parser.add_argument("--part", choices=[p.name for p in PARTS], metavar="NAME", help="grade one part: " + ", ".join(p.name for p in PARTS))
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write the results as JSON to PATH")
    parser.add_argument("--gradescope", metavar="PATH", type=Path, help="also write Gradescope's results.json to PATH")
    parser.add_argument("--timeout", metavar="SECONDS", type=positive, help="time limit per case (default: each case's own, 20 s for most)")
    return parser.parse_args(argv)


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        impl = resolve(args.impl)
    except ImplNotFound as exc:
        print(f"grade.py: {exc}", file=sys.stderr)
        return 2
    for flag, path in (("--json", args.json), ("--gradescope", args.gradescope)):
        if path and not path.parent.resolve().is_dir():
            print(f"grade.py: {flag} {path}: the folder {path.parent} does not exist.", file=sys.stderr)
            return 2

    worker = Worker(impl)  # starts importing torch and the learner's package while we import ours

    from rich.console import Console

    from .cases import CASES
    from .in_worker import run_cases
    from .report import as_gradescope, as_json, render
    from .scoring import tally

    # A part's prerequisites are graded too (not shown), to tell when they are what blocks it.
    graded = with_prerequisites([args.part]) if args.part else [p.name for p in PARTS]
    cases = [c for c in CASES if c.part in graded]
    err = Console(stderr=True)
    if err.is_terminal:
        with err.status("grading...") as status:
            results = run_cases(cases, impl, worker, lambda r: status.update(f"grading... {r.case.id} {r.status}"), args.timeout)
    else:
        results = run_cases(cases, impl, worker, timeout=args.timeout)
    parts = [ps for ps in tally(results) if args.part in (None, ps.part.name)]
    render(parts, args.impl, Console(highlight=False))
    for flag, path, report in (("--json", args.json, as_json), ("--gradescope", args.gradescope, as_gradescope)):
        if path:
            try:
                path.write_text(json.dumps(report(parts), indent=2) + "\n")
            except OSError as exc:
                print(f"grade.py: could not write {flag} {path}: {exc}", file=sys.stderr)
                return 2
    return 0
