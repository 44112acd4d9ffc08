"""Run a command as a child subreaper and report what it left running:

    python -m selftests.watch OUT.json [--kill-when-graded REPORT] -- COMMAND...

Every process the command starts stays among this one's descendants, whatever it does to leave (a double
fork, setsid): an orphan is re-parented to the nearest subreaper above it, and this is one. So once the
command has exited, this process's remaining descendants are exactly what it left behind. OUT.json gets
the command's exit status, its output, and those processes (pid -> command line); then they are killed.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time

from grader.worker import reaper

SETTLE = 0.3  # seconds: time for anything left behind to act (e.g. rewrite a report) before we look


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def graded_some(report: str) -> bool:
    """Whether the report at `report` holds a case that was graded (not "grading did not finish")."""
    try:
        with open(report) as f:
            parts = json.load(f)["parts"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return any(c.get("message") != "grading did not finish" for p in parts for c in p.get("cases", []))


def main(argv: list[str]) -> None:
    out, rest = argv[0], argv[1:]
    kill_when_graded = None
    if rest[0] == "--kill-when-graded":  # SIGKILL the command once REPORT holds a graded case
        kill_when_graded, rest = rest[1], rest[2:]
    command = rest[1:] if rest[0] == "--" else rest
    reaper.become_subreaper()
    with tempfile.TemporaryFile() as stdout_file, tempfile.TemporaryFile() as stderr_file:
        proc = subprocess.Popen(command, stdout=stdout_file, stderr=stderr_file)
        deadline = time.monotonic() + 600
        while proc.poll() is None:
            if time.monotonic() > deadline or kill_when_graded and graded_some(kill_when_graded):
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                break
            time.sleep(0.02)
        stdout_file.seek(0)
        stderr_file.seek(0)
        stdout, stderr = stdout_file.read(), stderr_file.read()
    time.sleep(SETTLE)
    left = {pid: command_line(pid) for pid in reaper.descendants()}
    still = reaper.end_descendants()
    with open(out, "w") as f:
        json.dump({"returncode": proc.returncode, "stdout": stdout.decode(errors="replace")[-200_000:],
                   "stdout_bytes": len(stdout), "stderr": stderr.decode(errors="replace")[-20_000:],
                   "left": left, "could_not_end": sorted(still)}, f)


if __name__ == "__main__":
    main(sys.argv[1:])
