"""Write assignment/ (the learner's stubs) from solutions/: `uv run python -m tools.make_stubs`.

solutions/ is the one source of truth. In it, the body of everything a learner writes sits
between `# BEGIN SOLUTION` and `# END SOLUTION` lines; in the stub that region becomes one
`raise NotImplementedError(...)` naming the function. Everything else (imports, signatures,
docstrings) is copied as it is.

`--check` writes nothing and fails when assignment/ differs from what this would write, or
when a line of a solution could be found in it (CI runs this).
"""

from __future__ import annotations

import argparse
import ast
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


def expected_files() -> tuple[dict[Path, str], list[str]]:
    files, removed = {}, []
    for path in sorted(SOLUTIONS.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        text, gone = stub(path.read_text(), str(path.relative_to(ROOT)))
        files[ASSIGNMENT / path.relative_to(SOLUTIONS)] = text
        removed += gone
    return files, removed


def leaked_lines(text: str, removed: list[str]) -> list[str]:
    """Solution lines (long enough to be telling) that appear in a stub."""
    present = {line.strip() for line in text.splitlines()}
    return [line for line in removed if len(line) >= 12 and not line.startswith("#") and line in present]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.make_stubs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if assignment/ differs from the generated stubs")
    args = parser.parse_args(argv)

    files, removed = expected_files()
    problems = []
    for path, text in files.items():
        rel = path.relative_to(ROOT)
        if BEGIN in text or END in text:
            problems.append(f"{rel}: contains a solution marker")
        problems += [f"{rel}: contains the solution line `{line}`" for line in leaked_lines(text, removed)]
    if args.check:
        existing = {p for p in ASSIGNMENT.rglob("*.py") if "__pycache__" not in p.parts}
        for path in sorted(set(files) | existing):
            rel = path.relative_to(ROOT)
            if path not in files:
                problems.append(f"{rel}: not generated from solutions/ (remove it, or add it to solutions/)")
            elif not path.exists():
                problems.append(f"{rel}: missing")
            elif path.read_text() != files[path]:
                problems.append(f"{rel}: differs from what solutions/ generates")
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("stub drift: run `uv run python -m tools.make_stubs` and commit assignment/", file=sys.stderr)
            return 1
        print(f"assignment/ matches solutions/ ({len(files)} files, {len(removed)} solution lines hidden)")
        return 0
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"wrote {len(files)} files to assignment/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
