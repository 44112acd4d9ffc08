"""grade.py's side of the worker: start it, send it a case, wait for its reply with a deadline, end it.

Kept free of torch so grade.py can start the worker before importing torch itself, and the
two imports overlap. The learner's prints go to a log file, never into the pipes.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

from course import REPO_ROOT

from .wire import MAX_MESSAGE_BYTES, PREFIX, ProtocolError, pack


class WorkerTimeout(Exception):
    """The worker did not answer within the deadline."""


class WorkerDied(Exception):
    """The worker's end of a pipe closed: it exited or was killed."""


class Worker:
    """A child process that imports the implementation and runs cases on request."""

    def __init__(self, impl: str):
        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.worker.main", impl, str(req_r), str(resp_w)],
            pass_fds=(req_r, resp_w),
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            start_new_session=True,  # so a kill also takes anything the learner's code started
        )
        os.close(req_r)
        os.close(resp_w)
        os.set_blocking(self._req_w, False)
        self.ready = False

    # -- raw I/O with a deadline ------------------------------------------------------------
    def _send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            if not select.select([], [self._req_w], [], max(0.0, deadline - time.monotonic()))[1]:
                raise WorkerTimeout()
            try:
                view = view[os.write(self._req_w, view[: 1 << 16]) :]
            except BrokenPipeError:
                raise WorkerDied() from None

    def _recv_exact(self, n: int, deadline: float) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            if not select.select([self._resp_r], [], [], max(0.0, deadline - time.monotonic()))[0]:
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

    # -- life and death ------------------------------------------------------------------------
    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.close(wait=False)
        self.proc.wait()

    def close(self, wait: bool = True) -> None:
        """Hang up; the worker exits when it reads the end of its requests."""
        for fd in (self._req_w, self._resp_r):
            try:
                os.close(fd)
            except OSError:
                pass
        if wait:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()

    def death_note(self) -> str:
        """Why the worker went away, for the learner: exit code and the last lines it printed."""
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "the process running your code stopped answering"
        if code < 0:
            try:
                what = f"was killed by signal {signal.Signals(-code).name}"
            except ValueError:
                what = f"was killed by signal {-code}"
        else:
            what = f"exited with code {code}"
        note = f"the process running your code {what} (did your code call os._exit or crash?)"
        self.log.seek(0)
        tail = [line for line in self.log.read()[-2000:].decode(errors="replace").splitlines() if line.strip()][-3:]
        if tail:
            note += "; its last output: " + " | ".join(line.strip() for line in tail)
        return note
