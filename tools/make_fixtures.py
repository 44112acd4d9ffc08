"""Regenerate fixtures/ from solutions/: `uv run python -m tools.make_fixtures`.

For every case with inputs: make them with a generator seeded from the case's id, run the
reference on them (in float64 where the case says so) and store inputs and outputs, one
safetensors file per part, plus fixtures/manifest.json with each file's sha256.
Run it after changing a case's inputs or the reference; never edit a fixture by hand.
GRADER_FIXTURES=DIR writes (and makes the grader read) another folder instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from collections import defaultdict

import torch
from safetensors.torch import save

from grader.case import Case
from grader.cases import CASES
from grader.execute import execute
from grader.fixtures import FIXTURES_DIR, MANIFEST, sha256
from grader.impl import load


def to_float64(values: dict) -> dict:
    return {k: v.double() if isinstance(v, torch.Tensor) and v.is_floating_point() else v for k, v in values.items()}


def reference_outputs(case: Case, reference, inputs: dict) -> tuple[dict, dict]:
    """(tensors, metadata) of what the reference returns, under `<case>/out/<name>`."""
    status, message, native = execute(case, reference, inputs)
    if status is not None:
        sys.exit(f"the reference fails {case.id}: {status}: {message}")
    if case.reference_in_float64:
        status, message, outputs = execute(case, reference, to_float64(inputs))
        if status is not None:
            sys.exit(f"the reference fails {case.id} in float64: {status}: {message}")
    else:
        outputs = native
    tensors, meta = {}, {}
    for name, value in outputs.items():
        key = f"{case.name}/out/{name}"
        if isinstance(value, torch.Tensor):
            tensors[key] = value.detach().clone().contiguous()
            meta[key] = {"dtype": str(native[name].dtype).removeprefix("torch.")}
        else:
            meta[key] = {"value": value}
    return tensors, meta


def build(part: str, cases: list[Case], reference, salt: str = "") -> bytes:
    tensors, meta = {}, {}
    for case in cases:
        g = torch.Generator().manual_seed(zlib.crc32((salt + case.id).encode()))
        inputs = case.inputs(g) if case.inputs else {}
        tensors.update({f"{case.name}/in/{k}": v.clone().contiguous() for k, v in inputs.items()})
        if case.reference:
            out_tensors, out_meta = reference_outputs(case, reference, inputs)
            tensors.update(out_tensors)
            meta.update(out_meta)
    # One metadata entry: safetensors writes a map of several in no fixed order.
    return save(tensors, metadata={"outputs": json.dumps(meta, sort_keys=True)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.make_fixtures", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="regenerate in memory and report files that would change; write nothing")
    parser.add_argument(
        "--salt", default="", metavar="TEXT",
        help="mix TEXT into every seed: the same checks on inputs nobody has seen (hidden tests; "
        "write them elsewhere with GRADER_FIXTURES=DIR)",
    )
    args = parser.parse_args(argv)

    reference = load("solutions")
    by_part: dict[str, list[Case]] = defaultdict(list)
    for case in CASES:
        if case.inputs is not None or case.reference:
            by_part[case.part].append(case)

    FIXTURES_DIR.mkdir(parents=True, exist_ok=True)
    manifest, changed = {}, []
    for part, cases in by_part.items():
        name = f"{part}.safetensors"
        data = build(part, cases, reference, args.salt)
        manifest[name] = sha256(data)
        path = FIXTURES_DIR / name
        if not path.exists() or path.read_bytes() != data:
            changed.append(name)
            if not args.check:
                path.write_bytes(data)
    manifest_text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    if args.check:
        print("fixtures would change: " + ", ".join(changed) if changed else "fixtures are up to date")
        return 1 if changed else 0
    (FIXTURES_DIR / MANIFEST).write_text(manifest_text)
    for stale in set(p.name for p in FIXTURES_DIR.glob("*.safetensors")) - set(manifest):
        (FIXTURES_DIR / stale).unlink()
    total = sum((FIXTURES_DIR / n).stat().st_size for n in manifest)
    print(f"wrote {len(manifest)} fixture files ({total / 1024:.0f} KiB) to {FIXTURES_DIR.name}/; changed: {', '.join(changed) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
