"""tools/make_gradescope: the bundle, installed by its setup.sh in a fake /autograder (a stand-in uv links this
environment instead of downloading one), grades submissions with its run_autograder as Gradescope would:
the reference gets full marks, the pristine stubs 0, a submission without the assignment a clear 0, and
results.json has Gradescope's shape, with the public cases visible and the hidden ones after the due date."""

import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

import pytest

from grader.cases import CASES
from tools import gradescope_autograder as runner
from tools import make_gradescope, make_handout, make_stubs

from .helpers import ROOT
from .test_learner_copy import INSIDE_THE_COPY

SALT = "selftest-" + secrets.token_hex(16)
# What is checked here does not depend on assignment/: in test_learner_copy's copy, which differs from this
# repository only there, it would take minutes to learn nothing new.
pytestmark = pytest.mark.skipif(bool(os.environ.get(INSIDE_THE_COPY)), reason="run once, in the repository")
TOP_LEVEL = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
             "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}  # Gradescope's results.json
TEST_FIELDS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
               "visibility", "extra_data"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FAKE_UV = """#!/usr/bin/env bash
# Stands in for uv: records how it was called; `uv sync` makes .venv, a virtual environment that imports this
# one's packages (a real folder, as uv makes it, for the worker's view of the bundle to hold it).
set -e
echo "$*" >> "$FAKE_UV_LOG"
case "$1" in
    --version) echo "uv 0.0.0 (stand-in)";;
    sync)
        "$FAKE_PYTHON" -m venv --without-pip .venv
        site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
        echo "$FAKE_SITE_PACKAGES" > "$site/environment.pth";;
esac
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    assert make_gradescope.main([str(out), "--salt", SALT]) == 0
    return out


def extract(bundle: Path, folder: Path) -> None:
    """Unzip as Gradescope's image build does, keeping each file's mode."""
    with zipfile.ZipFile(bundle) as archive:
        for entry in archive.infolist():
            path = folder / entry.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(archive.read(entry))
            path.chmod((entry.external_attr >> 16) & 0o7777 or 0o644)


@pytest.fixture(scope="module")
def autograder(bundle):
    """A fake /autograder: the bundle in source/, set up by its setup.sh, run_autograder where Gradescope puts it.
    Made with mkdtemp and opened to others, as /autograder is, for a worker that runs as another user."""
    root = Path(tempfile.mkdtemp(prefix="autograder-"))
    root.chmod(0o755)
    extract(bundle, root / "source")
    tools = root / "stand-ins"
    tools.mkdir()
    (tools / "uv").write_text(FAKE_UV)
    (tools / "uv").chmod(0o755)
    base_python = getattr(sys, "_base_executable", sys.executable)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
           "FAKE_UV_LOG": str(root / "uv.log"), "FAKE_PYTHON": os.path.realpath(base_python),
           "FAKE_SITE_PACKAGES": os.path.realpath(sysconfig.get_paths()["purelib"])}  # real paths: see the worker
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root, env=env, capture_output=True,
                           text=True, timeout=600)
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-2000:]
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def run_autograder(root: Path, submission: dict[str, str]) -> tuple[subprocess.CompletedProcess, dict]:
    """Grade a submission (path -> text) as Gradescope does; returns the process and results.json."""
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
    for path, text in submission.items():
        (root / "submission" / path).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / path).write_text(text)
    proc = subprocess.run([str(root / "run_autograder")], cwd=root, capture_output=True, text=True, timeout=1200,
                          env={**os.environ, "AUTOGRADER_ROOT": str(root)})
    return proc, json.loads((root / "results" / "results.json").read_text())


def check_shape(results: dict) -> None:
    """results.json as Gradescope's specification has it."""
    assert set(results) <= TOP_LEVEL and isinstance(results["score"], (int, float))
    assert isinstance(results["output"], str) and isinstance(results["tests"], list)
    assert results.get("stdout_visibility", "hidden") == "hidden"  # grade.py's table shows the hidden results
    names = [t["name"] for t in results["tests"]]
    assert len(names) == len(set(names))
    for test in results["tests"]:
        assert set(test) <= TEST_FIELDS and test["status"] in {"passed", "failed"}
        assert test["visibility"] in VISIBILITIES
        assert 0 <= test["score"] <= test["max_score"] + 1e-9 and isinstance(test["output"], str)
    assert abs(results["score"] - sum(t["score"] for t in results["tests"])) < 0.01  # cases' points are rounded


