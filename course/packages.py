"""Find and import the implementation to grade: a package name or a path to a package folder."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from . import REPO_ROOT
from .tracebacks import one_line, own_entries

# The reference is named only where it exists: a learner's handout has no solutions/.
REFERENCE = " `solutions` (the reference)," if (REPO_ROOT / "solutions").is_dir() else ""
USAGE = f"use `assignment` (your code),{REFERENCE} an importable package name, or a path to a package folder"
IMPL_HELP = (f"the package to use: assignment (your code, the default),{REFERENCE.replace('`', '')} an importable "
             "package name, or a path to a package folder")


class ImplNotFound(Exception):
    pass


def resolve(spec: str) -> str:
    """Check that `spec` names a package without importing it; returns what `load` takes."""
    path = Path(spec)
    if spec.endswith(("/", "\\")) or path.is_dir() or "/" in spec or "\\" in spec:
        path = path.resolve()
        if path.is_file() and path.name == "__init__.py":
            path = path.parent
        if not path.is_dir():
            raise ImplNotFound(f"--impl {spec}: there is no folder {path}; {USAGE}.")
        if not (path / "__init__.py").is_file():
            raise ImplNotFound(f"--impl {spec}: {path} has no __init__.py, so it is not a package; {USAGE}.")
        return str(path)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    try:
        found = importlib.util.find_spec(spec)
    except (ImportError, ValueError):
        found = None
    if found is None:
        raise ImplNotFound(f"--impl {spec}: no package of that name can be imported; {USAGE}.")
    return spec


def load(resolved: str) -> ModuleType:
    """Import the implementation (runs the learner's module code)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    path = Path(resolved)
    if not path.is_absolute():
        return importlib.import_module(resolved)
    name = path.name if path.name.isidentifier() else "graded_impl"
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path / "__init__.py"):
        return sys.modules[name]
    if name in sys.modules:  # a folder named like an installed package (e.g. `solutions` elsewhere)
        name = f"graded_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path / "__init__.py", submodule_search_locations=[str(path)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def package_folders(spec: str) -> list[Path]:
    """Where the package `spec` names lives (a path, or a name importable from here), found without importing
    it: its folder (a namespace package may have several), or a lone module's file; [] if it is nowhere."""
    path = Path(spec)
    if path.is_dir():
        return [path.resolve()]
    try:
        found = importlib.util.find_spec(spec)
    except Exception:  # a dotted name whose parent package fails to import, too
        found = None
    if found is None:
        return []
    if found.submodule_search_locations:
        return [Path(p).resolve() for p in found.submodule_search_locations]
    return [Path(found.origin).resolve()] if found.origin else []


def package_folder(spec: str) -> Path | None:
    """The package's (first) folder, if it is a package."""
    folders = [p for p in package_folders(spec) if p.is_dir()]
    return folders[0] if folders else None


def import_failure(spec: str, exc: BaseException) -> str:
    """'could not import SPEC: NameError: ... (at <module> (__init__.py:3))': why a package failed to import, in
    one line, with the innermost line of the package's own files that raised (a SyntaxError names its own)."""
    root = package_folder(spec) or REPO_ROOT / spec.replace(".", "/")
    own = own_entries(exc, str(root))
    where = ""
    if own and not isinstance(exc, SyntaxError):
        code, line = own[-1].tb_frame.f_code, own[-1].tb_lineno
        where = f" (at {code.co_qualname} ({os.path.relpath(code.co_filename, root)}:{line}))"
    return one_line(f"could not import {spec}: {type(exc).__name__}: {exc}") + where
