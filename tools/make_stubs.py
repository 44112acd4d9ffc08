"""Write assignment/ (the learner's stubs) from solutions/: `uv run python -m tools.make_stubs`.

solutions/ is the one source of truth. In it, the body of everything a learner writes sits
between `# BEGIN SOLUTION` and `# END SOLUTION` lines; in the stub that region becomes one
`raise NotImplementedError(...)` naming the function. Everything else (imports, signatures,
docstrings) is copied as it is.

`--check` writes nothing and fails when assignment/ differs from what this would write, or
when a line of a solution could be found in it (CI runs this, on a clean clone). `--into DIR`
writes or checks another folder. Writing never overwrites a function someone has implemented
(its `raise NotImplementedError` line is gone) unless `--force` is given.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

from course import REPO_ROOT as ROOT

SOLUTIONS, ASSIGNMENT = ROOT / "solutions", ROOT / "assignment"
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"


def _qualnames(source: str) -> dict[int, str]:
    """line number -> qualified name of the innermost function around it."""
    names: dict[int, str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    for line in range(child.lineno, (child.end_lineno or child.lineno) + 1):
                        names[line] = name
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return names


def stub(source: str, filename: str) -> tuple[str, list[str]]:
    """(stub text, the solution lines it removed)."""
    names = _qualnames(source)
    out: list[str] = []
    removed: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise SystemExit(f"{filename}:{number}: {BEGIN} inside another solution region")
            if number not in names:
                raise SystemExit(f"{filename}:{number}: {BEGIN} outside a function")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f'{indent}raise NotImplementedError("{names[number]} is not implemented yet")\n')
        elif marker == END:
            if not inside:
                raise SystemExit(f"{filename}:{number}: {END} without {BEGIN}")
            inside = False
        elif inside:
            removed.append(line.strip())
        else:
            out.append(line)
    if inside:
        raise SystemExit(f"{filename}: {BEGIN} without {END}")
    return "".join(out), removed


def expected_files(target: Path = ASSIGNMENT) -> tuple[dict[Path, str], list[str]]:
    """The stub files to write under `target`, and every solution line they hide."""
    files, removed = {}, []
    for path in sorted(SOLUTIONS.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        text, gone = stub(path.read_text(), str(path.relative_to(ROOT)))
        files[target / path.relative_to(SOLUTIONS)] = text
        removed += gone
    return files, removed


def leaked_lines(text: str, removed: list[str]) -> list[str]:
    """Solution lines (long enough to be telling) that appear in a stub."""
    present = {line.strip() for line in text.splitlines()}
    return [line for line in removed if len(line) >= 12 and not line.startswith("#") and line in present]


STUB_LINE = re.compile(r'raise NotImplementedError\("(.+?) is not implemented yet"\)')


def implemented(path: Path, stub_text: str) -> list[str]:
    """The functions of a stub file whose `raise NotImplementedError` line is gone from `path`: someone's work.

    A function `path` does not define at all (new in solutions/) is nobody's work yet.
    """
    if not path.exists():
        return []
    text = path.read_text()
    defined = set(re.findall(r"^\s*(?:async\s+)?(?:def|class)\s+(\w+)", text, re.MULTILINE))
    gone = set(STUB_LINE.findall(stub_text)) - set(STUB_LINE.findall(text))
    return sorted(name for name in gone if set(name.split(".")) <= defined)


def shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.make_stubs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; fail if the stubs differ from what solutions/ generates")
    parser.add_argument("--into", type=Path, default=ASSIGNMENT, metavar="DIR",
                        help="the folder of stubs to write or check (default assignment/)")
    parser.add_argument("--force", action="store_true", help="overwrite functions that someone has implemented")
    args = parser.parse_args(argv)
    target = args.into.resolve()

    files, removed = expected_files(target)
    problems = []
    for path, text in files.items():
        if BEGIN in text or END in text:
            problems.append(f"{shown(path)}: contains a solution marker")
        problems += [f"{shown(path)}: contains the solution line `{line}`" for line in leaked_lines(text, removed)]
    if args.check:
        existing = {p for p in target.rglob("*.py") if "__pycache__" not in p.parts}
        for path in sorted(set(files) | existing):
            if path not in files:
                problems.append(f"{shown(path)}: not generated from solutions/ (remove it, or add it to solutions/)")
            elif not path.exists():
                problems.append(f"{shown(path)}: missing")
            elif path.read_text() != files[path]:
                problems.append(f"{shown(path)}: differs from what solutions/ generates")
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"stub drift in {shown(target)}/: the stubs no longer match solutions/ (instructors: regenerate them "
                  "with tools.make_stubs, which never overwrites implemented code)", file=sys.stderr)
            return 1
        print(f"{shown(target)}/ matches solutions/ ({len(files)} files, {len(removed)} solution lines hidden)")
        return 0
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    worked_on = {path: names for path, text in files.items() if (names := implemented(path, text))}
    if worked_on and not args.force:
        for path, names in worked_on.items():
            print(f"{shown(path)}: {', '.join(names)} hold someone's code", file=sys.stderr)
        print(f"make_stubs: wrote nothing, so that no work in {shown(target)}/ is lost; write the stubs into another "
              "folder with --into DIR, or replace that work with --force", file=sys.stderr)
        return 1
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"wrote {len(files)} files to {shown(target)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