def by_run(results: dict) -> dict[str, list[dict]]:
    return {run: [t for t in results["tests"] if t["name"].startswith(f"{run} inputs")] for run in runner.RUNS}


def solution_files(folder: str = "assignment") -> dict[str, str]:
    return {f"{folder}/{p.name}": p.read_text() for p in sorted((ROOT / "solutions").glob("*.py"))}


def test_the_bundle_has_gradescope_s_layout_and_no_solution_nor_salt(bundle):
    with zipfile.ZipFile(bundle) as archive:
        files = {entry.filename: archive.read(entry) for entry in archive.infolist()}
        modes = {entry.filename: entry.external_attr >> 16 for entry in archive.infolist()}
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & 0o111 and files[script].startswith(b"#!/usr/bin/env bash")
    assert not [path for path in files if path.split("/")[0] in ("solutions", "selftests", "tests", ".ci")]
    assert [path for path in files if path.startswith("tools/")] == list(make_gradescope.RUNNER)
    assert make_gradescope.problems_with(files, SALT) == []
    hidden = {p.split("/")[1]: d for p, d in files.items() if p.startswith("fixtures-hidden/")}
    public = {p.split("/")[1]: d for p, d in files.items() if p.startswith("fixtures/")}
    assert set(hidden) == set(public) == {p.name for p in (ROOT / "fixtures").iterdir()}
    assert public["manifest.json"] == (ROOT / "fixtures" / "manifest.json").read_bytes()
    assert hidden["manifest.json"] != public["manifest.json"]
    assert json.loads(files["gradescope.json"]) == {"hidden_share": 1.0, "hidden_visibility": "after_due_date"}
    assert b"forbid_builtins = true" in files["grading.toml"]


def test_setup_and_run_autograder_are_valid_bash(bundle, tmp_path):
    extract(bundle, tmp_path)
    for script in ("setup.sh", "run_autograder"):
        proc = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    assert re.findall(r"@[A-Z_]+@", (tmp_path / "setup.sh").read_text()) == []  # every placeholder filled in


def test_setup_installs_the_locked_environment_and_hides_the_fixtures_from_others(autograder):
    calls = (autograder / "uv.log").read_text().splitlines()
    assert "sync --locked --no-dev --compile-bytecode" in calls  # no linter in the grading image
    source = autograder / "source"
    for folder in ("fixtures", "fixtures-hidden"):
        for path in [source / folder, *(source / folder).iterdir()]:
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    for path in (source / "grade.py", source / "grader" / "cli.py", source / "assignment" / "__init__.py"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o004 and not stat.S_IMODE(path.stat().st_mode) & 0o022, path
    assert list((source / "grader").glob("__pycache__/cli.*.pyc"))  # compiled: the worker cannot write __pycache__


def test_the_reference_submitted_as_a_repository_gets_full_marks(autograder):
    submission = {**solution_files(), "README.md": "my repository\n", "notes/todo.txt": "nothing\n"}
    proc, results = run_autograder(autograder, submission)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    check_shape(results)
    runs = by_run(results)
    assert len(runs["public"]) == len(runs["hidden"]) == len(CASES)
    assert {t["visibility"] for t in runs["public"]} == {"visible"}
    assert {t["visibility"] for t in runs["hidden"]} == {"after_due_date"}
    failed = [t["name"] + ": " + t["output"] for t in results["tests"] if t["status"] != "passed"]
    assert failed == []
    assert results["score"] == 44 and abs(sum(t["max_score"] for t in results["tests"]) - 44) < 0.01
    assert "Graded assignment/" in results["output"] and "after the due date" in results["output"]
    stat_results = (autograder / "results").stat()
    assert not stat.S_IMODE(stat_results.st_mode) & 0o022  # the report folder is not writable by others


def test_the_stubs_uploaded_as_loose_files_get_zero(autograder, tmp_path):
    files, _ = make_stubs.expected_files(tmp_path / "stubs")
    submission = {path.name: text for path, text in files.items() if path.name != "__init__.py"}
    proc, results = run_autograder(autograder, submission)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    check_shape(results)
    assert results["score"] == 0 and len(results["tests"]) == 2 * len(CASES)
    assert {t["status"] for t in results["tests"]} == {"failed"}
    assert "not implemented" in results["tests"][0]["output"]
    assert "building_blocks.py, transformer.py and training.py at the top" in results["output"]


def test_a_submission_without_the_assignment_gets_a_clear_zero(autograder):
    proc, results = run_autograder(autograder, {"essay.txt": "I wrote no code\n"})
    assert proc.returncode == 0
    check_shape(results)
    assert results["score"] == 0 and results["tests"] == [] and "assignment/" in results["output"]


def test_run_autograder_without_its_environment_still_writes_results(bundle, tmp_path):
    extract(bundle, tmp_path / "source")
    proc = subprocess.run([str(tmp_path / "source" / "run_autograder")], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "AUTOGRADER_ROOT": str(tmp_path)})
    assert proc.returncode == 1 and "setup.sh" in proc.stderr
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    check_shape(results)
    assert results["score"] == 0


