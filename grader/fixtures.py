"""Stored inputs and expected outputs: one safetensors file per part, checked on load.

Keys are `<case>/in/<name>` (what `run` is fed) and `<case>/out/<name>` (what the reference
returned, in float64 where the case says so). The metadata maps each output to the dtype the
learner's must have, or holds its value when it is not a tensor; under `<case>/mistake/<id>`
it holds a known mistake's signature (see hints.py).
fixtures/manifest.json holds every file's sha256.
"""

from __future__ import annotations

import hashlib
import json
import struct
from functools import cache
from typing import Any

import torch
from safetensors.torch import load as load_tensors

from course import REPO_ROOT, fixtures_folder

from .case import Case
from .checks import as_expected

FIXTURES_DIR = fixtures_folder()
MANIFEST = "manifest.json"
REGENERATE = "uv run python -m tools.make_fixtures"
# What to do about a bad fixture: a learner's handout has no tools/, so there it can only be restored.
RESTORE = "restore fixtures/ from git (`git checkout -- fixtures/`)"
FIX = f"{RESTORE} or regenerate them with `{REGENERATE}`" if (REPO_ROOT / "tools").is_dir() else RESTORE


class FixtureError(Exception):
    """A fixture file is missing or differs from the manifest; says how to fix it."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _metadata(data: bytes) -> dict[str, dict]:
    (header_len,) = struct.unpack("<Q", data[:8])
    meta = json.loads(data[8 : 8 + header_len]).get("__metadata__") or {}
    return json.loads(meta.get("outputs", "{}"))


@cache
def _manifest() -> dict[str, str]:
    path = FIXTURES_DIR / MANIFEST
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise FixtureError(f"{path} is missing or unreadable ({exc}); {FIX}.") from None


@cache
def load_part(part: str) -> tuple[dict[str, torch.Tensor], dict[str, dict]]:
    name = f"{part}.safetensors"
    path = FIXTURES_DIR / name
    want = _manifest().get(name)
    if want is None:
        raise FixtureError(f"fixtures/{name} is not in {MANIFEST}; {FIX}.")
    try:
        data = path.read_bytes()
    except OSError:
        raise FixtureError(
            f"fixtures/{name} is missing; {FIX}."
        ) from None
    if sha256(data) != want:
        raise FixtureError(
            f"fixtures/{name} does not match its sha256 in {MANIFEST} (edited or corrupted); "
            f"{FIX}."
        )
    return load_tensors(data), _metadata(data)


def inputs_for(case: Case) -> dict[str, Any]:
    if case.inputs is None:
        return {}
    tensors, _ = load_part(case.part)
    prefix = f"{case.name}/in/"
    # code under test may write to them
    found = {k[len(prefix) :]: v.clone() for k, v in tensors.items() if k.startswith(prefix)}
    if not found:
        raise FixtureError(
            f"fixtures/{case.part}.safetensors has no inputs for case `{case.name}`; {FIX}."
        )
    return found


def expected_for(case: Case) -> dict[str, Any]:
    if not case.reference:
        return {}
    tensors, meta = load_part(case.part)
    prefix = f"{case.name}/out/"
    values: dict[str, Any] = {}
    dtypes: dict[str, torch.dtype] = {}
    for key, info in meta.items():
        if key.startswith(prefix):
            name = key[len(prefix) :]
            if "dtype" in info:
                values[name] = tensors[key]
                dtypes[name] = getattr(torch, info["dtype"])
            else:
                values[name] = info["value"]
    if not values:
        raise FixtureError(
            f"fixtures/{case.part}.safetensors has no expected outputs for `{case.name}`; "
            f"{FIX}."
        )
    return as_expected(values, dtypes)


def signatures_for(case: Case) -> dict[str, dict]:
    """Known mistake id -> its signature in this case (none if the part's fixture is unreadable)."""
    try:
        _, meta = load_part(case.part)
    except FixtureError:
        return {}
    prefix = f"{case.name}/mistake/"
    return {key[len(prefix) :]: info for key, info in meta.items() if key.startswith(prefix)}
