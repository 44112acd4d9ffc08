"""grade.py --batch DIR --csv grades.csv [--jobs N]: grade a class.

Every folder in DIR is one submission: a package (a folder with __init__.py) or a folder holding one as
assignment/. Each is graded by grade.py itself, run as its own process with --impl (so with grade.py's
worker: one submission's crash, exit or endless loop stays in its own grading), --jobs at a time (one per
core by default). Next to the CSV, a folder keeps each submission's JSON report and its printed table
(grades.csv -> grades-reports/NAME.json and NAME.txt) with a fingerprint (NAME.sha256): the sha256 of the
submission's files, the grading options and the grader's own code and fixtures. A re-run grades only the
submissions whose fingerprint changed (--regrade: all); a grading that was cut short leaves no fingerprint,
so it is graded again. A submission that cannot be graded (an empty folder, no package) gets a row with 0 and
a note; nothing stops the batch. batch_report.py then writes the grades, the pass rate of each case and a PNG.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from course import REPO_ROOT, fixtures_folder
from course.files import write_atomically
from course.tracebacks import one_line

SUBMISSION_LIMIT = 3600.0  # seconds for one submission's grading: a backstop, grade.py limits every case itself


@dataclass
class Submission:
    name: str
    folder: Path
    package: Path | None  # None: nothing to grade (see `note`)
    note: str = ""


@dataclass
class Outcome:
    submission: Submission
    report: dict | None  # grade.py's JSON report, when it finished
    note: str = ""
    seconds: float = 0.0
    graded_now: bool = False


def discover(folder: Path) -> list[Submission]:
    """The submissions in `folder`, by name: each sub-folder but hidden ones."""
    found = []
    for child in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))):
        try:
            found.append(submission_in(child))
        except OSError as exc:  # a folder grade.py may not read: its row says so, the batch goes on
            found.append(Submission(child.name, child, None, f"cannot be read: {exc.strerror or exc}"))
    return found


def submission_in(child: Path) -> Submission:
    if (child / "__init__.py").is_file():
        return Submission(child.name, child, child)
    if (child / "assignment" / "__init__.py").is_file():
        return Submission(child.name, child, child / "assignment")
    if not any(child.iterdir()):
        return Submission(child.name, child, None, "empty folder: nothing was submitted")
    return Submission(child.name, child, None,
                      "no package: neither __init__.py nor assignment/__init__.py in the folder")


def files_digest(folder: Path, leave_out: tuple[str, ...] = ()) -> str:
    """sha256 over the relative paths and contents of every file under `folder` (compiled caches left out)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc" or path.name in leave_out:
            continue
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError as exc:  # unreadable: the grading says what that costs; the batch goes on
            digest.update(f"unreadable: {exc.strerror}".encode())
    return digest.hexdigest()


def grader_digest() -> str:
    """What, besides a submission, decides its grade: the grader's code (but this batch's own) and the fixtures."""
    digest = hashlib.sha256()
    fixtures = fixtures_folder()
    for path in (REPO_ROOT / "grader", REPO_ROOT / "course", REPO_ROOT / "grade.py", fixtures):
        found = files_digest(path, ("batch.py", "batch_report.py")) if path.is_dir() else sha256_of(path)
        digest.update(found.encode())
    return digest.hexdigest()


