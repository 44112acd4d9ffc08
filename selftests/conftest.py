"""Fixtures of the grader's self-tests."""

from pathlib import Path

import pytest

from tools import make_stubs


@pytest.fixture(scope="session")
def pristine_stubs(tmp_path_factory) -> Path:
    """The stubs as a learner first gets them, generated from solutions/ into a temporary folder: the
    self-tests about unfinished code use these, never assignment/, which may hold a learner's work."""
    folder = tmp_path_factory.mktemp("pristine") / "assignment"
    assert make_stubs.main(["--into", str(folder)]) == 0
    return folder
