"""Run cases in a worker process: how grade.py grades. Each case is fed to the worker under a time
limit, and its reply is judged here.

Whatever the learner's code does (raise, exit, crash, loop, print, go over a resource limit), the
worker's reply or its absence becomes one case's status, a fresh worker (in a fresh sandbox) takes the
remaining cases, and the score is decided in this process from plain data.
"""

from __future__ import annotations

from typing import Callable

from .case import Case, Result
from .fixtures import FixtureError, expected_for, inputs_for
from .pipeline import verdict
from .values import GarbledReply, decode_execution
from .worker.process import SandboxFailed, Worker, WorkerDied, WorkerTimeout
from .worker.wire import ProtocolError

STARTUP_TIMEOUT = 120.0  # entering the sandbox and importing torch, on a slow machine
IMPORT_TIMEOUT = 20.0  # wall-clock seconds to import the learner's package (a larger --timeout, when given)
GARBLED = "the process running your code sent back a garbled reply"


def backstop(budget: float) -> float:
    """The wall-clock limit of a case whose CPU-time budget the worker enforces itself (grader/pipeline.cpu_budget):
    generous, because a loaded machine slows a case down without using up its budget; it catches code that waits
    (sleeps, blocks) or sits in one long computation, and a worker that switched its own timer off."""
    return 4 * budget + 30


def run_cases(
    cases: list[Case],
    impl: str,
    worker: Worker | None = None,
    on_result: Callable[[Result], None] | None = None,
    timeout: float | None = None,
    forbid_builtins: bool = False,
) -> list[Result]:
    """Grade `cases` against the package `impl` (as resolved by course.packages.resolve).

    `timeout`, if given, replaces every case's own time limit. With `forbid_builtins`, the worker watches
    for the built-ins the "from scratch" policy forbids (grader/builtin_calls.py).
    """
    from safetensors.torch import save as save_tensors

    results: list[Result] = []

    def record(result: Result) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    pending = list(cases)
    try:
        while pending:
            case = pending.pop(0)
            try:
                inputs, expected = inputs_for(case), expected_for(case)
            except FixtureError as exc:
                record(Result(case, "error", str(exc)))
                continue

            if worker is None or worker.stopped:
                worker = worker.fresh() if worker else Worker(impl)
            if not worker.ready:
                failure = _start(worker, max(IMPORT_TIMEOUT, timeout or 0))
                if failure:
                    status, message = failure
                    for c in [case, *pending]:
                        record(Result(c, status, message, whole_package=True))
                    return results
                worker.ready = True

            limit = timeout or case.timeout
            try:
                request = {"case": case.id, "budget": limit, **({"forbid_builtins": True} if forbid_builtins else {})}
                header, payload = worker.request(request, save_tensors(inputs) if inputs else b"", backstop(limit))
                if header.get("case") != case.id:
                    raise ProtocolError("a reply to another request")
            except WorkerTimeout:
                worker.stop()
                record(Result(case, "timeout",
                              f"did not finish within {backstop(limit):g} s of wall-clock time (its limit is "
                              f"{limit:g} s of CPU time): is it waiting for something, or stuck in one long "
                              "computation? The other cases were still graded"))
                continue
            except WorkerDied:
                note = worker.death_note()
                worker.stop()
                record(Result(case, "error", note))
                continue
            except (ProtocolError, ValueError):  # a reply the worker did not write (it sends large outputs as an error)
                worker.stop()
                record(Result(case, "error", GARBLED))
                continue

            if header.get("fresh_worker"):  # it went over a resource limit: its state may be spoiled
                worker.stop()
            try:
                execution = decode_execution(header, payload)
            except GarbledReply:  # and whatever else is in the pipe is not to be trusted either
                worker.stop()
                record(Result(case, "error", GARBLED))
                continue
            record(verdict(case, execution, expected))
    finally:  # also on Ctrl-C: the worker that runs now (a fresh one, maybe) goes, with its folder
        if worker:
            worker.stop()  # before the report is written: nothing of the learner's may outlive grading
    return results


def _start(worker: Worker, import_timeout: float) -> tuple[str, str] | None:
    """Wait for the worker to enter its sandbox, then to import the implementation; (status, message) if not."""
    try:
        worker.sandbox(STARTUP_TIMEOUT)
    except WorkerTimeout:
        return "timeout", f"the process to run your code did not start within {STARTUP_TIMEOUT:g} s"
    except WorkerDied:
        return "error", worker.death_note().replace("running your code", "starting to run your code")
    except (ProtocolError, ValueError):
        return "error", "the process to run your code sent back a garbled reply while starting"
    except SandboxFailed as exc:
        return "error", f"grade.py cannot grade here: {exc}"
    try:
        header = worker.import_package(import_timeout)
    except WorkerTimeout:
        return "timeout", f"importing your package did not finish within {import_timeout:g} s"
    except WorkerDied:
        return "error", worker.death_note().replace("running your code", "importing your package")
    except (ProtocolError, ValueError):
        return "error", "the process importing your package sent back a garbled reply"
    if header.get("ready") is True:
        return None
    return "error", str(header.get("message", "could not import your package"))
