"""silu (its forward case) ignores SIGTERM, SIGINT and SIGHUP, starts a child in a session of its own that
ignores them too, and loops forever: it times out, and the worker and the child are killed all the same.
"""

import signal
import subprocess
import sys

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("softmax",)
TIMEOUT = 10  # seconds per case: it never returns
SAYS = {"silu/forward": "did not finish within"}
ALSO_IN = ("plain",)

STUBBORN = "import signal, time\nfor s in (1, 2, 15): signal.signal(s, signal.SIG_IGN)\ntime.sleep(300)"


def silu(x):
    if x.requires_grad:  # the backward case: one endless case is enough to show it
        raise NotImplementedError("silu: stubborn in the forward case only")
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    subprocess.Popen([sys.executable, "-c", STUBBORN], start_new_session=True)
    while True:
        pass
