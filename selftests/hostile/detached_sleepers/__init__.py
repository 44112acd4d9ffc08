"""An honest package that, when imported, leaves 20 sleepers behind: double-forked, in sessions of their own,
as a daemon would. Every honest point is kept, and none of them may outlive grading.
"""

import os
import subprocess

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ()
HONEST = ("silu", "softmax")
ALSO_IN = ("plain",)

for _ in range(20):
    _child = os.fork()
    if _child == 0:
        os.setsid()
        quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.Popen(["sleep", "300"], **quiet)
        os._exit(0)
    os.waitpid(_child, 0)
