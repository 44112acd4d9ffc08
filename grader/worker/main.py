"""The worker process grade.py runs learner code in: `python -m grader.worker.main IMPL REQ_FD RESP_FD`.

It imports the implementation, says whether that worked, then answers one request per case:
the case id and its inputs in, an Execution (plain outputs, or a status and message) out.
It judges nothing and never sees an expected output.
"""

from __future__ import annotations

import os
import sys

from .wire import read_message, write_message


def main(argv: list[str]) -> None:
    impl_spec, req_fd, resp_fd = argv[0], int(argv[1]), int(argv[2])
    requests, replies = os.fdopen(req_fd, "rb"), os.fdopen(resp_fd, "wb")

    from safetensors.torch import load as load_tensors

    from course.packages import load
    from course.tracebacks import one_line

    from ..cases import CASES_BY_ID
    from ..pipeline import execute
    from ..values import encode_execution

    try:
        impl = load(impl_spec)
    except BaseException as exc:  # a syntax error, a crash or an exit in the learner's module code
        message = one_line(f"could not import {impl_spec}: {type(exc).__name__}: {exc}")
        write_message(replies, {"ready": False, "message": message})
        return
    write_message(replies, {"ready": True})

    while (message := read_message(requests)) is not None:
        header, payload = message
        case = CASES_BY_ID[header["case"]]
        execution = execute(case, impl, load_tensors(payload) if payload else {},
                            forbid_builtins=header.get("forbid_builtins") is True)
        write_message(replies, *encode_execution(execution))


if __name__ == "__main__":
    main(sys.argv[1:])
