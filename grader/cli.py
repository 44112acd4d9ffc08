"""grade.py's command line. Exit status 0 whenever grading completed, whatever the score.

The order of things is what keeps a hostile submission from fooling it: grade.py adopts every orphaned
descendant (a child subreaper) and cannot be read by its children (not dumpable); the --json and
--gradescope reports are written first, with every case "grading did not finish", and replaced as
grading goes, each time atomically; the fixtures are loaded before any learner code runs; and the
final report is written only after every process the learner's code started has been ended.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

from course.files import write_atomically
from course.from_scratch import SettingError, policy_on
from course.launch import number, positive
from course.packages import IMPL_HELP, ImplNotFound, resolve
from course.parts import PARTS, with_prerequisites

from .worker import linux, reaper
from .worker.limits import DEFAULT_MEMORY_GB, Limits
from .worker.process import Worker
from .worker.sandbox import chosen_mode, shortfalls

NOT_FINISHED = "grading did not finish"
REPORT_EVERY = 1.0  # seconds between rewrites of the reports while grading goes


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="grade.py",
        description="Grade an implementation of the assignment. Learner code runs in a separate, sandboxed process, "
        "so a crash, an exit, an endless loop or an attack on the grader costs only the case it happens in.",
    )
    parser.add_argument("--impl", default="assignment", help=IMPL_HELP)
    parser.add_argument("--part", action="extend", nargs="+", type=part_names, metavar="NAME",
                        help="grade only these parts (`--part linear rmsnorm`, `--part linear,rmsnorm` or `--part` "
                        "repeated): " + ", ".join(p.name for p in PARTS))
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write the results as JSON to PATH")
    parser.add_argument("--gradescope", metavar="PATH", type=Path, help="also write Gradescope's results.json to PATH")
    parser.add_argument("--timeout", metavar="SECONDS", type=positive,
                        help="CPU-time limit per case (default: each case's own, 20 s for most)")
    parser.add_argument("--memory-limit", metavar="GB", type=positive, default=DEFAULT_MEMORY_GB,
                        help=f"memory the process running your code may use (default {DEFAULT_MEMORY_GB:g})")
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
    batch.add_argument("--jobs", metavar="N", type=number(int, 1),
                       help="with --batch: submissions graded at once (default: one per core)")
    batch.add_argument("--regrade", action="store_true",
                       help="with --batch: grade every submission again, even unchanged ones")
    args = parser.parse_args(argv)
    if args.part:  # lists of names, one per word given: flattened, each name once, in PARTS order
        wanted = {name for names in args.part for name in names}
        args.part = [p.name for p in PARTS if p.name in wanted]
    return args


def part_names(text: str) -> list[str]:
    """'linear,rmsnorm' -> ['linear', 'rmsnorm'], each a part's name."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in {p.name for p in PARTS}]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"invalid choice: {', '.join(map(repr, unknown)) or repr(text)} "
                                         f"(choose from {', '.join(p.name for p in PARTS)})")
    return names


def write_report(path: Path, data: dict, final: bool) -> None:
    """Replace the report in one step; until the final one it is readable by its owner only."""
    write_atomically(path, json.dumps(data, indent=2) + "\n", mode=None if final else 0o600)


def first_placeholders(shown: list[str]) -> dict[str, dict]:
    """Reports of nothing graded yet, made without importing torch: what a caller sees if grade.py dies at once."""
    parts = [p for p in PARTS if p.name in shown]
    total = float(sum(p.points for p in parts))
    return {
        "json": {"score": 0.0, "max_score": total,
                 "parts": [{"name": p.name, "score": 0.0, "max_score": float(p.points), "cases": []} for p in parts]},
        "gradescope": {"score": 0.0, "output": NOT_FINISHED, "tests": []},
    }


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
    reports = {flag: path for flag, path in (("json", args.json), ("gradescope", args.gradescope)) if path}
    for flag, path in reports.items():
        if not path.parent.resolve().is_dir():
            print(f"grade.py: --{flag} {path}: the folder {path.parent} does not exist.", file=sys.stderr)
            return 2
    # Which parts to show, and which to grade: their prerequisites too (not shown), to tell when those block them.
    shown = args.part or [p.name for p in PARTS]
    graded = with_prerequisites(shown)

    reaper.become_subreaper()  # whatever the learner's code starts stays below grade.py, to be ended
    try:
        linux.prctl(linux.PR_SET_DUMPABLE, 0)  # and cannot read grade.py's memory (the expected outputs)
    except OSError:
        pass  # not Linux
    placeholders = first_placeholders(shown)
    for flag, path in reports.items():
        try:
            write_report(path, placeholders[flag], final=False)
        except OSError as exc:
            print(f"grade.py: could not write --{flag} {path}: {exc}", file=sys.stderr)
            return 2

    # Starts entering its sandbox and importing torch while we import ours; runs no learner code until told.
    worker = Worker(impl, Limits(memory_gb=args.memory_limit), reports=tuple(reports.values()))
    try:
        return grade(args, impl, worker, shown, graded, reports, forbid_builtins)
    finally:
        worker.stop()
        reaper.end_descendants()


