"""The child process grade.py runs learner code in: `python -m grader.worker IMPL REQ_FD RESP_FD`.

It imports the implementation, says whether that worked, then answers one request per case:
the case id and its inputs in, plain outputs (or a status and message) out. It judges nothing.
"""

from __future__ import annotations

import os
import sys

from .channel import read_message, write_message


def main(argv: list[str]) -> None:
    impl_spec, req_fd, resp_fd = argv[0], int(argv[1]), int(argv[2])
    requests, replies = os.fdopen(req_fd, "rb"), os.fdopen(resp_fd, "wb")

    from safetensors.torch import load as load_tensors

    from .cases import CASES_BY_ID
    from course.tracebacks import one_line

    from .execute import RAISED_IN, execute
    from course.packages import load
    from .protocol import encode

    try:
        impl = load(impl_spec)
    except BaseException as exc:  # a syntax error, a crash or an exit in the learner's module code
        write_message(replies, {"ready": False, "message": one_line(f"could not import {impl_spec}: {type(exc).__name__}: {exc}")})
        return
    write_message(replies, {"ready": True})

    while (message := read_message(requests)) is not None:
        header, payload = message
        case = CASES_BY_ID[header["case"]]
        status, text, outputs = execute(case, impl, load_tensors(payload) if payload else {})
        if status is None:
            try:
                head, blob = encode(outputs)
            except Exception as exc:
                write_message(replies, {"status": "error", "message": one_line(f"could not read your output: {exc}")})
                continue
            write_message(replies, {"status": None, **head}, blob)
        else:
            write_message(replies, {"status": status, "message": text, "raised_in": outputs.get(RAISED_IN)})


if __name__ == "__main__":
    main(sys.argv[1:])
