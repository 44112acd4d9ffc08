"""How tensors and values cross the process boundary: safetensors and JSON, never pickle.

A message (see channel.py) is a JSON header and a safetensors payload. Whatever the
learner's code returns is reduced to plain data here, so the judging process never runs
code that came from the other side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors


@dataclass(frozen=True)
class NotATensor:
    """Stands in for a returned value that is neither a tensor nor plain data."""

    type_name: str
    text: str

    def __str__(self) -> str:
        return f"{self.type_name} ({self.text})"


def _plain(value: Any) -> Any:
    """JSON-able data unchanged; anything else becomes a NotATensor description."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (list, tuple)):
        items = [_plain(v) for v in value]
        if not any(isinstance(v, NotATensor) for v in items):
            return items
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        fields = {k: _plain(v) for k, v in value.items()}
        if not any(isinstance(v, NotATensor) for v in fields.values()):
            return fields
    text = repr(value)
    return NotATensor(type(value).__name__, text if len(text) <= 80 else text[:77] + "...")


def encode(values: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """Split a dict into JSON-able values and a safetensors blob of its tensors."""
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, Any] = {}
    others: dict[str, list[str]] = {}
    for key, value in values.items():
        if isinstance(value, torch.Tensor):
            if value.is_sparse or value.is_complex() or value.layout != torch.strided:
                others[key] = ["Tensor", f"a {value.layout} / {value.dtype} tensor"]
                continue
            tensors[key] = value.detach().to("cpu").contiguous().clone()
        else:
            item = _plain(value)
            if isinstance(item, NotATensor):
                others[key] = [item.type_name, item.text]
            else:
                plain[key] = item
    return {"values": plain, "others": others}, save_tensors(tensors) if tensors else b""


def decode(header: dict[str, Any], payload: bytes) -> dict[str, Any]:
    values: dict[str, Any] = dict(header.get("values", {}))
    for key, (type_name, text) in header.get("others", {}).items():
        values[key] = NotATensor(str(type_name), str(text))
    if payload:
        values.update(load_tensors(payload))
    return values
