"""silu writes a 1 GB file in its working folder: the file-size limit stops it with one line naming it."""

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("softmax",)
SAYS = {"silu": "wrote a file larger than 64 MB (the limit)"}
ALSO_IN = ("plain",)


def silu(x):
    with open("big", "wb") as f:
        for _ in range(1024):
            f.write(bytes(1 << 20))
    return x
