"""Write a learner's repository: `uv run python -m tools.make_handout OUT` (`--force` to rewrite OUT).

The handout is this repository without what only an instructor needs: no solutions/, no solution line
anywhere (make_stubs' leak check runs over every file written), fresh stubs in assignment/, the public
fixtures, the graded tests, grade.py and train.py, a README for learners and a `grading.toml` that turns
on `forbid_builtins`. pyproject.toml and uv.lock are copied unchanged, so the lock stays valid there.

Every top-level entry of the repository is either in HANDOUT or in LEFT_OUT below, with the reason: a new
one stops this tool until someone decides. The README for learners is README.md without the sections in
INSTRUCTOR_SECTIONS and the text between `<!-- not in the handout -->` and `<!-- end not in the handout -->`,
with the text of `<!-- handout only ... -->` comments shown; it may not mention anything left out.

OUT must be outside this repository. An existing non-empty OUT is refused unless `--force`, which
replaces everything in it except its .git, so a handout kept in git can be regenerated and committed.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from course import REPO_ROOT as ROOT
from tools import make_stubs
from tools.readme_figures import unmarked

HANDOUT = {  # top-level entry -> why learners get it
    "assignment": "the stubs, written afresh from solutions/ (never this checkout's assignment/, which may hold work)",
    "course": "what grade.py, train.py and pytest share",
    "grader": "the autograder grade.py and the graded tests run",
    "trainer": "train.py's training loop, and the end-to-end case's",
    "tests": "the graded tests: `uv run pytest`",
    "fixtures": "the public fixtures: each case's inputs and the reference's outputs on them",
    "docs": "docs/mistakes.md, the catalogue of known mistakes that the README points learners to",
    "grade.py": "the learner's score",
    "train.py": "trains the learner's model",
    "conftest.py": "pytest's --impl and --timeout options",
    "pyproject.toml": "unchanged, so that uv.lock stays valid for it",
    "uv.lock": "unchanged: the same environment as here",
    ".gitignore": "keeps .venv/ and runs/ out of the learner's commits",
    "README.md": "rewritten for learners (see learner_readme)",
}
LEFT_OUT = {  # top-level entry -> why learners do not get it
    "solutions": "the reference implementation",
    "selftests": "the grader's own tests: they grade solutions/ and wrong versions of it (selftests/variants/)",
    "tools": "instructors' tools: make_stubs, make_fixtures, benchmark, make_handout and make_gradescope read "
             "solutions/; make_docs regenerates docs/mistakes.md, which the handout already holds; "
             "torch_nn_lm.py is a whole model made of torch.nn modules",
    ".ci": "this repository's CI: the drift checks and the self-tests, which need solutions/",
}
# Sections of README.md (by their "## " heading) that learners do not get, with everything under them.
INSTRUCTOR_SECTIONS = ("Checking against the reference", "For instructors", "How the grader is tested", "Speed")
# Generic lines that the reference shares with the grader's own code: not a solution given away.
SHARED_WITH_THE_GRADER = {"with torch.no_grad():", "if top_p is not None:"}
GRADING_TOML = """\
# How grade.py grades this copy of the assignment.
# forbid_builtins: the assignment asks you to write each piece yourself, so a part whose code calls the torch
# built-in that does that part's work (F.softmax, F.scaled_dot_product_attention, nn.Linear,
# torch.optim.AdamW, ...) earns no points for it.
forbid_builtins = true
"""
WRITTEN = {"grading.toml": GRADING_TOML}  # files the handout has that this repository does not
SKIPPED = ("__pycache__", "*.pyc", ".git", ".venv")  # never copied, wherever they are
NOT_IN_THE_HANDOUT, END_NOT_IN_THE_HANDOUT = "<!-- not in the handout -->", "<!-- end not in the handout -->"
HANDOUT_ONLY = "<!-- handout only"


class HandoutError(Exception):
    """The handout cannot be written as things are; the message says what to decide or fix."""


# -- which files ---------------------------------------------------------------------------------------------


def repository_files() -> list[str]:
    """The repository's files (relative, with "/"), as git sees them: tracked or new, but not ignored."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, check=True).stdout.decode().split("\0")
        return sorted(p for p in listed if p and (ROOT / p).is_file() and not skipped(p))
    ignored = [line.strip().strip("/") for line in (ROOT / ".gitignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]  # a copy without git: its simple patterns
    found = []
    for folder, subfolders, names in os.walk(ROOT):  # never into a link, nor into what is skipped or ignored
        subfolders[:] = [d for d in subfolders if not is_left(d, ignored)]
        found += [(Path(folder) / n).relative_to(ROOT).as_posix() for n in names if not is_left(n, ignored)]
    return sorted(found)


def is_left(name: str, ignored: list[str]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in (*SKIPPED, *ignored))


def skipped(relative: str) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in relative.split("/") for pattern in SKIPPED)


def undecided(files: list[str]) -> list[str]:
    """Top-level entries that are neither in HANDOUT nor in LEFT_OUT."""
    return sorted({f.split("/")[0] for f in files} - set(HANDOUT) - set(LEFT_OUT))


def pristine_stubs(folder: str = "assignment") -> dict[str, bytes]:
    """The stubs as make_stubs writes them from solutions/, under `folder`."""
    files, _ = make_stubs.expected_files(ROOT / folder)
    return {path.relative_to(ROOT).as_posix(): text.encode() for path, text in files.items()}


def handout_files() -> dict[str, bytes]:
    """Every file of the handout: relative path -> contents."""
    listed = repository_files()
    if undecided(listed):
        raise HandoutError(f"decide whether learners get {', '.join(undecided(listed))}: add it to HANDOUT or "
                           "LEFT_OUT in tools/make_handout.py")
    copied = [f for f in listed if f.split("/")[0] in HANDOUT and f.split("/")[0] not in ("assignment", "README.md")]
    files = {f: (ROOT / f).read_bytes() for f in copied}
    files.update(pristine_stubs())
    files["README.md"] = learner_readme((ROOT / "README.md").read_text()).encode()
    files.update({name: text.encode() for name, text in WRITTEN.items()})
    return dict(sorted(files.items()))


# -- the README for learners ---------------------------------------------------------------------------------


def learner_readme(text: str) -> str:
    """README.md as learners get it (see the module's docstring); raises HandoutError if it is not clean."""
    out: list[str] = []
    skipping_section, skipping_marked, showing, dropped_row = False, False, False, False
    for number, line in enumerate(text.splitlines(), start=1):
        if dropped_row and line.startswith(" ") and line.strip():
            continue  # the rest of a dropped row
        dropped_row = names_left_out_path(line)
        stripped = line.strip()
        if line.startswith("## "):
            skipping_section = line[3:].strip() in INSTRUCTOR_SECTIONS
        if skipping_section:
            continue
        if stripped == NOT_IN_THE_HANDOUT:
            if skipping_marked:
                raise HandoutError(f"README.md:{number}: {NOT_IN_THE_HANDOUT} inside another")
            skipping_marked = True
        elif stripped == END_NOT_IN_THE_HANDOUT:
            if not skipping_marked:
                raise HandoutError(f"README.md:{number}: {END_NOT_IN_THE_HANDOUT} without its start")
            skipping_marked = False
        elif skipping_marked:
            continue
        elif stripped == HANDOUT_ONLY:
            showing = True
        elif showing and stripped == "-->":
            showing = False
        elif not names_left_out_path(line):
            out.append(line)
    if skipping_marked or showing:
        raise HandoutError(f"README.md: a {'not in the handout' if skipping_marked else 'handout only'} "
                           "block is not closed")
    readme = re.sub(r"\n{3,}", "\n\n", unmarked("\n".join(out)).strip() + "\n")  # figures kept, markers gone
    mentions = [f"README.md for learners, line {n}: mentions {', '.join(found)}: `{line.strip()}`"
                for n, line in enumerate(readme.splitlines(), start=1) if (found := mentions_left_out(line))]
    if mentions:
        raise HandoutError("\n".join(mentions) + "\n(in README.md, put such text between "
                           f"{NOT_IN_THE_HANDOUT} and {END_NOT_IN_THE_HANDOUT}, or its section in "
                           "INSTRUCTOR_SECTIONS)")
    return readme


def names_left_out_path(line: str) -> bool:
    """A row of a listing about something left out, such as "solutions/   the reference implementation"."""
    first = line.split(" ", 1)[0]
    return "/" in first and first.split("/")[0] in LEFT_OUT


FORBIDDEN_WORDS = re.compile(r"(?<![\w.-])(solutions|selftests|self-tests?|tools[/.]|\.ci/|instructors?)(?![\w-])",
                             re.IGNORECASE)


def mentions_left_out(line: str) -> list[str]:
    """What a line names that learners do not have (solutions/, the self-tests, tools/, CI, instructors)."""
    return sorted({m.group(1) for m in FORBIDDEN_WORDS.finditer(line)})


# -- the leak check ------------------------------------------------------------------------------------------


def leaks(files: dict[str, bytes]) -> list[str]:
    """Every solution line (make_stubs' leak check) or solution marker found in the files, one line each."""
    _, removed = make_stubs.expected_files()
    telling = [line for line in removed if len(line) >= 12 and not line.startswith("#")]  # as make_stubs.leaked_lines
    problems = []
    for path, data in files.items():
        in_stubs = path.split("/")[0] == "assignment"
        try:
            text = data.decode()
        except UnicodeDecodeError:  # a fixture: look for the lines' bytes anywhere in it
            found = sorted({line for line in telling if line.encode() in data})
        else:
            found = make_stubs.leaked_lines(text, removed)
            found += [marker for marker in (make_stubs.BEGIN, make_stubs.END) if marker in text]
        problems += [f"{path}: contains the solution line `{line}`" for line in dict.fromkeys(found)
                     if in_stubs or line not in SHARED_WITH_THE_GRADER]
    return problems


# -- writing -------------------------------------------------------------------------------------------------


def check_target(out: Path, force: bool) -> str | None:
    """Why `out` cannot be written to (None if it can)."""
    out = out.resolve()
    if out == ROOT or ROOT.is_relative_to(out) or out.is_relative_to(ROOT):
        return f"{out} is this repository or inside it: write the handout outside it (e.g. ../handout)"
    if out.exists() and not out.is_dir():
        return f"{out} exists and is not a folder"
    if out.is_dir() and any(out.iterdir()) and not force:
        return f"{out} is not empty: choose another folder, or replace its contents with --force"
    return None


def write_tree(out: Path, files: dict[str, bytes]) -> None:
    """Write `files` into `out`, replacing whatever it held except its .git."""
    out.mkdir(parents=True, exist_ok=True)
    for entry in out.iterdir():
        if entry.name == ".git":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for relative, data in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o755 if relative.endswith(".py") and data.startswith(b"#!") else 0o644)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.make_handout", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, metavar="OUT", help="the folder to write the learner's repository into")
    parser.add_argument("--force", action="store_true",
                        help="replace the contents of a non-empty OUT (keeps its .git)")
    args = parser.parse_args(argv)

    refused = check_target(args.out, args.force)
    if refused:
        print(f"make_handout: {refused}", file=sys.stderr)
        return 1
    try:
        files = handout_files()
    except HandoutError as exc:
        print(f"make_handout: {exc}", file=sys.stderr)
        return 1
    problems = leaks(files)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print("make_handout: wrote nothing, so that no solution reaches learners", file=sys.stderr)
        return 1
    write_tree(args.out, files)
    print(f"wrote the handout ({len(files)} files) to {args.out}; left out: {', '.join(sorted(LEFT_OUT))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