def grade(args: argparse.Namespace, impl: str, worker: Worker, shown: list[str], graded: list[str],
          reports: dict[str, Path], forbid_builtins: bool) -> int:
    from rich.console import Console

    from .case import Result
    from .cases import CASES
    from .fixtures import FixtureError, load_part
    from .in_worker import run_cases
    from .report import as_gradescope, as_json, render
    from .scoring import tally

    cases = [c for c in CASES if c.part in graded]
    for part in graded:  # read before the learner's code runs: what it might write later is never read
        try:
            load_part(part)
        except FixtureError:
            pass  # each case of the part says so
    formats = {"json": as_json, "gradescope": as_gradescope}

    def report(results: list[Result], final: bool) -> list:
        """Write the reports: the results so far, and every case not graded yet as not finished."""
        done = {r.case.id for r in results}
        unfinished = [Result(c, "error", NOT_FINISHED, whole_package=True) for c in cases if c.id not in done]
        parts = [ps for ps in tally([copy.copy(r) for r in results] + unfinished) if ps.part.name in shown]
        for flag, path in reports.items():
            write_report(path, formats[flag](parts), final)
        return parts

    so_far: list[Result] = []
    last_write = time.monotonic()

    def on_result(result: Result, status=None) -> None:
        nonlocal last_write
        so_far.append(result)
        if status is not None:
            status.update(f"grading... {result.case.id} {result.status}")
        if reports and time.monotonic() - last_write > REPORT_EVERY:
            report(so_far, final=False)
            last_write = time.monotonic()

    try:
        report([], final=False)
    except OSError as exc:
        print(f"grade.py: could not write a report: {exc}", file=sys.stderr)
        return 2
    found = []
    if forbid_builtins:  # the learner's source, parsed here (never imported) before their code runs: warnings
        from course.packages import package_folder

        from .builtin_source import scan

        folder = package_folder(impl)
        found = scan(folder) if folder else []
    err = Console(stderr=True)
    if err.is_terminal:
        with err.status("grading...") as status:
            results = run_cases(cases, impl, worker, lambda r: on_result(r, status), args.timeout, forbid_builtins)
    else:
        results = run_cases(cases, impl, worker, on_result, args.timeout, forbid_builtins)

    left = reaper.end_descendants()  # run_cases stopped its last worker; this is the check that nothing is left
    cannot = {r.message for r in results if r.message.startswith("grade.py cannot grade here")}
    for message in cannot:
        print(message, file=sys.stderr)
    if left:
        print(f"grade.py: {len(left)} processes your code started could not be ended: {sorted(left)}", file=sys.stderr)
    if worker.got and (chosen_mode() == "root" or "gradescope" in reports):
        missing = shortfalls(worker.got)
        if missing:
            print("grade.py: note: " + "; ".join(missing) + " (see grade.py in the README)", file=sys.stderr)

    parts = [ps for ps in tally(results) if ps.part.name in shown]
    render(parts, args.impl, Console(highlight=False))
    if forbid_builtins:  # the source's uses, with whether a case ran them: warnings, not points
        from .report import render_source

        ran = {use.where for r in results for use in r.builtins}
        source = [replace(f, ran=f.use.where in ran) for f in found]
        render_source(source, Console(highlight=False))
        formats["json"] = partial(as_json, source=source)
    for flag, path in reports.items():
        try:
            write_report(path, formats[flag](parts), final=True)
        except OSError as exc:
            print(f"grade.py: could not write --{flag} {path}: {exc}", file=sys.stderr)
            return 2
    return 0
