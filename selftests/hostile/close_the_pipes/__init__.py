"""silu closes every file descriptor above stderr, the worker's pipes to grade.py among them: its reply can
never arrive, the case is an error, and a fresh worker grades the rest.
"""

import os

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts
from .honest import silu as _silu

ATTACKS = ("silu",)
HONEST = ("softmax",)


def silu(x):
    os.closerange(3, 4096)
    return _silu(x)
