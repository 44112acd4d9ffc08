"""The implementation package being trained: importing it, and turning its failures into one line a learner can act on.

train.py reaches the package only through its public names, the ones course/parts.py lists for
the parts it runs; an exception from that code stops the run as a LearnerError (exit status 1)
naming where it was raised, never as a traceback.
"""

from __future__ import annotations

import os
import traceback
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from course import REPO_ROOT
from course.packages import ImplNotFound, import_failure, load, resolve
from course.parts import PARTS, PARTS_BY_NAME, public_names
from course.tracebacks import call_chain, innermost_frame, one_line, package_root

from .data import BadInput
from .loop import Settings

# What training end to end builds on, and what train.py adds: the tokenizer, checkpoints and sampling.
PARTS_USED = (*PARTS_BY_NAME["training"].requires, "tokenizer", "checkpoint", "generate")
PROVIDED = ("TransformerConfig",)  # written for the learner, who only calls it
NEEDED = PROVIDED + public_names(PARTS_USED)


class LearnerError(Exception):
    """The trained package's code is unfinished or failed: one line (and a hint), exit status 1."""


def import_impl(spec: str) -> ModuleType:
    """The package `spec` names, imported, with every name train.py needs."""
    try:
        resolved = resolve(spec)
    except ImplNotFound as exc:
        raise BadInput(str(exc)) from None
    try:
        impl = load(resolved)
    except (Exception, SystemExit) as exc:  # a learner's sys.exit() too; Ctrl-C is handled elsewhere
        raise LearnerError(f"train.py: {import_failure(spec, exc)}") from None
    missing = [name for name in NEEDED if not hasattr(impl, name)]
    if missing:
        raise BadInput(f"--impl {spec} has no {', '.join(missing)}: train.py needs Part 2's model and Part 3's "
                       "training functions")
    return impl


@contextmanager
def learner_code(impl: ModuleType):
    """Turns an exception from (or caused by) the trained package's code into a LearnerError."""
    try:
        yield
    except (BadInput, LearnerError):
        raise
    except (Exception, SystemExit) as exc:  # a learner's sys.exit() too; Ctrl-C is handled elsewhere
        raise LearnerError(explain(exc, impl)) from None


def explain(exc: BaseException, impl: ModuleType) -> str:
    """What went wrong, in one line: the trained package's own calls that led to it (else the innermost place)."""
    found = innermost_frame(exc, impl)
    if found is None:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{os.path.relpath(frame.filename, REPO_ROOT)}:{frame.lineno}, in {frame.name}"
        return f"train.py: {type(exc).__name__}: {one_line(str(exc))} ({where})"
    root, tb = found
    code = tb.tb_frame.f_code
    where = f"{os.path.relpath(code.co_filename, os.path.dirname(root))}:{tb.tb_lineno}"
    if isinstance(exc, NotImplementedError) and tb.tb_next is None:  # raised right there: a stub
        name = code.co_qualname.split(".")[0]
        part = next((p for p in PARTS if name in p.names), None)
        check = (f"test it with `uv run pytest -k {part.test_name}`" if part
                 else "see what else is missing with `uv run python grade.py`")
        return (f"train.py needs {name}, which is not implemented yet ({where}, in {code.co_qualname})\n"
                f"Write it, then {check}.")
    return (f"train.py: {whose(impl)} code in {os.path.basename(root)}/ raised {type(exc).__name__}: "
            f"{one_line(str(exc))}; at {call_chain(exc, impl)}")


def whose(impl: ModuleType) -> str:
    """How messages name the trained package's code: "your", or "the reference's" for solutions/."""
    return "the reference's" if is_reference(impl) else "your"


def is_reference(impl: ModuleType) -> bool:
    return Path(package_root(impl)).resolve() == (REPO_ROOT / "solutions").resolve()


def tokenizer_for(impl: ModuleType, text: str):
    """The package's CharTokenizer, tried once here so that an unfinished one stops the run before it starts."""
    tokenizer = impl.CharTokenizer(text)
    _ = tokenizer.decode(tokenizer.encode(text[:1])), tokenizer.vocab_size
    return tokenizer


def check_model(impl: ModuleType, settings: Settings, vocab_size: int) -> None:
    """Refuse model sizes the package's TransformerConfig rejects (one line, exit status 2)."""
    try:
        settings.model_config(impl, vocab_size)
    except ValueError as exc:
        raise BadInput(f"bad model settings: {exc}") from None
