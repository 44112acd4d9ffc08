"""grade.py's command line. Exit status 0 whenever grading completed, whatever the score."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

from course.from_scratch import SettingError, policy_on
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
    policy = parser.add_mutually_exclusive_group()
    policy.add_argument("--forbid-builtins", dest="builtins", action="store_const", const=True,
                        help="from scratch: a case whose part's code uses a torch built-in that part replaces "
                        "(F.softmax, nn.Linear, torch.optim.AdamW, ...) fails; the default when grading.toml says "
                        "forbid_builtins = true")
    policy.add_argument("--allow-builtins", dest="builtins", action="store_const", const=False,
                        help="allow torch's built-ins even where grading.toml forbids them")
    batch = parser.add_argument_group("grading a class")
    batch.add_argument("--batch", metavar="DIR", type=Path,
                       help="grade every submission folder in DIR (a package, or a folder holding assignment/)")
    batch.add_argument("--csv", metavar="PATH", type=Path, help="with --batch: the grades, one row per submission")
    batch.add_argument("--jobs", metavar="N", type=count,
                       help="with --batch: submissions graded at once (default: one per core)")
    batch.add_argument("--regrade", action="store_true",
                       help="with --batch: grade every submission again, even unchanged ones")
    return parser.parse_args(argv)


def count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


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
        forbid_builtins = policy_on(args.builtins)
    except SettingError as exc:
        print(f"grade.py: {exc}", file=sys.stderr)
        return 2
    if args.batch or args.csv or args.jobs or args.regrade:
        from .batch import grade_class

        return grade_class(args, forbid_builtins)
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
            results = run_cases(cases, impl, worker, lambda r: status.update(f"grading... {r.case.id} {r.status}"),
                                args.timeout, forbid_builtins=forbid_builtins)
    else:
        results = run_cases(cases, impl, worker, timeout=args.timeout, forbid_builtins=forbid_builtins)
    parts = [ps for ps in tally(results) if args.part in (None, ps.part.name)]
    render(parts, args.impl, Console(highlight=False))
    source = None
    if forbid_builtins:  # the learner's source, parsed here (never imported): warnings, not points
        from .builtin_source import package_folder, scan
        from .report import render_source

        folder, ran = package_folder(impl), {use.where for r in results for use in r.builtins}
        source = [replace(f, ran=f.use.where in ran) for f in (scan(folder) if folder else [])]
        render_source(source, Console(highlight=False))
    as_json = partial(as_json, source=source)
    for flag, path, report in (("--json", args.json, as_json), ("--gradescope", args.gradescope, as_gradescope)):
        if path:
            try:
                path.write_text(json.dumps(report(parts), indent=2) + "\n")
            except OSError as exc:
                print(f"grade.py: could not write {flag} {path}: {exc}", file=sys.stderr)
                return 2
    return 0
