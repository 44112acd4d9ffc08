"""grade.py --batch: a class of eight submission folders made from the reference, the corpus and the catalogue
of mistakes (full marks, known mistakes, torch's built-ins, one that cannot be imported, two with nothing to
grade), graded in parallel, from scratch, resumably; each CSV total is what grade.py gives that submission alone."""

import csv
import shutil
import subprocess
import sys
from argparse import Namespace

import pytest

from course.parts import PARTS_BY_NAME
from grader.batch import Batch, discover
from grader.cases import CASES

from .helpers import ROOT, grade_py

UNGRADABLE = {"empty": "empty folder", "notes_only": "no package"}


def copy(source, target):
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))


def make_class(folder):
    copy(ROOT / "solutions", folder / "reference_copy")
    copy(ROOT / "selftests" / "impls" / "careful_numerics", folder / "careful_numerics")
    copy(ROOT / "selftests" / "impls" / "torch_builtin", folder / "torch_builtin")
    learner = folder / "scaled_by_d_k" / "assignment"  # a folder holding assignment/, as a learner hands it in
    copy(ROOT / "solutions", learner)
    text = (learner / "building_blocks.py").read_text()
    assert text.count("/ math.sqrt(d_k)") == 1
    (learner / "building_blocks.py").write_text(text.replace("/ math.sqrt(d_k)", "/ d_k"))
    adam = folder / "adam_with_l2"  # a known mistake, written into a copy: the sandbox hides solutions/ from it
    copy(ROOT / "solutions", adam)
    text = (adam / "training.py").read_text()
    decay, step = "p.mul_(1 - lr * weight_decay)", "t, m, v, g = state[\"step\"], state[\"m\"], state[\"v\"], p.grad"
    assert text.count(decay) == 1 and text.count(step) == 1
    text = text.replace(decay, "pass").replace(step, step + " + weight_decay * p")  # L2 through the gradient
    (adam / "training.py").write_text(text)
    (folder / "syntax_error").mkdir()
    (folder / "syntax_error" / "__init__.py").write_text("def oops(:\n")
    (folder / "empty").mkdir()
    (folder / "notes_only").mkdir()
    (folder / "notes_only" / "README.txt").write_text("my notes\n")


