"""The resource limits of the worker process and of everything it starts, and the one line that says
which one the learner's code went over.

grade.py chooses the numbers (Limits), the worker applies them to itself before it imports the learner's
package (apply), and when a case fails the way going over a limit makes it fail, `exceeded` names the
limit instead of repeating the C library's words.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import sys
from dataclasses import asdict, dataclass

DEFAULT_MEMORY_GB = 4.0
GB, MB = 1 << 30, 1 << 20

# torch, its libraries and the threads it starts reserve address space they never use: the address-space
# limit only stops what the data limit cannot see (shared mappings); the data limit is the memory limit.
ADDRESS_SPACE_SLACK_GB = 8


@dataclass(frozen=True)
class Limits:
    memory_gb: float = DEFAULT_MEMORY_GB  # private writable memory of each process (RLIMIT_DATA)
    cpu_seconds: int = 3600  # CPU time of each process (RLIMIT_CPU); time limits per case stop honest code first
    open_files: int = 256  # file descriptors open at once (RLIMIT_NOFILE)
    processes: int = 256  # processes and threads the sandbox may add to those its user already runs
    file_size_mb: int = 64  # the largest file the learner's code may write (RLIMIT_FSIZE)
    processes_before: int | None = 0  # what its user already runs (RLIMIT_NPROC counts per user); None: unknown

    def as_dict(self) -> dict:
        return asdict(self)


def apply(limits: Limits) -> None:
    """Set this process's limits (inherited by everything it starts); soft and hard, so they stay."""
    data = int(limits.memory_gb * GB)
    for which, value in (
        (resource.RLIMIT_DATA, data),
        (resource.RLIMIT_AS, data + ADDRESS_SPACE_SLACK_GB * GB),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * MB),
        (resource.RLIMIT_CORE, 0),  # a crash leaves no core file (and waits for no crash reporter)
    ):
        _lower(which, value, value)
    if limits.processes_before is not None:  # unknown without /proc: a limit could stop the worker itself
        most = limits.processes_before + limits.processes
        _lower(resource.RLIMIT_NPROC, most, most)
    _lower(resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 5)  # SIGXCPU first, SIGKILL 5 s later
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the file-size limit fails with EFBIG instead


def _lower(which: int, soft: int, hard: int) -> None:
    old_soft, old_hard = resource.getrlimit(which)
    hard = hard if old_hard == resource.RLIM_INFINITY else min(hard, old_hard)
    try:
        resource.setrlimit(which, (min(soft, hard), hard))
    except (ValueError, OSError):  # a limit this system does not enforce (e.g. RLIMIT_DATA on macOS)
        if sys.platform.startswith("linux"):
            raise


def _gb(limits: Limits) -> str:
    return f"{limits.memory_gb:g} GB"


MEMORY = re.compile(r"MemoryError|can't allocate memory|not enough memory|Cannot allocate memory|\[Errno 12\]"
                    r"|bad_alloc")
FILES = re.compile(r"\[Errno 24\]|Too many open files")
FILE_SIZE = re.compile(r"\[Errno 27\]|File too large")
PROCESSES = re.compile(r"\[Errno 11\] Resource temporarily unavailable|can't start new thread")
WHERE = re.compile(r"( \([^()]*:\d+, in [^()]*\))$")  # course.tracebacks.where's suffix, kept


def exceeded(message: str, limits: Limits, own_pid_namespace: bool = False) -> str | None:
    """The line that names the limit a failing case's message shows it went over, or None.

    In its own pid namespace the worker sees only the sandbox's processes; otherwise all its user's.
    """
    if MEMORY.search(message):
        what = f"used more than {_gb(limits)} of memory (the limit, --memory-limit)"
    elif FILES.search(message):
        what = f"had more than {limits.open_files} files open at once (the limit)"
    elif FILE_SIZE.search(message):
        what = f"wrote a file larger than {limits.file_size_mb} MB (the limit)"
    elif PROCESSES.search(message) and _near_process_limit(limits, 0 if own_pid_namespace else limits.processes_before):
        what = f"started more than {limits.processes} processes or threads (the limit)"
    else:
        return None
    where = WHERE.search(message)
    return f"your code {what}" + (where.group(1) if where else "")


def _near_process_limit(limits: Limits, before: int | None) -> bool:
    """Whether the sandbox's processes and threads are close to the limit (fork fails with EAGAIN then)."""
    tasks = tasks_of(os.getuid())
    return tasks is not None and tasks - (before or 0) >= 0.8 * limits.processes


def tasks_of(uid: int) -> int | None:
    """How many processes and threads `uid` runs (RLIMIT_NPROC counts them all); None without /proc."""
    if not os.path.isdir("/proc"):
        return None
    tasks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("Uid", "").split()[:1] == [str(uid)]:
            tasks += int(fields.get("Threads", "1"))
    return tasks


def death_by_limit(signum: int, limits: Limits) -> str | None:
    """What a worker killed by this signal went over, if the signal is the one a limit sends."""
    if signum == signal.SIGXCPU:
        return f"your code used more than {limits.cpu_seconds} s of CPU time (the limit)"
    if signum == signal.SIGXFSZ:
        return f"your code wrote a file larger than {limits.file_size_mb} MB (the limit)"
    return None
