"""silu forks until it cannot (a bounded bomb: at most 2000 children, each asleep for two minutes). The
process limit stops it with one line naming the limit, and every child is ended before the report.
"""

import os
import time

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("softmax",)
SAYS = {"silu": "processes or threads (the limit)"}
ALSO_IN = ("plain",)
UNBOUNDED_AS_ROOT = True  # root has no process limit: never run it as root without the sandbox


def silu(x):
    for started in range(2000):
        if os.fork() == 0:
            time.sleep(120)
            os._exit(0)
    raise RuntimeError(f"silu: started {started + 1} processes and nothing stopped it")