def batch(folder, grades, *more):
    command = [sys.executable, "grade.py", "--batch", str(folder), "--csv", str(grades), "--jobs", "2", *more]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(grades, newline="") as f:
        return proc, {row["name"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    make_class(root / "submissions")
    grades = root / "grades.csv"
    proc, rows = batch(root / "submissions", grades, "--forbid-builtins")
    return root, grades, proc, rows


def test_every_submission_has_a_row_with_the_total_grade_py_gives_it_alone(graded):
    root, grades, proc, rows = graded
    assert set(rows) == {p.name for p in (root / "submissions").iterdir()}
    assert "6 to grade, 0 unchanged since they were graded, 2 with nothing to grade" in proc.stdout
    for name, says in UNGRADABLE.items():
        assert float(rows[name]["total"]) == 0 and says in rows[name]["note"]
    assert float(rows["syntax_error"]["total"]) == 0 and "SyntaxError" in rows["syntax_error"]["note"]
    for name in set(rows) - set(UNGRADABLE):
        package = root / "submissions" / name
        alone, report = grade_py("--impl", str(package / "assignment" if name == "scaled_by_d_k" else package),
                                 "--forbid-builtins")
        assert alone.returncode == 0, alone.stderr
        assert float(rows[name]["total"]) == report["score"], name
        assert {p["name"]: p["score"] for p in report["parts"]} == {
            p["name"]: float(rows[name][p["name"]]) for p in report["parts"]}, name
    most = float(rows["reference_copy"]["max_score"])
    assert float(rows["reference_copy"]["total"]) == float(rows["careful_numerics"]["total"]) == most > 0
    attention, adamw = PARTS_BY_NAME["attention"].points, PARTS_BY_NAME["adamw"].points
    assert float(rows["scaled_by_d_k"]["attention"]) < attention and float(rows["scaled_by_d_k"]["adamw"]) == adamw
    assert float(rows["adam_with_l2"]["adamw"]) < adamw and float(rows["adam_with_l2"]["attention"]) == attention
    assert rows["torch_builtin"]["note"].startswith("uses torch's built-ins in linear, embedding, rmsnorm")


def test_the_case_table_counts_every_importable_submission_and_the_picture_is_drawn(graded):
    root, grades, _, rows = graded
    with open(root / "grades-cases.csv", newline="") as f:
        cases = list(csv.DictReader(f))
    assert [(c["part"], c["case"]) for c in cases] == [(c.part, c.name) for c in CASES]
    importable = 5  # the six graded but syntax_error
    for c in cases:
        counts = [int(c[s]) for s in ("passed", "failed", "not_implemented", "error", "timeout")]
        assert int(c["graded"]) == sum(counts) == importable
        assert float(c["pass_rate"]) == round(int(c["passed"]) / importable, 3)
    by_id = {(c["part"], c["case"]): c for c in cases}
    assert int(by_id["softmax", "last_dim"]["forbidden_builtins"]) == 1  # torch_builtin's torch.softmax
    assert int(by_id["attention", "no_mask"]["passed"]) == 3  # not scaled_by_d_k, not torch_builtin
    picture = (root / "grades.png").read_bytes()
    assert picture[:8] == b"\x89PNG\r\n\x1a\n" and len(picture) > 20_000
    reports = root / "grades-reports"
    assert {p.name for p in reports.glob("*.json")} == {f"{n}.json" for n in set(rows) - set(UNGRADABLE)}


def test_a_second_run_grades_nothing_again_and_a_changed_submission_is_graded_again(graded):
    root, grades, _, rows = graded
    reports = root / "grades-reports"
    stamps = {p.name: p.stat().st_mtime_ns for p in reports.glob("*.json")}
    proc, again = batch(root / "submissions", grades, "--forbid-builtins")
    assert "0 to grade, 6 unchanged" in proc.stdout
    assert again == rows
    assert {p.name: p.stat().st_mtime_ns for p in reports.glob("*.json")} == stamps

    fixed = root / "submissions" / "scaled_by_d_k" / "assignment" / "building_blocks.py"
    fixed.write_text(fixed.read_text().replace("/ d_k", "/ math.sqrt(d_k)"))  # the learner fixes the mistake
    proc, after = batch(root / "submissions", grades, "--forbid-builtins")
    assert "1 to grade, 5 unchanged" in proc.stdout and "[1/1] scaled_by_d_k:" in proc.stdout
    assert float(after["scaled_by_d_k"]["total"]) == float(after["scaled_by_d_k"]["max_score"])
    assert {n: r for n, r in after.items() if n != "scaled_by_d_k"} == {n: r for n, r in rows.items()
                                                                          if n != "scaled_by_d_k"}


def test_other_options_or_another_grader_make_every_submission_new(tmp_path, monkeypatch):
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "__init__.py").write_text("x = 1\n")
    (sub,) = discover(tmp_path)
    options = {"timeout": None, "part": None, "jobs": 1, "memory_limit": 4.0}
    fingerprint = {forbid: Batch(Namespace(**options), forbid, tmp_path).fingerprint(sub) for forbid in (False, True)}
    assert fingerprint[False] != fingerprint[True]
    assert Batch(Namespace(**{**options, "timeout": 5.0}), False, tmp_path).fingerprint(sub) != fingerprint[False]
    assert Batch(Namespace(**{**options, "memory_limit": 2.0}), False, tmp_path).fingerprint(sub) != fingerprint[False]
    monkeypatch.setenv("GRADER_FIXTURES", str(tmp_path / "one"))  # other fixtures (hidden ones, say)
    assert Batch(Namespace(**options), False, tmp_path).fingerprint(sub) != fingerprint[False]


@pytest.mark.parametrize(
    "args, says",
    [
        (["--batch", "selftests"], "--batch needs --csv"),
        (["--csv", "grades.csv"], "go with --batch"),
        (["--batch", "no/such/folder", "--csv", "grades.csv"], "no such folder"),
        (["--batch", "selftests", "--csv", "no/such/folder/grades.csv"], "does not exist"),
        (["--batch", "selftests", "--csv", "grades.csv", "--json", "r.json"], "does not go with --batch"),
        (["--batch", "selftests", "--csv", "grades.csv", "--jobs", "0"], "at least 1"),
    ],
)
def test_bad_batch_flags_get_a_clear_message(args, says):
    proc = subprocess.run([sys.executable, "grade.py", *args], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2
    assert says in proc.stderr and "Traceback" not in proc.stderr
