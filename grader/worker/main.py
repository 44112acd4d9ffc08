"""The worker process grade.py runs learner code in: `python -m grader.worker.main IMPL REQ_FD RESP_FD POLICY`.

First it shuts itself in its sandbox (POLICY, see sandbox.py) and imports torch and the grader; it says
so ("loaded", with what the sandbox got) and waits for grade.py's word before it imports the learner's
package, so that nothing of the learner's runs before grade.py is ready for it. Then it answers one
request per case: the case id and its inputs in, an Execution (plain outputs, or a status and message)
out, with the case id echoed. It judges nothing and never sees an expected output.
"""

from __future__ import annotations

import json
import os
import sys

from .limits import Limits, exceeded
from .sandbox import Policy, enter
from .wire import MAX_MESSAGE_BYTES, read_message, write_message


def main(argv: list[str]) -> None:
    impl_spec, req_fd, resp_fd = argv[0], int(argv[1]), int(argv[2])
    policy = Policy(**json.loads(argv[3]))
    got = enter(policy, (req_fd, resp_fd))  # before anything else is imported
    requests, replies = os.fdopen(req_fd, "rb"), os.fdopen(resp_fd, "wb")
    if "fatal" in got:  # it cannot run the learner's code safely here: say why, and nothing more
        write_message(replies, {"loaded": False, "message": got["fatal"], "sandbox": got})
        return
    limits = Limits(**got["limits"])

    from safetensors.torch import load as load_tensors

    from course.packages import import_failure, load

    from ..cases import CASES_BY_ID
    from ..pipeline import execute
    from ..values import encode_execution

    write_message(replies, {"loaded": True, "sandbox": got})
    if read_message(requests) is None:  # grade.py's word to import the package
        return
    try:
        impl = load(impl_spec)
    except BaseException as exc:  # a syntax error, a crash or an exit in the learner's module code
        message = import_failure(impl_spec, exc)
        write_message(replies, {"ready": False, "message": exceeded(message, limits) or message})
        return
    write_message(replies, {"ready": True})

    own_pids = "pid" in got["namespaces"]
    while (message := read_message(requests)) is not None:
        header, payload = message
        case = CASES_BY_ID[header["case"]]
        budget = header.get("budget")  # seconds of CPU time, when grade.py's --timeout replaces the case's own
        execution = execute(case, impl, load_tensors(payload) if payload else {},
                            budget if isinstance(budget, (int, float)) and budget > 0 else None,
                            forbid_builtins=header.get("forbid_builtins") is True)
        reply, outputs = encode_execution(execution)
        if reply.get("status") == "error" and (over := exceeded(reply["message"], limits, own_pids)):
            reply = {**reply, "message": over, "fresh_worker": True}  # its state may be spoiled
        if len(outputs) + len(json.dumps(reply)) > MAX_MESSAGE_BYTES - 1024:
            size = f"{len(outputs) / (1 << 20):.0f} MB"
            message = f"your outputs take {size}, more than the {MAX_MESSAGE_BYTES >> 20} MB a case may send back"
            reply, outputs = {"status": "error", "message": message, "raised_in": None, "modified_inputs": []}, b""
        write_message(replies, {**reply, "case": case.id}, outputs)


if __name__ == "__main__":
    main(sys.argv[1:])
