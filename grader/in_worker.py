"""Run cases in a worker process: how grade.py grades. Each case is fed to the worker under a time
limit, and its reply is judged here.

Whatever the learner's code does (raise, exit, crash, loop, print), the worker's reply or its
absence becomes one case's status, a fresh worker takes the remaining cases, and the score is
decided in this process from plain data.
"""

from __future__ import annotations

from typing import Callable

from .case import Case, Result
from .fixtures import FixtureError, expected_for, inputs_for
from .pipeline import verdict
from .values import GarbledReply, decode_execution
from .worker.process import Worker, WorkerDied, WorkerTimeout
from .worker.wire import ProtocolError

STARTUP_TIMEOUT = 120.0  # importing torch and the implementation, on a slow machine


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
    while pending:
        case = pending.pop(0)
        try:
            inputs, expected = inputs_for(case), expected_for(case)
        except FixtureError as exc:
            record(Result(case, "error", str(exc)))
            continue

        worker = worker or Worker(impl)
        if not worker.ready:
            failure = _start(worker)
            if failure:
                status, message = failure
                for c in [case, *pending]:
                    record(Result(c, status, message, whole_package=True))
                worker.kill()
                return results
            worker.ready = True

        limit = timeout or case.timeout
        try:
            request = {"case": case.id, **({"forbid_builtins": True} if forbid_builtins else {})}
            header, payload = worker.request(request, save_tensors(inputs) if inputs else b"", limit)
        except WorkerTimeout:
            worker.kill()
            worker = None
            record(Result(case, "timeout", f"did not finish within {limit:g} s (an endless loop?); the other cases were still graded"))
            continue
        except WorkerDied:
            note = worker.death_note()
            worker.close()
            worker = None
            record(Result(case, "error", note))
            continue
        except (ProtocolError, ValueError):
            worker.kill()
            worker = None
            record(Result(case, "error", "the process running your code sent back a garbled reply"))
            continue

        try:
            execution = decode_execution(header, payload)
        except GarbledReply:
            record(Result(case, "error", "the process running your code sent back a garbled reply"))
            continue
        record(verdict(case, execution, expected))
    if worker:
        worker.close(wait=False)  # it exits by itself while we write the report
    return results


def _start(worker: Worker) -> tuple[str, str] | None:
    """Wait for the worker to import the implementation; (status, message) if it could not."""
    try:
        header, _ = worker.receive(STARTUP_TIMEOUT)
    except WorkerTimeout:
        return "timeout", f"importing your package did not finish within {STARTUP_TIMEOUT:g} s"
    except WorkerDied:
        return "error", worker.death_note().replace("running your code", "importing your package")
    except (ProtocolError, ValueError):
        return "error", "the process importing your package sent back a garbled reply"
    if header.get("ready") is True:
        return None
    return "error", str(header.get("message", "could not import your package"))
