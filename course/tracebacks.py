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
    own = own_entries(exc, root)
    return (root, own[-1]) if own else None


def call_chain(exc: BaseException, impl: ModuleType, limit: int = 4) -> str:
    """The learner's own calls that led to `exc`, outermost first, as one line:

        MultiHeadSelfAttention.forward (transformer.py:370) -> RotaryPositionalEmbedding.forward (transformer.py:264)

    Only frames whose code lies in the implementation package count: calls through torch (such as
    nn.Module.__call__), the grader or train.py are left out, and an error that torch raises on the
    learner's behalf ends at the learner's line that called torch. Each frame is named by its
    qualified name, its file relative to the package folder and the line it was running: the call
    in every frame but the last, the failing line in the last. Only the innermost `limit` frames
    are kept, after "... -> " when some were left out. '' when no frame is in the package.

    The chain also shows the callers, where the mistake often is (multi-head attention passing RoPE
    positions of the wrong shape fails inside RoPE).
    """
    root = package_root(impl)
    own = own_entries(exc, root)
    kept = own[max(len(own) - limit, 0):]
    calls = [f"{tb.tb_frame.f_code.co_qualname} ({os.path.relpath(tb.tb_frame.f_code.co_filename, root)}:"
             f"{tb.tb_lineno})" for tb in kept]
    return ("... -> " if len(kept) < len(own) else "") + " -> ".join(calls)


def own_entries(exc: BaseException, root: str) -> list[TracebackType]:
    """The entries of `exc`'s traceback whose code lies under `root`, outermost first."""
    entries, tb = [], exc.__traceback__
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(root + os.sep):
            entries.append(tb)
        tb = tb.tb_next
    return entries


def located(exc: BaseException, impl: ModuleType) -> str:
    """' (at Linear.forward (building_blocks.py:80))': the learner's call chain to `exc`, or '' outside their code."""
    chain = call_chain(exc, impl)
    return f" (at {chain})" if chain else ""


def one_line(text: str, limit: int = 300) -> str:
    """`text` with its whitespace collapsed, cut at `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
