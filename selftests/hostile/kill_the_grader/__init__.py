"""softmax tries to end grade.py: SIGKILL to its parent, which in the issue left no report at all. The worker
must not be able to signal grade.py; softmax scores nothing and the rest is graded. Without a sandbox
grade.py can be killed: the report it wrote early must then still be valid (KILLS_WITHOUT_SANDBOX).
(Only its parent: on a shared machine, killing every grade.py in sight would end other people's.)
"""

import os
import signal

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("softmax",)
HONEST = ("cross_entropy",)
KILLS_WITHOUT_SANDBOX = True
ALSO_IN = ("user", "plain")


def softmax(x, dim):
    try:
        os.kill(os.getppid(), signal.SIGKILL)
    except OSError:
        pass
    raise RuntimeError("softmax: grade.py should be gone by now")
