"""pytest options for the graded tests (tests/): `--impl NAME` picks the package to grade; `--forbid-builtins`
(or grading.toml) enforces "from scratch".

At the top level so that `--impl` works wherever pytest is pointed (tests/, selftests/, a file).
"""

from __future__ import annotations

import pytest

from course.from_scratch import SettingError, policy_on
from course.launch import positive
from course.packages import IMPL_HELP, ImplNotFound, import_failure, load, resolve
from course.parts import PARTS
from grader.cases import cases_of
from grader.hints import confirm
from grader.in_process import run_cases

FORBID_BUILTINS = pytest.StashKey[bool]()  # whether the "from scratch" policy is on (course/from_scratch.py)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--impl",
        default="assignment",
        help=IMPL_HELP,
    )
    parser.addoption(
        "--timeout",
        type=positive,
        default=None,
        metavar="SECONDS",
        help="CPU-time limit per case, as grade.py's --timeout (default: each case's own, 20 s for most)",
    )
    parser.addoption(
        "--forbid-builtins", dest="forbid_builtins", action="store_const", const=True, default=None,
        help="from scratch, as grade.py's --forbid-builtins: a case whose part's code uses a torch built-in that "
        "part replaces fails (the default when grading.toml says forbid_builtins = true)",
    )
    parser.addoption("--allow-builtins", dest="forbid_builtins", action="store_const", const=False, default=None,
                     help="allow torch's built-ins even where grading.toml forbids them")


def pytest_configure(config: pytest.Config) -> None:
    for part in PARTS:
        config.addinivalue_line("markers", f"{part.name}: the {part.title} part (`-m {part.name}`)")
    try:
        config.stash[FORBID_BUILTINS] = policy_on(config.getoption("forbid_builtins"))
    except SettingError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.stash.get(FORBID_BUILTINS, False):
        return "from scratch: a case whose part's code uses a torch built-in that part replaces fails"
    return None


@pytest.fixture(scope="session")
def impl(request: pytest.FixtureRequest):
    """The implementation under test, or a one-line reason it could not be imported."""
    spec = request.config.getoption("--impl")
    try:
        return load(resolve(spec))
    except ImplNotFound as exc:
        return str(exc)
    except BaseException as exc:  # the learner's module failed to import
        return import_failure(spec, exc)


@pytest.fixture(scope="session")
def graded(impl, request: pytest.FixtureRequest):
    """part name -> the results of all its cases, run once (cached) so that a known mistake is named only where
    it explains the whole part (grader/hints.confirm) and a failing prerequisite can be blamed."""
    cache: dict[str, list] = {}

    def results(part: str) -> list:
        if part not in cache:
            cache[part] = run_cases(cases_of(part), impl, request.config.getoption("--timeout"),
                                    request.config.stash[FORBID_BUILTINS])
            confirm(cache[part])
        return cache[part]

    return results
