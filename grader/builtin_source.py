""""From scratch" in the source: the built-ins the policy forbids (course/from_scratch.py), as written in the
learner's files. Runs in grade.py's own process: the files are parsed, never imported or run.

It finds each import of a forbidden name and each use of one: through an alias (`import torch.nn.functional as F`
then `F.softmax`), a from-import (`from torch.nn.functional import softmax`), a star import, a Tensor method
(`x.softmax(-1)`), a base class (`class Linear(nn.Linear)`), or getattr with a literal name. Each finding names
its top-level definition; when that is a public name, the finding is kept only if its part forbids the built-in.

It cannot see a name computed at run time (`getattr(F, "soft" + "max")`), code built from strings, or a
built-in reached through another library: the run-time net (builtin_calls.py) sees those when they run. And it
sees what may never run (an unused import, dead code, a self-check under `if __name__ == "__main__"`): that is
why a finding here is a warning for the learner and the instructor, and never costs a point by itself.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from course.from_scratch import ALL_BUILTINS, BuiltinUse, forbids, listed_by
from course.parts import PARTS

PART_OF_NAME = {name: part.name for part in PARTS for name in part.names}
TENSOR_METHODS = {b.rsplit(".", 1)[1]: b for b in ALL_BUILTINS if b.startswith("torch.Tensor.")}
LOCAL = "<the package's own>"  # what a relative import's names resolve to: never torch


@dataclass(frozen=True)
class SourceFinding:
    use: BuiltinUse  # name: the top-level definition it is in ('' at module level); where: file:line
    parts: tuple[str, ...]  # the parts that forbid it there
    ran: bool = False  # whether a case ran it (set once the cases are graded)


def scan(folder: Path) -> list[SourceFinding]:
    """Every use of a forbidden built-in in the package's .py files, in file and line order."""
    findings: list[SourceFinding] = []
    for path in sorted(folder.rglob("*.py")):
        if "__pycache__" in path.parts or not path.is_file():  # a folder or a broken link named like a module
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"), filename=str(path))
            findings += FileScan(path.relative_to(folder).as_posix()).run(tree)
        except (SyntaxError, ValueError, OSError, RecursionError, MemoryError):
            continue  # grading reports a syntax error itself; an unreadable or absurd file has nothing to show
    return findings


class FileScan(ast.NodeVisitor):
    def __init__(self, file: str):
        self.file = file
        self.aliases: dict[str, str] = {}  # name bound by an import -> dotted name (LOCAL... for the package's own)
        self.stars: list[str] = []  # modules star-imported from torch
        self.defined: set[str] = set()  # names the file assigns or defines itself
        self.scope = ""
        self.found: dict[tuple[int, str], SourceFinding] = {}

    def run(self, tree: ast.Module) -> list[SourceFinding]:
        for node in ast.walk(tree):
            self.bind(node)
        self.visit(tree)
        return [self.found[k] for k in sorted(self.found)]

    # -- names ---------------------------------------------------------------------------------------------------
    def bind(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.aliases[alias.asname] = alias.name
                else:
                    self.aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            for alias in node.names:
                if node.level:
                    self.aliases[alias.asname or alias.name] = f"{LOCAL}.{alias.name}"
                elif alias.name == "*":
                    self.stars.append(module)
                else:
                    self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.defined.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            self.defined.add(node.id)

    def dotted(self, node: ast.AST) -> str | None:
        """The dotted name an expression stands for (F.softmax: torch.nn.functional.softmax), if an import's."""
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            if node.id not in self.defined:
                return next((f"{m}.{node.id}" for m in self.stars if f"{m}.{node.id}" in ALL_BUILTINS), None)
            return None
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call) and _is_name(node.func, "getattr") and len(node.args) >= 2:
            base, attr = self.dotted(node.args[0]), node.args[1]
            if base and isinstance(attr, ast.Constant) and isinstance(attr.value, str):
                return f"{base}.{attr.value}"
        return None

    # -- findings ------------------------------------------------------------------------------------------------
    def note(self, node: ast.AST, builtin: str | None, how: str) -> bool:
        if builtin and builtin.startswith("torch.ops.aten."):
            builtin = "aten." + builtin.split(".")[3]  # torch.ops.aten._softmax.default -> aten._softmax
        listed = listed_by(builtin) if builtin else ()
        if not listed:
            return False
        part = PART_OF_NAME.get(self.scope)
        parts = ((part,) if forbids(part, builtin) else ()) if part is not None else listed
        if parts:
            use = BuiltinUse(self.scope, builtin, f"{self.file}:{node.lineno}", how)
            self.found.setdefault((node.lineno, builtin), SourceFinding(use, parts))
        return True

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.in_scope(node, lambda: [self.note(base, self.dotted(base), "is built on") for base in node.bases])

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.in_scope(node, lambda: None)

    visit_AsyncFunctionDef = visit_FunctionDef

    def in_scope(self, node, first) -> None:
        outer = self.scope
        self.scope = outer or node.name  # the top-level definition owns everything inside it
        first()
        self.generic_visit(node)
        self.scope = outer

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not node.level:
            for alias in node.names:
                self.note(node, f"{node.module}.{alias.name}", "imports")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if self.note(node, self.dotted(func), "calls"):
            for arg in node.args + [k.value for k in node.keywords]:
                self.visit(arg)
            return
        if isinstance(func, ast.Attribute) and func.attr in TENSOR_METHODS and self.dotted(func.value) is None:
            if not (isinstance(func.value, ast.Name) and func.value.id in ("self", "cls")):
                self.note(node, TENSOR_METHODS[func.attr], "calls")  # x.softmax(...): a Tensor's method, most likely
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if not self.note(node, self.dotted(node), "uses"):
            self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.note(node, self.dotted(node), "uses")


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name
