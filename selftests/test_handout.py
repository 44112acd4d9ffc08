"""tools/make_handout: the learner's repository holds no solution, names nothing it leaves out, and grades there
as here: 0 on its stubs, and full marks with the reference copied in (here for one part, with --part; CI's
.ci/run grades every part there, under `uv run --locked`, and runs its `uv run pytest`)."""

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from course.parts import PARTS
from tools import make_handout, make_stubs
from tools.make_handout import HandoutError, learner_readme

from .helpers import ROOT
from .test_learner_copy import INSIDE_THE_COPY

FULL_MARKS_PART = "attention"  # with its prerequisite, softmax
# What is checked here does not depend on assignment/: in test_learner_copy's copy, which differs from this
# repository only there, it would take minutes to learn nothing new.
pytestmark = pytest.mark.skipif(bool(os.environ.get(INSIDE_THE_COPY)), reason="run once, in the repository")


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    out = tmp_path_factory.mktemp("handout") / "learner-repo"
    assert make_handout.main([str(out)]) == 0
    return out


def files_in(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def grade_in(folder, tmp_path, *args):
    """grade.py run in `folder` with this environment's Python, as `uv run python grade.py` runs it there."""
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "grade.py", "--json", str(report), *args], cwd=folder,
                          capture_output=True, text=True, timeout=600)
    return proc, json.loads(report.read_text()) if report.exists() else None


def test_every_top_level_entry_is_decided_once():
    assert make_handout.undecided(make_handout.repository_files()) == []
    assert not set(make_handout.HANDOUT) & set(make_handout.LEFT_OUT)


def test_without_git_the_files_are_listed_as_git_would_list_them(tmp_path, monkeypatch):
    for path in ("grade.py", "grader/cli.py", "grader/__pycache__/cli.cpython-311.pyc", "runs/llama/run.json",
                 ".venv/bin/python", "r.json", "notes.txt"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    (tmp_path / ".gitignore").write_text((ROOT / ".gitignore").read_text())
    monkeypatch.setattr(make_handout, "ROOT", tmp_path)
    listed = make_handout.repository_files()
    assert listed == [".gitignore", "grade.py", "grader/cli.py", "notes.txt"]
    assert make_handout.undecided(listed) == ["notes.txt"]


def test_the_handout_has_no_solutions_and_no_solution_line(handout):
    files = files_in(handout)
    assert not (handout / "solutions").exists()
    assert sorted({path.split("/")[0] for path in files} & set(make_handout.LEFT_OUT)) == []
    assert make_handout.leaks(files) == []
    assert make_stubs.main(["--check", "--into", str(handout / "assignment")]) == 0  # the stubs as generated


def test_the_leak_check_finds_a_solution_line_in_any_file():
    _, removed = make_stubs.expected_files()
    line = max(removed, key=len)
    assert make_handout.leaks({"grader/anything.py": f"x = 1\n    {line}\n".encode()})
    assert make_handout.leaks({"fixtures/part.safetensors": b"\x00\xff" + line.encode() + b"\x80"})
    assert make_handout.leaks({"docs/notes.md": b"# BEGIN SOLUTION\n"})
    assert make_handout.leaks({"grader/anything.py": b"x = 1\n"}) == []


def test_pyproject_and_the_lock_are_unchanged_and_grading_toml_forbids_builtins(handout):
    for name in ("pyproject.toml", "uv.lock"):
        assert (handout / name).read_bytes() == (ROOT / name).read_bytes()
    assert tomllib.loads((handout / "grading.toml").read_text())["forbid_builtins"] is True
    assert not (ROOT / "grading.toml").exists()  # here the policy is off, so that built-ins check the grader


def test_the_readme_for_learners_names_nothing_left_out_and_its_commands_work_there(handout):
    readme = (handout / "README.md").read_text()
    headings = re.findall(r"^## (.+)$", readme, re.MULTILINE)
    assert headings and not set(headings) & set(make_handout.INSTRUCTOR_SECTIONS)
    assert [line for line in readme.splitlines() if make_handout.mentions_left_out(line)] == []
    mistakes = (handout / "docs" / "mistakes.md").read_text()  # the other document learners read
    assert [line for line in mistakes.splitlines() if make_handout.mentions_left_out(line)] == []
    assert "<!--" not in readme and "grading.toml" in readme
    commands = re.findall(r"uv run ([^\n`#]+)", readme)
    assert any(c.strip() == "pytest" for c in commands) and any(c.startswith("python grade.py") for c in commands)
    for command in commands:
        words = command.split()
        if words[0] == "python" and words[1] == "-m":
            assert (handout / (words[2].replace(".", "/") + ".py")).is_file(), command
        elif words[0] == "python":
            assert (handout / words[1]).is_file(), command
        else:
            assert words[0] == "pytest", command
    named = set(re.findall(r"`(?:uv run pytest )?(?:-k )?(test_\w+)`", readme))
    assert named and named <= {part.test_name for part in PARTS}
    for link in re.findall(r"\]\(([^)#]+)\)", readme):
        assert link.startswith("http") or (handout / link).exists(), link


def test_learner_readme_drops_marked_text_and_instructor_sections_and_shows_handout_only_text():
    text = ("# Title\n\n## Set-up\nkeep\n<!-- not in the handout -->\ndrop\n<!-- end not in the handout -->\n"
            "<!-- handout only\nshown\n-->\n\n## Speed\ngone\n\n## Layout\n```\ngrader/  kept\nsolutions/  gone\n"
            "                 gone too\n```\n")
    assert learner_readme(text) == "# Title\n\n## Set-up\nkeep\nshown\n\n## Layout\n```\ngrader/  kept\n```\n"


@pytest.mark.parametrize("text", [
    "## Set-up\nread solutions/ when stuck\n",
    "## Set-up\nuv run pytest --impl solutions tests selftests\n",
    "## Set-up\n<!-- not in the handout -->\nnever closed\n",
    "## Set-up\n<!-- handout only\nnever closed\n",
])
def test_learner_readme_refuses_a_mention_of_what_is_left_out_or_an_unclosed_marker(text):
    with pytest.raises(HandoutError):
        learner_readme(text)


def test_an_occupied_folder_is_refused_unless_forced_and_its_git_is_kept(tmp_path, capsys):
    out = tmp_path / "handout"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert make_handout.main([str(out)]) == 1
    assert (out / "notes.txt").read_text() == "mine"
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert make_handout.main([str(out), "--force"]) == 0
    assert not (out / "notes.txt").exists() and (out / ".git" / "HEAD").is_file() and (out / "grade.py").is_file()
    assert make_handout.main([str(ROOT / "handout-inside")]) == 1 and not (ROOT / "handout-inside").exists()
    assert "outside" in capsys.readouterr().err


def test_grade_py_in_the_handout_gives_zero_on_its_stubs(handout, tmp_path):
    proc, report = grade_in(handout, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert report["score"] == 0 and report["max_score"] > 0
    assert {c["status"] for p in report["parts"] for c in p["cases"]} == {"not_implemented"}


def test_grade_py_in_the_handout_gives_full_marks_with_the_reference_copied_in(handout, tmp_path):
    finished = tmp_path / "finished"
    shutil.copytree(handout, finished)
    for path in (ROOT / "solutions").glob("*.py"):
        shutil.copy2(path, finished / "assignment" / path.name)
    proc, report = grade_in(finished, tmp_path, "--part", FULL_MARKS_PART)
    assert proc.returncode == 0, proc.stderr
    assert [p["name"] for p in report["parts"]] == [FULL_MARKS_PART]
    assert report["score"] == report["max_score"] > 0, report
