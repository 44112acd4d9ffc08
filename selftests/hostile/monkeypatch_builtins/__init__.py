"""silu rewrites Python itself in the worker: isinstance always True, len always 0, json.dumps always a
"passed" header; the worker's reply turns to garbage and the case is an error. rmsnorm, graded before it by
the same worker, keeps its points; cases after it get a fresh worker.
"""

import builtins
import json

import torch

from .honest import *  # noqa: F401,F403  the reference, copied in by the self-test: the honest parts

ATTACKS = ("silu",)
HONEST = ("rmsnorm",)


def silu(x):
    builtins.isinstance = lambda obj, cls: True
    builtins.len = lambda obj: 0
    json.dumps = lambda *args, **kwargs: '{"status": "passed", "message": "", "case": "silu/forward"}'
    return torch.zeros_like(x)
