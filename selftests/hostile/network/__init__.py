"""silu tries the network: a TCP connection to a port the self-test listens on at 127.0.0.1 (its number in
port.txt, written beside this file by the self-test), as if to send the inputs out or fetch answers. It
computes silu honestly only if the connection succeeds, so a score for silu means the network was on.
"""

import socket
from pathlib import Path

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts
from .honest import silu as _silu

ATTACKS = ("silu",)
HONEST = ("softmax",)
SANDBOX_ONLY = True
LISTENER = True
ALSO_IN = ("user",)


def reached_out() -> bool:
    try:
        port = int((Path(__file__).parent / "port.txt").read_text())
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"leaked")
        return True
    except (OSError, ValueError):
        return False


def silu(x):
    if reached_out():
        return _silu(x)
    raise NotImplementedError("silu: no network")
