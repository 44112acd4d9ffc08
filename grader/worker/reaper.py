"""Ending every process the learner's code started, wherever it went.

grade.py makes itself a child subreaper: a process that leaves its parent, its process group or its
session (a double fork, setsid) is then re-parented to grade.py instead of to the machine's init, so it
stays among grade.py's descendants, and `end_descendants` finds and kills it. In a pid namespace
(root and user modes) the kernel also kills everything in it when the worker's init ends.
"""

from __future__ import annotations

import os
import signal
import time

from . import linux

PR_GET_CHILD_SUBREAPER = 37


def become_subreaper() -> bool:
    """Adopt every orphaned descendant; False where the kernel cannot."""
    try:
        linux.prctl(linux.PR_SET_CHILD_SUBREAPER, 1)
        return True
    except OSError:
        return False


def is_subreaper() -> bool:
    import ctypes

    flag = ctypes.c_int(0)
    return linux._libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag), 0, 0, 0) == 0 and flag.value == 1


def _parents() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state) for every process on the machine."""
    table = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        table[int(entry)] = (int(fields[1]), fields[0].decode())
    return table


def descendants(root: int | None = None, include_zombies: bool = False) -> set[int]:
    """Every process below `root` (this one by default)."""
    root = os.getpid() if root is None else root
    table = _parents()
    children: dict[int, list[int]] = {}
    for pid, (ppid, state) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = set(), [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found if include_zombies else {p for p in found if table[p][1] not in ("Z", "X")}


def end_descendants(keep: set[int] = frozenset(), patience: float = 5.0) -> set[int]:
    """SIGKILL every descendant but `keep` and reap them; returns those still alive after `patience` s."""
    deadline = time.monotonic() + patience
    while True:
        found = descendants(include_zombies=True) - set(keep)
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for pid in found:  # our own children (the orphans we adopted among them) leave no zombie behind
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        alive = descendants() - set(keep)
        if not alive or time.monotonic() > deadline:
            reap_zombies(keep)
            return alive
        time.sleep(0.01)


def reap_zombies(keep: set[int] = frozenset()) -> None:
    for pid in descendants(include_zombies=True) - descendants() - set(keep):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
