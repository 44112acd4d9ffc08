"""--device: the torch device to train on, refused in one line when this machine has none of that kind."""

from __future__ import annotations

import torch

from .data import BadInput


def pick_device(name: str) -> torch.device:
    try:
        device = torch.device(name)
    except RuntimeError:
        raise BadInput(f"--device {name}: not a device torch knows; use cpu, cuda or mps") from None
    usable = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if not usable.get(device.type, False):
        raise BadInput(f"--device {name}: torch {torch.__version__} finds no {device.type} device here; leave out "
                       "--device to train on the cpu")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise BadInput(f"--device {name}: there are only {torch.cuda.device_count()} CUDA devices")
    return device