class Batch:
    """One class's grading: the options every submission is graded with, and where the reports go."""

    def __init__(self, args: argparse.Namespace, forbid_builtins: bool, reports: Path):
        self.reports = reports
        self.flags = ["--forbid-builtins" if forbid_builtins else "--allow-builtins"]
        self.flags += ["--timeout", f"{args.timeout:g}"] if args.timeout else []
        self.flags += ["--memory-limit", f"{args.memory_limit:g}"]
        self.flags += [flag for part in args.part or () for flag in ("--part", part)]
        self.options = json.dumps({"flags": self.flags, "grader": grader_digest()})
        self.jobs = args.jobs or cores()
        self.running: set[subprocess.Popen] = set()
        self.lock = threading.Lock()
        self.stopping = False

    def fingerprint(self, sub: Submission) -> str:
        assert sub.package is not None
        return hashlib.sha256((self.options + files_digest(sub.package)).encode()).hexdigest()

    def paths(self, sub: Submission) -> tuple[Path, Path, Path]:
        """(JSON report, printed table, fingerprint) of a submission."""
        return tuple(self.reports / f"{sub.name}{suffix}" for suffix in (".json", ".txt", ".sha256"))

    def stored(self, sub: Submission) -> dict | None:
        """The report kept from an earlier run, if the submission and the options are as they were then."""
        report, _, stamp = self.paths(sub)
        try:
            if stamp.read_text().strip() == self.fingerprint(sub):
                return json.loads(report.read_text())
        except (OSError, ValueError):
            pass
        return None

    def environment(self) -> dict[str, str]:
        return dict(os.environ, COLUMNS="110")  # each worker computes on one thread (grader/worker/process.py)

    def grade(self, sub: Submission) -> Outcome:
        """Run grade.py on one submission; its report, or a note saying why there is none."""
        assert sub.package is not None
        report, table, stamp = self.paths(sub)
        stamp.unlink(missing_ok=True)  # until this grading has finished, the old report is not this submission's
        partial = report.with_suffix(".json.part")
        partial.unlink(missing_ok=True)
        command = [sys.executable, str(REPO_ROOT / "grade.py"), "--impl", str(sub.package.resolve()),
                   "--json", str(partial.resolve()), *self.flags]
        start = time.monotonic()
        with open(table, "wb") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    cwd=REPO_ROOT, env=self.environment(), start_new_session=True)
            with self.lock:
                self.running.add(proc)
                if self.stopping:  # interrupted while this one was starting
                    stop(proc)
            try:
                proc.wait(timeout=SUBMISSION_LIMIT)
            except subprocess.TimeoutExpired:
                stop(proc)
            finally:
                with self.lock:
                    self.running.discard(proc)
        seconds = time.monotonic() - start
        try:
            data = json.loads(partial.read_text()) if proc.returncode == 0 else None
        except (OSError, ValueError):
            data = None
        if data is None:
            why = last_line(table) or f"exit status {proc.returncode}"
            return Outcome(sub, None, f"grade.py did not finish ({why})", seconds, True)
        os.replace(partial, report)
        write_atomically(stamp, self.fingerprint(sub) + "\n")
        return Outcome(sub, data, "", seconds, True)

    def stop_all(self) -> None:
        with self.lock:
            self.stopping = True
            for proc in list(self.running):
                stop(proc)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def stop(proc: subprocess.Popen) -> None:
    """End a grade.py and what it started: its process group here; its worker, in a session of its own, is
    killed by the kernel as grade.py dies (PR_SET_PDEATHSIG), and with it, in its pid namespace, all it started."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return one_line(lines[-1], 160) if lines else ""


def check(args: argparse.Namespace) -> str | None:
    """What is wrong with the batch flags, in one line, or None."""
    if args.batch is None:
        return "--csv, --jobs and --regrade go with --batch DIR"
    if args.csv is None:
        return "--batch needs --csv PATH: where the grades go (the reports go next to it)"
    if not args.batch.is_dir():
        return f"--batch {args.batch}: there is no such folder"
    if not args.csv.parent.resolve().is_dir():
        return f"--csv {args.csv}: the folder {args.csv.parent} does not exist"
    others = (("--impl", args.impl != "assignment"), ("--json", args.json), ("--gradescope", args.gradescope))
    for flag, value in others:
        if value:
            return f"{flag} does not go with --batch: each submission's report is kept next to the CSV"
    return None


def grade_class(args: argparse.Namespace, forbid_builtins: bool) -> int:
    """grade.py --batch: exit status 0 when every submission has its row, whatever the grades; 2 for bad flags."""
    problem = check(args)
    if problem:
        print(f"grade.py: {problem}", file=sys.stderr)
        return 2
    from .batch_report import write_all

    reports = args.csv.with_name(args.csv.stem + "-reports")
    reports.mkdir(exist_ok=True)
    batch = Batch(args, forbid_builtins, reports)
    submissions = discover(args.batch)
    outcomes = {s.name: Outcome(s, None, s.note) for s in submissions if s.package is None}
    pending = []
    for sub in (s for s in submissions if s.package is not None):
        kept = None if args.regrade else batch.stored(sub)
        if kept is None:
            pending.append(sub)
        else:
            outcomes[sub.name] = Outcome(sub, kept)
    unchanged = sum(1 for o in outcomes.values() if o.report is not None)
    print(f"{len(submissions)} submissions in {args.batch}: {len(pending)} to grade, {unchanged} unchanged since "
          f"they were graded, {len(outcomes) - unchanged} with nothing to grade; {batch.jobs} at a time"
          + (", from scratch (torch's built-ins forbidden)" if forbid_builtins else ""), flush=True)
    start = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=batch.jobs)
    try:
        futures = [pool.submit(batch.grade, sub) for sub in pending]
        for done, future in enumerate(as_completed(futures), 1):
            outcome = future.result()
            outcomes[outcome.submission.name] = outcome
            print(f"[{done}/{len(pending)}] {progress(outcome)}", flush=True)
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        batch.stop_all()
        print("grade.py: interrupted; what was graded is kept, and a re-run goes on from there.", file=sys.stderr)
        return 130
    finally:
        pool.shutdown(wait=False)
    elapsed = time.monotonic() - start
    write_all(args.csv, [outcomes[s.name] for s in submissions], forbid_builtins)
    if pending:
        rate = len(pending) / elapsed * 60
        print(f"graded {len(pending)} in {elapsed:.0f} s with {batch.jobs} at a time: {rate:.1f} submissions per "
              f"minute, {rate / batch.jobs:.1f} per minute per job")
    return 0


def progress(outcome: Outcome) -> str:
    if outcome.report is None:
        return f"{outcome.submission.name}: not graded: {outcome.note}"
    score, most = outcome.report["score"], outcome.report["max_score"]
    return f"{outcome.submission.name}: {score:g} / {most:g} ({outcome.seconds:.0f} s)"
