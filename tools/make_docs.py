"""Write the generated documentation: `uv run python -m tools.make_docs` (`--check`: write nothing, fail
if anything is out of date).

- docs/mistakes.md, the learner's catalogue of known mistakes, from grader/mistakes/: the grader names
  these mistakes from the same entries, so the document and the hints never disagree;
- the figures README.md states (points, limits, counts, floors, ...), each from the code that owns it
  (tools/readme_figures.py); those a benchmark measures are tools/benchmark.py's to write.
"""

from __future__ import annotations

import argparse
import sys

from course import REPO_ROOT as ROOT
from course.parts import PARTS
from grader.mistakes import CATALOGUE

from .readme_figures import FIGURES, fill

DOC = ROOT / "docs" / "mistakes.md"
README = ROOT / "README.md"
SECTIONS = {
    "linear": "Part 1: the building blocks", "layernorm": "Part 2: the transformer", "tokenizer": "Part 3: training"
}


def render() -> str:
    lines = [
        "# Known mistakes",
        "",
        "<!-- Generated from the catalogue in grader/mistakes/: edit the catalogue, not this file. -->",
        "",
        "Mistakes seen in real code, part by part. When a check fails and your output matches what one",
        "of these mistakes produces, the grader's message (in pytest, in grade.py's table and in its",
        "JSON) starts with its hint. The grader's own tests run a deliberately wrong implementation of",
        "each, to check that it is caught and named.",
        f"There are {len(CATALOGUE)} of them.",
    ]
    for part in PARTS:
        mistakes = [m for m in CATALOGUE if m.part == part.name]
        if part.name in SECTIONS:
            lines += ["", f"## {SECTIONS[part.name]}"]
        if not mistakes:
            continue
        lines += ["", f"### {part.title} (`{part.name}`, `uv run pytest -k {part.test_name}`)", ""]
        for m in mistakes:
            lines += [f"- **{m.name}**", f"  - How it shows: {m.shows}", f"  - Hint: {m.hint}"]
    return "\n".join(lines) + "\n"


def rendered() -> dict:
    """Every generated file, as it should read."""
    readme, unknown = fill(README.read_text(), "gen", FIGURES)
    if unknown:
        raise SystemExit(f"README.md marks figures no generator renders: {', '.join(unknown)}")
    return {DOC: render(), README: readme}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.make_docs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; fail if a generated file is out of date")
    args = parser.parse_args(argv)
    files = rendered()
    stale = [path for path, text in files.items() if not path.exists() or path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run `uv run python -m tools.make_docs`")
        if not stale:
            print(", ".join(str(p.relative_to(ROOT)) for p in files) + " are up to date")
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(exist_ok=True)
        path.write_text(files[path])
    print(f"wrote {', '.join(str(p.relative_to(ROOT)) for p in stale) or 'nothing (all up to date)'} "
          f"({len(CATALOGUE)} mistakes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
