"""The README states no figure that a generator does not keep current: every number in its prose stands in a
figure that tools/make_docs.py (`gen:`) or tools/benchmark.py (`bench:`) writes, or is a label, not a figure."""

import re

from tools.make_docs import README
from tools.readme_figures import FIGURES, MARKED

# Numbers that name things rather than state figures: parts, numbered steps, exit statuses, zero points,
# other products' names and versions.
LABELS = [
    r"\bPart \d\b",
    r"^\s*(\|\s*)?\d+\. ",
    r"\bexit(?: status)? \d+\b",
    r"\bstatus \d+\b",
    r"(?<![\d.])0(?![\d.])",
    r"\bGPT-2\b",
    r"\bUbuntu \d+\.\d+\b",
    r"\b(?:float|bfloat|int|sha|L)\d+\b",  # dtypes, sha256, L2
]


def prose(text: str) -> str:
    """What a reader reads as sentences: figures, code blocks, code spans and comments taken out."""
    text = MARKED.sub(" ", text)
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    return re.sub(r"<!--.*?-->", " ", text, flags=re.S)


def test_every_number_in_the_readme_is_a_generated_figure_or_a_label():
    loose = []
    for line in prose(README.read_text()).splitlines():
        for pattern in LABELS:
            line = re.sub(pattern, " ", line)
        loose += [f"{m.group()}: {line.strip()[:80]}" for m in re.finditer(r"\d[\d,.]*", line)]
    assert loose == [], "numbers in the README that no generator keeps current"


def test_every_generated_figure_the_readme_marks_has_a_generator():
    names = {m["name"] for m in MARKED.finditer(README.read_text()) if m["owner"] == "gen"}
    assert names and names <= set(FIGURES)
