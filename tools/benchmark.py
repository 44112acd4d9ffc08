"""Print the project's speed figures (a script, not a timed test): `uv run python -m tools.benchmark`.

startup  `pytest -k test_linear` and a full `grade.py` as multiples of a bare
         `python -c "import torch"` in the same environment (aims: <= 1.5x and <= 2.5x).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall_time(command: list[str], repeats: int) -> float:
    """Median wall-clock seconds of `command` over `repeats` runs (after one warm-up run)."""
    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup(repeats: int) -> None:
    py = sys.executable
    base = wall_time([py, "-c", "import torch"], repeats)
    rows = [
        ("pytest -k test_linear --impl solutions", [py, "-m", "pytest", "-q", "-k", "test_linear", "--impl", "solutions"], 1.5),
        ("grade.py --impl solutions", [py, "grade.py", "--impl", "solutions"], 2.5),
    ]
    label = 'python -c "import torch"'
    print(f"{label:45s} {base:6.2f} s   1.00x")
    for label, command, aim in rows:
        seconds = wall_time(command, repeats)
        print(f"{label:45s} {seconds:6.2f} s   {seconds / base:.2f}x (aim <= {aim}x)")


SECTIONS = {"startup": startup}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"which figures: {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing, median reported (default 3)")
    args = parser.parse_args(argv)
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    for name in args.sections or SECTIONS:
        print(f"== {name}")
        SECTIONS[name](args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
