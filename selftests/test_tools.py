"""The generated files: stubs from solutions/, fixtures with their manifest."""

import shutil
import textwrap

import pytest

from grader import fixtures
from grader.cases import CASES_BY_ID
from grader.in_process import run_case
from tools import make_docs, make_stubs

from .helpers import ROOT, SOLUTIONS

SOLUTION = textwrap.dedent(
    '''
    class Thing:
        def forward(self, x):
            """Docstring stays."""
            # BEGIN SOLUTION
            hidden_line_of_solution = x * 2
            return hidden_line_of_solution
            # END SOLUTION
    '''
)


def test_a_solution_region_becomes_one_raise_naming_the_function():
    text, removed = make_stubs.stub(SOLUTION, "thing.py")
    assert 'raise NotImplementedError("Thing.forward is not implemented yet")' in text
    assert "Docstring stays." in text and "hidden_line_of_solution" not in text
    assert removed == ["hidden_line_of_solution = x * 2", "return hidden_line_of_solution"]


def test_a_leaked_solution_line_is_caught():
    _, removed = make_stubs.stub(SOLUTION, "thing.py")
    assert make_stubs.leaked_lines("    hidden_line_of_solution = x * 2\n", removed)


@pytest.mark.parametrize("broken", ["# BEGIN SOLUTION\n", "def f():\n    # BEGIN SOLUTION\n    pass\n"])
def test_unbalanced_markers_are_refused(broken):
    with pytest.raises(SystemExit):
        make_stubs.stub(broken, "broken.py")


def test_the_drift_check_passes_on_fresh_stubs_and_fails_on_changed_ones(pristine_stubs, tmp_path):
    copy = tmp_path / "assignment"
    shutil.copytree(pristine_stubs, copy)
    assert make_stubs.main(["--check", "--into", str(copy)]) == 0
    (copy / "building_blocks.py").write_text((copy / "building_blocks.py").read_text() + "# changed\n")
    assert make_stubs.main(["--check", "--into", str(copy)]) == 1


def test_writing_the_stubs_never_overwrites_implemented_code(pristine_stubs, tmp_path, capsys):
    copy = tmp_path / "assignment"
    shutil.copytree(pristine_stubs, copy)
    (copy / "building_blocks.py").write_text((ROOT / "solutions" / "building_blocks.py").read_text())
    learner_work = (copy / "building_blocks.py").read_text()
    assert make_stubs.main(["--into", str(copy)]) == 1
    assert (copy / "building_blocks.py").read_text() == learner_work
    assert "Linear.forward" in capsys.readouterr().err
    assert make_stubs.main(["--into", str(copy), "--force"]) == 0
    assert (copy / "building_blocks.py").read_text() == (pristine_stubs / "building_blocks.py").read_text()


def test_a_function_new_in_the_solutions_is_nobody_s_work(tmp_path):
    old_stub = tmp_path / "thing.py"
    old_stub.write_text("class Other:\n    pass\n")  # written before Thing existed in solutions/
    new_stub, _ = make_stubs.stub(SOLUTION, "thing.py")
    assert make_stubs.implemented(old_stub, new_stub) == []
    old_stub.write_text(SOLUTION.replace("# BEGIN SOLUTION", "").replace("# END SOLUTION", ""))  # Thing written
    assert make_stubs.implemented(old_stub, new_stub) == ["Thing.forward"]


def test_the_catalogue_of_mistakes_document_is_up_to_date():
    assert make_docs.main(["--check"]) == 0


def test_fixtures_stay_under_one_megabyte():
    assert sum(p.stat().st_size for p in (ROOT / "fixtures").iterdir()) < 1_000_000


@pytest.fixture
def fixture_copy(tmp_path, monkeypatch):
    copy = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures", copy)
    monkeypatch.setattr(fixtures, "FIXTURES_DIR", copy)
    fixtures.load_part.cache_clear()
    fixtures._manifest.cache_clear()
    yield copy
    fixtures.load_part.cache_clear()
    fixtures._manifest.cache_clear()


def test_a_changed_fixture_is_named_with_the_command_that_regenerates_it(fixture_copy):
    path = fixture_copy / "linear.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    result = run_case(CASES_BY_ID["linear/forward"], SOLUTIONS)
    assert result.status == "error"
    assert "fixtures/linear.safetensors does not match its sha256" in result.message
    assert fixtures.REGENERATE in result.message


def test_a_missing_fixture_is_named_and_other_parts_still_run(fixture_copy):
    (fixture_copy / "silu.safetensors").unlink()
    result = run_case(CASES_BY_ID["silu/forward"], SOLUTIONS)
    assert result.status == "error" and "fixtures/silu.safetensors is missing" in result.message
    assert run_case(CASES_BY_ID["softmax/last_dim"], SOLUTIONS).status == "passed"
