"""Write docs/mistakes.md, the learner's catalogue of known mistakes, from grader/mistakes/:
`uv run python -m tools.make_docs` (`--check`: write nothing, fail if the file is out of date).

The grader names these mistakes from the same entries, so the document and the hints never disagree.
"""

from __future__ import annotations

import argparse
import sys

from course import REPO_ROOT as ROOT
from course.parts import PARTS
from grader.mistakes import CATALOGUE

DOC = ROOT / "docs" / "mistakes.md"
SECTIONS = {"linear": "Part 1: the building blocks", "layernorm": "Part 2: the transformer", "tokenizer": "Part 3: training"}


def render() -> str:
    lines = [
        "# Known mistakes",
        "",
        "<!-- Generated from grader/mistakes/ by `uv run python -m tools.make_docs`; "
        "edit the catalogue, not this file. -->",
        "",
        "Mistakes seen in real code, part by part. When a check fails and your output matches what one",
        "of these mistakes produces, the grader's message (in pytest, in grade.py's table and in its",
        "JSON) starts with its hint. Each has a deliberately wrong implementation that the grader's",
        "self-tests grade, in `selftests/variants/building_blocks.py`, `transformer.py` or",
        "`training.py`, by part.",
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.make_docs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; fail if docs/mistakes.md is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not DOC.exists() or DOC.read_text() != text:
            print(f"{DOC.relative_to(ROOT)} is out of date: run `uv run python -m tools.make_docs`")
            return 1
        print(f"{DOC.relative_to(ROOT)} is up to date")
        return 0
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)} ({len(CATALOGUE)} mistakes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
