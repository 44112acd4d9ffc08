"""The shape of the code: imports point one way, each package names its modules, no module grows past ~500 lines."""

import ast

import pytest

from .helpers import ROOT

# package -> the top-level packages it must never import
NEVER_IMPORTS = {
    "course": {"grader", "trainer", "tools", "selftests", "solutions", "assignment"},
    "trainer": {"grader", "tools", "selftests", "solutions", "assignment"},
    "grader": {"tools", "selftests", "solutions", "assignment"},
}
# packages whose docstring lists their modules
DESCRIBED = ("grader", "grader/cases", "grader/mistakes", "grader/worker", "course", "trainer")
HAND_WRITTEN = ("grader", "course", "trainer", "tools", "selftests")
LONGEST = 500


def modules(folder: str):
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "impls" not in p.relative_to(ROOT).parts)


def imported_packages(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(NEVER_IMPORTS))
def test_imports_point_one_way(package):
    wrong = {str(p.relative_to(ROOT)): sorted(imported_packages(p) & NEVER_IMPORTS[package]) for p in modules(package)}
    assert not {k: v for k, v in wrong.items() if v}


@pytest.mark.parametrize("package", DESCRIBED)
def test_a_package_docstring_names_every_module(package):
    folder = ROOT / package
    doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text())) or ""
    names = [p.stem if p.is_file() else p.name for p in folder.iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())]
    assert names, package
    assert [n for n in names if n not in doc] == []


def test_no_hand_written_module_is_longer_than_about_500_lines():
    lengths = {
        str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for folder in HAND_WRITTEN for p in modules(folder)
    }
    assert {path: n for path, n in lengths.items() if n > LONGEST} == {}
