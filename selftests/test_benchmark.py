"""tools/benchmark's figures in README.md, checked without measuring anything: every `bench:` block the README
marks is one the benchmark renders (a renamed block would otherwise go stale, never rewritten), the Speed
section states no number outside them, and --readme rewrites the blocks of the groups measured and nothing else.
"""

import re

from tools import bench_figures as figures
from tools import benchmark
from tools.readme_figures import MARKED

from .helpers import ROOT

README = ROOT / "README.md"
MACHINE = figures.Machine(cores=2, cpu="a test CPU", torch="0.0", day="2000-01-01", load=0.5)


def made_up_results() -> dict[str, object]:
    """One result per group, as the benchmark would hand it over (the figures are arbitrary)."""
    return {
        "startup": figures.Startup(MACHINE, 3, 2.0, [figures.Timed("`a`", 3.0, 1.5), figures.Timed("`b`", 4.0, 2.5)]),
        "ops": figures.Ops(MACHINE, "batch 1", 2, 3, (0.5, 2.0), [figures.Compared("`op`", 0.03, 0.02, 1.2)],
                           figures.Compared("a step", 0.6, 0.5, 1.15)),
        "training": figures.Training(MACHINE, "defaults", 0.05, 60, 3000, [figures.Floor("a floor, 0.5", 300, 20.0),
                                                                          figures.Floor("another", None, None)],
                                     30000.0, 40000.0),
        "batch": figures.Batch(MACHINE, 4, [figures.BatchRun(1, 40.0), figures.BatchRun(2, 30.0)]),
    }


def bench_blocks(text: str) -> list[str]:
    return [m["name"] for m in MARKED.finditer(text) if m["owner"] == "bench"]


def block(text: str, name: str) -> re.Match:
    return next(m for m in MARKED.finditer(text) if m["owner"] == "bench" and m["name"] == name)


def test_every_group_renders_its_own_block_and_the_readme_marks_each_once():
    results = made_up_results()
    assert set(results) == set(benchmark.GROUPS) == set(figures.BLOCKS)
    rendered = {group: set(result.blocks()) for group, result in results.items()}
    assert rendered == {group: {group} for group in figures.BLOCKS}
    marked = bench_blocks(README.read_text())
    assert sorted(marked) == sorted(figures.BLOCKS), "README.md's bench: blocks are not those the benchmark renders"


def test_the_speed_section_states_no_number_outside_the_benchmark_s_blocks():
    text = README.read_text()
    speed = text[text.index("\n## Speed\n"):]
    speed = speed[:m.start()] if (m := re.search(r"\n## (?!Speed)", speed[1:])) else speed
    prose = MARKED.sub("", speed)
    assert re.findall(r".*\d.*", prose) == [], "a number in the Speed section that no benchmark block keeps current"


def test_readme_writes_only_the_blocks_of_the_groups_measured(tmp_path):
    readme = tmp_path / "README.md"
    before = README.read_text()
    readme.write_text(before)
    batch = made_up_results()["batch"]
    assert figures.write_readme(readme, [batch]) == ["batch"]
    after = readme.read_text()
    changed = block(after, "batch")
    assert batch.blocks()["batch"] in changed["body"] and "a test CPU" in changed["body"]
    original = block(before, "batch")
    assert before[:original.start()] == after[:changed.start()]
    assert before[original.end():] == after[changed.end():]
