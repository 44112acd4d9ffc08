"""How an Execution crosses the process boundary: a JSON header and a safetensors payload, never pickle.

Whatever the learner's code returns is reduced to plain data here, so the judging process never
runs code that came from the other side. In-process grading sends its Executions through the same
round trip (`as_plain`), so pytest, grade.py and tools/make_fixtures.py all judge the same data.
The framing of a message on the pipe is grader/worker/wire.py's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, get_args

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from course.from_scratch import HOW, BuiltinUse
from course.tracebacks import one_line

from .case import Execution, Status


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
    return NotATensor(type(value).__name__, one_line(repr(value), 80))


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


class GarbledReply(ValueError):
    """A reply that is not an Execution this module wrote."""


STOPPED = set(get_args(Status)) - {"passed"}


def encode_execution(execution: Execution) -> tuple[dict[str, Any], bytes]:
    """An Execution as a JSON-able header and a safetensors payload (its tensor outputs)."""
    header = {
        "status": execution.status,
        "message": execution.message,
        "raised_in": execution.raised_in,
        "modified_inputs": list(execution.modified_inputs),
        "called": list(execution.called),
    }
    if execution.builtins:  # only when the "from scratch" policy is on, so the header is unchanged otherwise
        header["builtins"] = [[u.name, u.builtin, u.where, u.how] for u in execution.builtins]
    if not execution.ran:
        return header, b""
    try:
        values, payload = encode(execution.outputs)
    except Exception as exc:  # e.g. a tensor subclass that cannot be saved
        return encode_execution(Execution("error", one_line(f"could not read your output: {exc}")))
    return {**header, **values}, payload


def decode_execution(header: dict[str, Any], payload: bytes) -> Execution:
    """The Execution `encode_execution` wrote; GarbledReply for anything else (the sender is untrusted)."""
    try:
        return _decode_execution(header, payload)
    except GarbledReply:
        raise
    except Exception as exc:  # whatever a forged reply trips over: a list where a name goes, ...
        raise GarbledReply(f"malformed reply ({type(exc).__name__})") from None


def _decode_execution(header: dict[str, Any], payload: bytes) -> Execution:
    status, message, raised_in = header.get("status"), header.get("message", ""), header.get("raised_in")
    modified, called = header.get("modified_inputs", []), header.get("called", [])
    if status is not None and status not in STOPPED or not isinstance(message, str):
        raise GarbledReply("unknown status")
    if raised_in is not None and not isinstance(raised_in, str):
        raise GarbledReply("raised_in is not a name")
    for names in (modified, called):
        if not (isinstance(names, list) and all(isinstance(m, str) for m in names)):
            raise GarbledReply("modified_inputs or called is not a list of names")
    builtins = _builtin_uses(header.get("builtins", []))
    try:
        outputs = decode(header, payload) if status is None else {}
    except Exception as exc:  # a safetensors blob or a header that does not parse
        raise GarbledReply(f"unreadable outputs ({type(exc).__name__})") from None
    return Execution(status, message, outputs, raised_in, tuple(modified), tuple(called), builtins)


def _builtin_uses(entries: Any) -> tuple[BuiltinUse, ...]:
    """The forbidden built-ins a reply lists: at most 32, each four short strings with a known `how`."""
    if not isinstance(entries, list) or len(entries) > 32:
        raise GarbledReply("builtins is not a short list")
    uses = []
    for entry in entries:
        short_strings = isinstance(entry, list) and all(isinstance(x, str) and len(x) < 300 for x in entry)
        if not (short_strings and len(entry) == 4):
            raise GarbledReply("a builtins entry is not four short strings")
        if entry[3] not in HOW:
            raise GarbledReply("a builtins entry says an unknown way of use")
        uses.append(BuiltinUse(*entry))
    return tuple(uses)


def as_plain(execution: Execution) -> Execution:
    """The Execution as the judging process sees it after the round trip to plain data."""
    return decode_execution(*encode_execution(execution))
