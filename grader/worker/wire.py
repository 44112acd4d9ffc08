"""How a message is framed on a pipe: a length prefix, a JSON header, then a binary payload.

Kept free of torch, so grade.py can start the worker before importing torch itself.
"""

from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO

PREFIX = struct.Struct("<IQ")  # header length, payload length
MAX_MESSAGE_BYTES = 256 * 1024 * 1024


class ProtocolError(Exception):
    """A message that is cut short, too large or not of this format."""


def pack(header: dict[str, Any], payload: bytes = b"") -> bytes:
    head = json.dumps(header).encode()
    return PREFIX.pack(len(head), len(payload)) + head + payload


def write_message(stream: BinaryIO, header: dict[str, Any], payload: bytes = b"") -> None:
    stream.write(pack(header, payload))
    stream.flush()


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    data = stream.read(n)
    if len(data) < n:
        raise ProtocolError("truncated message")
    return data


def read_message(stream: BinaryIO) -> tuple[dict[str, Any], bytes] | None:
    """Blocking read of one message (the worker's side); None when the other side hangs up."""
    prefix = stream.read(PREFIX.size)
    if not prefix:
        return None
    head_len, payload_len = PREFIX.unpack(prefix + _read_exact(stream, PREFIX.size - len(prefix)))
    return json.loads(_read_exact(stream, head_len)), _read_exact(stream, payload_len)
