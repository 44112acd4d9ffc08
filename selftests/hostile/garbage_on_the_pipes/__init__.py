"""silu writes garbage to every file descriptor above stderr (the worker's reply pipe among them): a length
prefix promising terabytes, then random bytes. grade.py must read it as a garbled reply, not hang or crash.
"""

import os
import struct

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts
from .honest import silu as _silu

ATTACKS = ("silu",)
HONEST = ("softmax",)
SAYS = {"silu": "garbled reply"}


def silu(x):
    for fd in range(3, 64):
        try:
            os.write(fd, struct.pack("<IQ", 2**31, 2**40) + os.urandom(256))
        except OSError:
            pass
    return _silu(x)
