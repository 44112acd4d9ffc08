"""grade.py as a learner runs it: full marks, zero marks, a broken package, bad flags (hostile code:
test_hostile.py)."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from grader.cases import CASES
from grader.mistakes import MISTAKES_BY_ID

from .helpers import ROOT, grade_py

STATUSES = {"passed", "failed", "not_implemented", "error", "timeout"}


def cases_by_status(report):
    return {(p["name"], c["name"]): c for p in report["parts"] for c in p["cases"]}


def test_solutions_get_full_marks():
    proc, report = grade_py("--impl", "solutions")
    assert proc.returncode == 0, proc.stderr
    assert report["score"] == report["max_score"] > 0
    assert len(cases_by_status(report)) == len(CASES)


def test_pristine_stubs_get_zero_with_every_case_not_implemented(pristine_stubs):
    proc, report = grade_py("--impl", str(pristine_stubs))
    assert proc.returncode == 0, proc.stderr
    assert report["score"] == 0 and report["max_score"] > 0
    assert {c["status"] for c in cases_by_status(report).values()} == {"not_implemented"}
    assert "not implemented" in proc.stdout


def test_an_independent_implementation_on_torch_builtins_gets_full_marks():
    proc, report = grade_py("--impl", "selftests/impls/torch_builtin")
    assert proc.returncode == 0, proc.stderr
    failures = {k: c["message"] for k, c in cases_by_status(report).items() if c["status"] != "passed"}
    assert report["score"] == report["max_score"], failures


def test_json_report_has_the_documented_shape():
    _, report = grade_py("--impl", "solutions", "--part", "softmax")
    assert set(report) == {"score", "max_score", "parts"}
    (part,) = report["parts"]
    assert set(part) == {"name", "score", "max_score", "cases"} and part["name"] == "softmax"
    for case in part["cases"]:
        assert set(case) == {"name", "status", "score", "max_score", "message", "hints", "blocked_by"}
        assert case["status"] in STATUSES and case["hints"] == []


def test_gradescope_results_have_one_test_per_case(tmp_path, pristine_stubs):
    results = tmp_path / "results.json"
    proc, report = grade_py("--impl", str(pristine_stubs), "--part", "silu", "--gradescope", str(results))
    assert proc.returncode == 0, proc.stderr
    gradescope = json.loads(results.read_text())
    assert gradescope["score"] == report["score"] == 0
    assert len(gradescope["tests"]) == len(report["parts"][0]["cases"])
    for test in gradescope["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "output"}
        assert test["status"] == "failed" and test["output"].startswith("not implemented")


def test_a_package_that_cannot_be_imported_is_reported_not_crashed(tmp_path):
    package = tmp_path / "broken"
    package.mkdir()
    (package / "__init__.py").write_text("def oops(:\n")
    proc, report = grade_py("--impl", str(package))
    assert proc.returncode == 0, proc.stderr
    assert {c["status"] for c in cases_by_status(report).values()} == {"error"}
    assert "SyntaxError" in report["parts"][0]["cases"][0]["message"]


@pytest.mark.parametrize(
    "args, says",
    [
        (["--impl", "no_such_package"], "no package of that name"),
        (["--impl", "selftests/no/such/folder"], "there is no folder"),
        (["--part", "nope"], "invalid choice"),
        (["--timeout", "-1"], "above 0"),
        (["--json", "no/such/folder/r.json"], "does not exist"),
    ],
)
def test_bad_flags_get_a_clear_message_and_a_non_zero_exit(args, says):
    proc = subprocess.run([sys.executable, "grade.py", *args], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2
    assert says in proc.stderr and "Traceback" not in proc.stderr


def test_grade_py_reruns_itself_under_uv_when_this_python_lacks_torch():
    base = getattr(sys, "_base_executable", None)
    if not base or subprocess.run([base, "-c", "import torch"], capture_output=True).returncode == 0:
        pytest.skip("no Python without torch to try it with")
    if subprocess.run(["uv", "--version"], capture_output=True).returncode != 0:
        pytest.skip("uv is not installed")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "GRADE_PY_UNDER_UV")}
    proc = subprocess.run(
        [base, "grade.py", "--impl", "solutions", "--part", "silu"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "2 / 2" not in proc.stdout and "1 / 1" in proc.stdout


def test_a_known_mistake_is_named_in_the_table_the_json_and_pytest(tmp_path):
    """A copy of the reference whose attention divides the scores by d_k instead of sqrt(d_k)."""
    package = tmp_path / "learner"
    shutil.copytree(ROOT / "solutions", package, ignore=shutil.ignore_patterns("__pycache__"))
    source = package / "building_blocks.py"
    text = source.read_text()
    assert text.count("/ math.sqrt(d_k)") == 1
    source.write_text(text.replace("/ math.sqrt(d_k)", "/ d_k"))
    hint = MISTAKES_BY_ID["attention_scale_by_d_k"]

    proc, report = grade_py("--impl", str(package), "--part", "attention")
    assert "known mistake: " + hint.name.rstrip(".")[:30] in " ".join(proc.stdout.split())
    (part,) = report["parts"]
    failing = [c for c in part["cases"] if c["status"] != "passed"]
    assert failing and all(c["hints"] == [{"id": hint.id, "mistake": hint.name}] for c in failing)
    assert all(c["message"].startswith("Hint: " + hint.hint) for c in failing)
    assert " ".join(proc.stdout.split()).count("Hint: " + hint.hint[:40]) == 1  # once for the part, not per case

    pytest_run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", f"--impl={package}", "-k", "test_attention"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert pytest_run.returncode == 1 and f"{len(failing)} failed" in pytest_run.stdout
    # CI=true repeats them in the summary
    failures = pytest_run.stdout.split("= FAILURES =")[1].split("short test summary")[0]
    assert failures.count("Hint: " + hint.hint[:40]) == len(failing)
