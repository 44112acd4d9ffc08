"""silu writes its own well-formed reply on the worker's reply pipe before the worker does: status "passed"
(which only grade.py may decide), for its own case and for the next one. A forged reply must be taken for
what it is, garbled, and the real one after it must not be mistaken for the next case's.
"""

import sys

from grader.worker.wire import pack

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("softmax",)
SAYS = {"silu": "garbled reply"}


def silu(x):
    reply_fd = int(sys.argv[3])  # python -m grader.worker.main IMPL REQ_FD RESP_FD POLICY
    with open(reply_fd, "wb", closefd=False) as pipe:
        for case in ("silu/forward", "silu/backward", "softmax/last_dim"):
            forged = {"status": "passed", "message": "", "raised_in": None, "modified_inputs": [], "case": case}
            pipe.write(pack(forged))
    raise NotImplementedError("silu: the forged replies should have done it")
