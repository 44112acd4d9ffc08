"""grade.py's side of the worker: start it in its sandbox, send it a case, wait for its reply with a
deadline, end it and everything it started.

Kept free of torch so grade.py can start the worker before importing torch itself, and the two imports
overlap. The worker starts with a scrubbed environment in a fresh temporary folder; its prints go to a
pipe that grade.py drains while it waits, keeping only the last few kilobytes.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from course import REPO_ROOT

from . import reaper
from .limits import Limits, death_by_limit
from .sandbox import plan
from .wire import MAX_MESSAGE_BYTES, PREFIX, ProtocolError, pack

LOG_TAIL = 8192  # bytes of the learner's output kept for a message
WORKER_THREADS = 1  # torch's threads in the worker, unless OMP_NUM_THREADS says otherwise
# The only variables the worker inherits (beside HOME, TMPDIR, PATH and PYTHONPATH, set here).
ENVIRONMENT = ("LANG", "LANGUAGE", "TZ", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


class WorkerTimeout(Exception):
    """The worker did not answer within the deadline."""


class WorkerDied(Exception):
    """The worker's end of a pipe closed: it exited or was killed."""


class SandboxFailed(Exception):
    """The worker cannot run the learner's code safely on this machine; the message says why."""


def worker_environment(home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ENVIRONMENT or k.startswith("LC_")}
    env.update({
        "HOME": home,
        "TMPDIR": home,
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
        "PYTHONPATH": str(REPO_ROOT),  # the grader's own packages; the learner's is imported by its path or name
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    # A case's budget is the CPU time of all its threads, and torch's threads spin while they wait for a
    # core: under load, two threads took the end-to-end case 2 to 3 times as long as one, which grades
    # as fast on an idle machine (the cases are small).
    env.setdefault("OMP_NUM_THREADS", str(WORKER_THREADS))
    return env


class Worker:
    """A child process, shut in its sandbox, that imports the implementation and runs cases on request."""

    def __init__(self, impl: str, limits: Limits | None = None, reports: tuple[Path, ...] = ()):
        self.impl, self.limits, self.reports = impl, limits or Limits(), tuple(reports)
        self.home = os.path.realpath(tempfile.mkdtemp(prefix="grade-worker-"))  # compared with resolved paths
        policy = plan(impl, list(self.reports), self.limits, self.home)
        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        self._log_r, log_w = os.pipe()
        command = [sys.executable, "-P", "-m", "grader.worker.main", impl, str(req_r), str(resp_w)]
        self.proc = subprocess.Popen(
            [*command, json.dumps(policy.as_dict())],
            pass_fds=(req_r, resp_w),
            stdin=subprocess.DEVNULL,
            stdout=log_w,
            stderr=log_w,
            cwd=self.home,
            env=worker_environment(self.home),
            start_new_session=True,  # a process group of its own, for a kill that takes its children too
        )
        for fd in (req_r, resp_w, log_w):
            os.close(fd)
        os.set_blocking(self._req_w, False)
        os.set_blocking(self._log_r, False)
        self.log = bytearray()  # the last LOG_TAIL bytes the learner's code printed
        self.got: dict | None = None  # what the sandbox got, once the worker says it is loaded
        self.ready = False  # the learner's package is imported
        self.stopped = False

    def fresh(self) -> Worker:
        """A new worker like this one (after this one timed out, died or went over a limit)."""
        return Worker(self.impl, self.limits, self.reports)

    # -- raw I/O with a deadline, draining the learner's output meanwhile -------------------------------
    def _wait(self, read: list[int], write: list[int], deadline: float) -> bool:
        """Wait until one of `read`/`write` is ready (True) or the deadline passes (False)."""
        while True:
            logs = [self._log_r] if self._log_r >= 0 else []
            r, w, _ = select.select(read + logs, write, [], max(0.0, deadline - time.monotonic()))
            if self._log_r in r:
                self._drain_log()
            if set(r) & set(read) or w:
                return True
            if time.monotonic() >= deadline:  # even while the learner's code floods its output
                return False

    def _drain_log(self, most: int = 1 << 20) -> None:
        """Read what the learner's code printed, at most `most` bytes a call (a flood never ends)."""
        try:
            while most > 0 and (chunk := os.read(self._log_r, 1 << 16)):
                self.log += chunk
                del self.log[:-LOG_TAIL]
                most -= len(chunk)
            if most <= 0:
                return
            os.close(self._log_r)  # end of file: every process holding the pipe is gone
            self._log_r = -1
        except BlockingIOError:
            pass
        except OSError:
            self._log_r = -1

    def _send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            if not self._wait([], [self._req_w], deadline):
                raise WorkerTimeout()
            try:
                view = view[os.write(self._req_w, view[: 1 << 16]) :]
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):
                raise WorkerDied() from None

    def _recv_exact(self, n: int, deadline: float) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            if not self._wait([self._resp_r], [], deadline):
                raise WorkerTimeout()
            chunk = os.read(self._resp_r, min(n - len(buf), 1 << 20))
            if not chunk:
                raise WorkerDied()
            buf += chunk
        return bytes(buf)

    def receive(self, timeout: float) -> tuple[dict[str, Any], bytes]:
        deadline = time.monotonic() + timeout
        head_len, payload_len = PREFIX.unpack(self._recv_exact(PREFIX.size, deadline))
        if head_len + payload_len > MAX_MESSAGE_BYTES:
            raise ProtocolError("reply too large")
        try:
            header = json.loads(self._recv_exact(head_len, deadline))
        except ValueError:
            raise ProtocolError("garbled reply") from None
        if not isinstance(header, dict):
            raise ProtocolError("garbled reply")
        return header, self._recv_exact(payload_len, deadline)

    def request(self, header: dict[str, Any], payload: bytes, timeout: float) -> tuple[dict[str, Any], bytes]:
        deadline = time.monotonic() + timeout
        self._send(pack(header, payload), deadline)
        return self.receive(max(0.0, deadline - time.monotonic()))

    # -- start-up -------------------------------------------------------------------------------------
    def sandbox(self, timeout: float) -> dict:
        """Wait until the worker is in its sandbox with torch imported; what the sandbox got."""
        if self.got is None:
            header, _ = self.receive(timeout)
            if not isinstance(header.get("sandbox"), dict):
                raise ProtocolError("garbled reply")
            if header.get("loaded") is not True:
                raise SandboxFailed(str(header.get("message")))
            self.got = header["sandbox"]
        return self.got

    def import_package(self, timeout: float) -> dict[str, Any]:
        """Let the worker import the learner's package (their code's first chance to run); its answer."""
        header, _ = self.request({"import": True}, b"", timeout)
        return header

    # -- life and death ---------------------------------------------------------------------------------
    def stop(self) -> None:
        """Kill the worker and everything it started; remove its home."""
        if self.stopped:
            return
        self.stopped = True
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for fd in (self._req_w, self._resp_r, self._log_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log_r = -1
        self.proc.wait()
        if reaper.is_subreaper():  # grade.py: also what left the process group or the session
            reaper.end_descendants()
        _remove(self.home)

    def death_note(self) -> str:
        """Why the worker went away, for the learner: exit code or the limit it hit, and its last output."""
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "the process running your code stopped answering"
        if self._log_r >= 0:
            self._drain_log()
        if code < 0 and (over := death_by_limit(-code, self.limits)):
            return over
        if code < 0:
            try:
                what = f"was killed by signal {signal.Signals(-code).name}"
            except ValueError:
                what = f"was killed by signal {-code}"
        else:
            what = f"exited with code {code}"
        note = f"the process running your code {what} (did your code call os._exit or crash?)"
        tail = [line for line in self.log[-2000:].decode(errors="replace").splitlines() if line.strip()][-3:]
        if tail:
            note += "; its last output: " + " | ".join(line.strip() for line in tail)
        return note


def _remove(folder: str) -> None:
    """Remove a worker's home, even folders the learner's code made unreadable."""

    def allow_and_retry(function, path, _):
        try:
            os.chmod(os.path.dirname(path), stat.S_IRWXU)
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, stat.S_IRWXU)
            function(path)
        except OSError:
            pass

    shutil.rmtree(folder, onerror=allow_and_retry)
