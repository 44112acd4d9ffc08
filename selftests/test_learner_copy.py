"""The learner's own work is safe: the README's test command passes at every stage of their work. Here, in a
copy of the repository whose assignment/ holds a finished implementation (the reference), it passes too."""

import os
import shutil
import subprocess
import sys

import pytest

from .helpers import ROOT

INSIDE_THE_COPY = "GRADER_SELFTEST_LEARNER_COPY"  # set in the copy's run, so that this test does not recurse


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    return [path for path in listed if (ROOT / path).is_file()]


@pytest.mark.skipif(bool(os.environ.get(INSIDE_THE_COPY)), reason="this is the copy's own run")
@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout to copy")
def test_the_readme_test_command_passes_with_a_finished_assignment(tmp_path):
    copy = tmp_path / "repo"
    for path in tracked_files():
        (copy / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, copy / path)
    for path in (ROOT / "solutions").glob("*.py"):
        shutil.copy2(path, copy / "assignment" / path.name)  # the learner has finished every part
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--impl", "solutions", "tests", "selftests"],  # the README's command
        cwd=copy, capture_output=True, text=True, env={**os.environ, INSIDE_THE_COPY: "1"}, timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
