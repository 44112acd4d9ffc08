"""silu tries to get out: become root (setuid), unmount what covers the repository, or make a user namespace
of its own where it would be root and unmount it there; then to read the fixtures' manifest or write into
grader/. It computes silu honestly only if one of those worked, so a score for silu means a way out.
"""

import ctypes
import os
from pathlib import Path

import course

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts
from .honest import silu as _silu

ATTACKS = ("silu",)
HONEST = ("softmax",)
SANDBOX_ONLY = True
ALSO_IN = ("user",)

REPO = Path(course.__file__).resolve().parent.parent
CLONE_NEWUSER, CLONE_NEWNS, MNT_DETACH = 0x10000000, 0x00020000, 2


def got_out() -> bool:
    try:
        (REPO / "fixtures" / "manifest.json").read_bytes()
        return True
    except OSError:
        pass
    try:
        (REPO / "grader" / "escaped.txt").write_text("out")
        return True
    except OSError:
        return False


def try_everything() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for call in (lambda: os.setuid(0), lambda: os.setgid(0)):
        try:
            call()
        except OSError:
            pass
    for folder in (REPO / "fixtures", REPO):
        libc.umount2(str(folder).encode(), MNT_DETACH)
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0:  # root in a namespace of its own
        for folder in (REPO / "fixtures", REPO):
            libc.umount2(str(folder).encode(), MNT_DETACH)


def silu(x):
    child = os.fork()  # unshare(CLONE_NEWUSER) wants a process with one thread
    if child == 0:
        try:
            try_everything()
            os._exit(0 if got_out() else 1)
        finally:
            os._exit(1)
    _, status = os.waitpid(child, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 or got_out():
        return _silu(x)
    raise NotImplementedError("silu: still inside")
