"""Which of the built-ins that the "from scratch" policy forbids (course/from_scratch.py) the learner's code ran
during a case, each attributed to the public name whose code made the call.

Two nets:
- a profile hook, chained after grader/calls.py's, sees every call made from Python code: a forbidden function
  or method however it was looked up (getattr(F, "soft" + "max") included), and the code of a forbidden class
  when it runs (nn.Linear's forward, torch.optim.Adam's step);
- a torch dispatch mode sees the aten kernels that only forbidden built-ins reach (aten._softmax), however they
  were reached (torch.ops.aten._softmax, or a built-in called from C, as map(torch.softmax, ...) does).

Attribution walks the Python stack outwards from the call: the first frame of the learner's public code
(grader/calls.owners) owns it. Frames of torch and other libraries are passed through, and so are the learner's
private helpers (the line reported is the learner's innermost one); a frame of the grader's own code (a stand-in
model, a case's runner) ends the walk: that call is not the learner's. A forbidden class's code running on an
instance of a learner's public class (a subclass of nn.Linear running nn.Linear's forward) is that class's.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from types import CodeType, FrameType, ModuleType
from typing import Any, Iterator

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from course import REPO_ROOT
from course.from_scratch import BuiltinUse, forbidden_in, forbids
from course.parts import PARTS_BY_NAME
from course.tracebacks import package_root

from .calls import owners

GRADER_CODE = tuple(str(REPO_ROOT / folder) + os.sep for folder in ("grader", "course", "tests"))
CLASS_METHODS = ("__init__", "forward", "step")  # what runs when a forbidden class is built or used
MOST = 10  # uses kept per case


def resolve(dotted: str) -> Any:
    """The object a dotted name stands for in this version of torch, or None."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


@dataclass
class Watchlist:
    """The forbidden built-ins of one part, in the forms the profile hook and the dispatch mode meet them."""

    functions: dict[int, tuple[Any, str]] = field(default_factory=dict)  # id of a C function -> (it, dotted name)
    methods: dict[str, str] = field(default_factory=dict)  # Tensor method name -> dotted name
    codes: dict[CodeType, str] = field(default_factory=dict)  # a Python function's code -> dotted name
    class_codes: set[CodeType] = field(default_factory=set)  # those of them that are a forbidden class's methods
    classes: dict[type, str] = field(default_factory=dict)  # forbidden class -> dotted name
    kernels: dict[Any, str | None] = field(default_factory=dict)  # aten overload -> kernel name (None: allowed)
    kernel_names: tuple[str, ...] = ()  # forbidden kernels; a trailing * is a prefix


@cache
def watchlist(part: str) -> Watchlist:
    watch = Watchlist()
    for dotted in forbidden_in(part):
        if dotted.startswith("aten."):
            watch.kernel_names += (dotted,)
            continue
        obj = resolve(dotted)
        if obj is None:
            continue
        if inspect.isclass(obj):
            watch.classes.setdefault(obj, dotted)
            for method in (m for m in CLASS_METHODS if m in vars(obj)):
                code = getattr(inspect.unwrap(vars(obj)[method]), "__code__", None)
                if code is not None:
                    watch.codes.setdefault(code, dotted)
                    watch.class_codes.add(code)
        elif dotted.startswith("torch.Tensor."):
            watch.methods.setdefault(dotted.rsplit(".", 1)[1], dotted)
        elif inspect.isfunction(obj):
            watch.codes.setdefault(inspect.unwrap(obj).__code__, dotted)
        elif callable(obj):
            watch.functions.setdefault(id(obj), (obj, dotted))
    return watch


@cache
def public_classes(impl: ModuleType) -> dict[type, str]:
    """The package's public classes -> their public names."""
    names = getattr(impl, "__all__", dir(impl))
    found = {name: getattr(impl, name, None) for name in names if not name.startswith("_")}
    return {obj: name for name, obj in found.items() if inspect.isclass(obj)}