def test_the_package_is_found_wherever_a_learner_puts_it(tmp_path):
    def layout(*paths):
        folder = Path(tempfile.mkdtemp(dir=tmp_path))
        for path in paths:
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_text("")
        return folder

    repository = layout("assignment/__init__.py", "assignment/training.py", "selftests/impls/x/__init__.py",
                        "selftests/impls/x/training.py", "README.md")
    assert runner.find_package(repository).folder == repository / "assignment"
    nested = layout("project-main/assignment/__init__.py", "project-main/assignment/transformer.py")
    assert runner.find_package(nested).folder == nested / "project-main" / "assignment"
    renamed = layout("my_model/__init__.py", "my_model/transformer.py")
    scratch = Path(tempfile.mkdtemp(dir=tmp_path))
    assert runner.prepare(runner.find_package(renamed), scratch) == scratch / "my_model"  # its own imports work
    package = layout("__init__.py", "building_blocks.py")
    assert runner.find_package(package).folder == package and not runner.find_package(package).loose
    loose = layout("building_blocks.py", "training.py")
    assert runner.find_package(loose).loose
    hidden = layout(".git/assignment/__init__.py", ".git/assignment/training.py")
    assert runner.find_package(hidden) is None and runner.find_package(tmp_path / "absent") is None


def test_the_copy_graded_never_follows_a_link_and_is_readable_by_everyone(tmp_path):
    submission = tmp_path / "submission" / "assignment"
    submission.mkdir(parents=True)
    (submission / "__init__.py").write_text("")
    (submission / "training.py").write_text("x = 1\n")
    secret = tmp_path / "secret.safetensors"
    secret.write_text("expected outputs")
    (submission / "answers.safetensors").symlink_to(secret)
    (submission / "linked").symlink_to(tmp_path, target_is_directory=True)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    package = runner.prepare(runner.find_package(tmp_path / "submission"), scratch)
    assert sorted(p.name for p in package.iterdir()) == ["__init__.py", "training.py"]
    assert all(stat.S_IMODE(p.stat().st_mode) in (0o644, 0o755) for p in [scratch, *scratch.rglob("*")])


def test_make_gradescope_refuses_a_short_salt_a_zip_inside_the_repository_and_an_existing_file(tmp_path):
    assert make_gradescope.main([str(tmp_path / "a.zip"), "--salt", "short"]) == 1
    assert make_gradescope.main([str(ROOT / "autograder.zip"), "--salt", SALT]) == 1
    assert not (ROOT / "autograder.zip").exists()
    (tmp_path / "b.zip").write_text("an older bundle")
    assert make_gradescope.main([str(tmp_path / "b.zip"), "--salt", SALT]) == 1
    assert make_gradescope.main([str(tmp_path / "c.txt"), "--salt", SALT]) == 1
    assert (tmp_path / "b.zip").read_text() == "an older bundle" and not (tmp_path / "a.zip").exists()
    assert make_handout.undecided(make_handout.repository_files()) == []  # nothing was left in the repository
