"""Which of the learner's public names ran during a case, and which one raised: the evidence behind
"blocked by <part>".

Every function of the package's public names (a function, a class's own methods and those it inherits
from the learner's code, a callable object's __call__) is mapped to the public name that owns it. While a
case runs, a profile hook notes the owners of the functions that are called; when it raises, the innermost
traceback entry with an owner names the public name that raised.
"""

from __future__ import annotations

import inspect
import sys
from contextlib import contextmanager
from functools import cache
from types import CodeType, ModuleType
from typing import Any, Iterator

FOREIGN = {"torch", "builtins", "typing", "abc", "collections", "enum", "dataclasses", "functools"}


def _functions_of(obj: Any) -> Iterator[tuple[Any, Any]]:
    """(the class or object that defines it, function) for the code a public object runs."""
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        yield obj, inspect.unwrap(obj)
        return
    classes = obj.__mro__ if inspect.isclass(obj) else type(obj).__mro__
    for cls in classes:
        if cls.__module__.split(".")[0] in FOREIGN:
            continue
        for value in vars(cls).values():
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            elif isinstance(value, property):
                value = value.fget
            if inspect.isfunction(value):
                yield cls, inspect.unwrap(value)


@cache
def owners(impl: ModuleType) -> dict[CodeType, str]:
    """Code object -> the public name it belongs to (a method defined in another public class belongs to that class)."""
    public = {name: getattr(impl, name) for name in getattr(impl, "__all__", dir(impl)) if not name.startswith("_")}
    by_identity = {id(obj): name for name, obj in public.items()}
    found: dict[CodeType, str] = {}
    for name, obj in public.items():
        try:
            for definer, function in _functions_of(obj):
                code = getattr(function, "__code__", None)
                if isinstance(code, CodeType):
                    found.setdefault(code, by_identity.get(id(definer), name))
        except Exception:  # an object that cannot be inspected owns nothing
            continue
    return found


@contextmanager
def recording(impl: ModuleType) -> Iterator[set[str]]:
    """The set, filled while the block runs, of the public names whose code was called."""
    table, called = owners(impl), set()

    def note(frame, event, _arg):
        if event == "call":
            name = table.get(frame.f_code)
            if name is not None:
                called.add(name)

    previous = sys.getprofile()
    sys.setprofile(note)
    try:
        yield called
    finally:
        sys.setprofile(previous)


def raised_by(exc: BaseException, impl: ModuleType) -> str | None:
    """The public name owning the innermost traceback entry that belongs to the package's public code."""
    table, tb, found = owners(impl), exc.__traceback__, None
    while tb is not None:
        found = table.get(tb.tb_frame.f_code, found)
        tb = tb.tb_next
    return found