class Recorder:
    """Collects the forbidden uses of one case made by the public names of its part."""

    def __init__(self, impl: ModuleType, part: str):
        self.table, self.classes = owners(impl), public_classes(impl)
        self.root = package_root(impl) + os.sep
        self.names = set(PARTS_BY_NAME[part].names)
        self.part, self.watch = part, watchlist(part)
        self.uses: dict[tuple[str, str], BuiltinUse] = {}

    def where(self, frame: FrameType | None) -> str:
        if frame is None:
            return ""
        file = frame.f_code.co_filename
        shown = os.path.relpath(file, self.root) if file.startswith(self.root) else os.path.basename(file)
        return f"{shown}:{frame.f_lineno}"

    def learner_class(self, frame: FrameType) -> tuple[str, type] | None:
        """(public name, class) when the frame's `self` is an instance of one of the learner's public classes."""
        if not frame.f_code.co_argcount or frame.f_code.co_varnames[0] != "self":
            return None
        cls = type(frame.f_locals.get("self"))
        return next(((self.classes[c], c) for c in cls.__mro__ if c in self.classes), None)

    def built_on(self, frame: FrameType, dotted: str) -> bool:
        """Record a forbidden class's code running for a subclass the learner wrote; False if it is not one."""
        found = self.learner_class(frame)
        if found is None:
            return False
        name, cls = found
        base = next((self.watch.classes[c] for c in cls.__mro__ if c in self.watch.classes), dotted)
        self.add(name, base, definition(cls, self.root), "is built on")
        return True

    def found(self, frame: FrameType | None, dotted: str) -> None:
        """A forbidden built-in was called from `frame`: walk out to the public name that owns the call."""
        innermost = None
        while frame is not None:
            code = frame.f_code
            name = self.table.get(code)
            if name is not None:
                self.add(name, dotted, self.where(innermost or frame), "calls")
                return
            if code.co_filename.startswith(self.root):
                innermost = innermost or frame  # a private helper of the learner's: its caller owns it
            elif code.co_filename.startswith(GRADER_CODE):
                return  # the grader's own code made this call (or called the code that made it)
            elif code in self.watch.class_codes and self.built_on(frame, self.watch.codes[code]):
                return
            frame = frame.f_back

    def add(self, name: str, dotted: str, where: str, how: str) -> None:
        if name in self.names and len(self.uses) < MOST and forbids(self.part, dotted):
            self.uses.setdefault((name, where), BuiltinUse(name, dotted, where, how))

    # -- the two nets ------------------------------------------------------------------------------------------
    def profile(self, frame: FrameType, event: str, arg: Any) -> None:
        watch = self.watch
        try:
            if event == "call":
                dotted = watch.codes.get(frame.f_code)
                if dotted is not None and not (frame.f_code in watch.class_codes and self.built_on(frame, dotted)):
                    self.found(frame.f_back, dotted)
            elif event == "c_call":
                entry = watch.functions.get(id(arg))
                if entry is not None and entry[0] is arg:
                    self.found(frame, entry[1])
                elif watch.methods and getattr(arg, "__name__", None) in watch.methods:
                    if isinstance(getattr(arg, "__self__", None), torch.Tensor):
                        self.found(frame, watch.methods[arg.__name__])
        except Exception:  # a frame that cannot be read: this call goes unrecorded, the case goes on
            pass

    def kernel(self, func: Any) -> None:
        watch = self.watch
        if func not in watch.kernels:
            name = str(getattr(func, "overloadpacket", func))
            hits = [k for k in watch.kernel_names if name == k or (k.endswith("*") and name.startswith(k[:-1]))]
            watch.kernels[func] = name if hits else None
        name = watch.kernels[func]
        if name is not None:
            self.found(sys._getframe(2), name)


class KernelWatch(TorchDispatchMode):
    def __init__(self, recorder: Recorder):
        super().__init__()
        self.recorder = recorder

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        try:
            self.recorder.kernel(func)
        except Exception:  # never let the watch break the learner's code
            pass
        return func(*args, **(kwargs or {}))


@cache
def definition(cls: type, root: str) -> str:
    """'building_blocks.py:40': where a class is defined."""
    try:
        file, (lines, line) = inspect.getsourcefile(cls) or "", inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return ""
    line += next((i for i, text in enumerate(lines) if text.lstrip().startswith("class ")), 0)  # past decorators
    return f"{os.path.relpath(file, root) if file.startswith(root) else os.path.basename(file)}:{line}"


@contextmanager
def watching(impl: ModuleType, part: str, on: bool = True) -> Iterator[list[BuiltinUse]]:
    """The list, filled when the block ends, of the forbidden built-ins the part's own public names used."""
    uses: list[BuiltinUse] = []
    if not on or not forbidden_in(part) or not PARTS_BY_NAME[part].names:
        yield uses
        return
    recorder = Recorder(impl, part)
    previous = sys.getprofile()

    def hook(frame, event, arg):
        if previous is not None:
            previous(frame, event, arg)
        recorder.profile(frame, event, arg)

    sys.setprofile(hook)
    try:
        with KernelWatch(recorder) if recorder.watch.kernel_names else _nothing():
            yield uses
    finally:
        sys.setprofile(previous)
        uses.extend(recorder.uses.values())


@contextmanager
def _nothing() -> Iterator[None]:
    yield
