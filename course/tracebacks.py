"""Where in the learner's own files an exception was raised, for messages a learner can act on."""

from __future__ import annotations

import os
from types import ModuleType, TracebackType


def package_root(impl: ModuleType) -> str:
    """The folder of the implementation package: frames below it are the learner's code."""
    return os.path.dirname(os.path.abspath(getattr(impl, "__file__", None) or "."))


def innermost_frame(exc: BaseException, impl: ModuleType) -> tuple[str, TracebackType] | None:
    """(package root, the innermost traceback entry in the learner's package), or None."""
    root = package_root(impl)
    tb, found = exc.__traceback__, None
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(root + os.sep):
            found = (root, tb)
        tb = tb.tb_next
    return found


def where(exc: BaseException, impl: ModuleType) -> str:
    """' (file.py:57, in forward)' for the innermost frame in the learner's package, else ''."""
    found = innermost_frame(exc, impl)
    if not found:
        return ""
    root, tb = found
    code = tb.tb_frame.f_code
    return f" ({os.path.relpath(code.co_filename, root)}:{tb.tb_lineno}, in {code.co_name})"


def raised_in(exc: BaseException, impl: ModuleType) -> str | None:
    """The top-level name (class or function) whose code raised, e.g. `Linear` for Linear.forward."""
    found = innermost_frame(exc, impl)
    return found[1].tb_frame.f_code.co_qualname.split(".")[0] if found else None


def one_line(text: str, limit: int = 300) -> str:
    """`text` with its whitespace collapsed, cut at `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
