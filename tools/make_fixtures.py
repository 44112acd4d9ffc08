"""Regenerate fixtures/ from solutions/: `uv run python -m tools.make_fixtures`.

For every case: make its inputs with a generator seeded from the case's id, run the reference
on them (in float64 where the case says so) and store inputs and outputs; run each known
mistake of the part (catalogued in grader/mistakes/, its wrong implementation registered under
the same id in selftests/variants/) and store its signature (grader/hints.py) where the case
catches it. One safetensors file per part, plus fixtures/manifest.json with each file's sha256.
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

from course.packages import load
from grader.case import Case, Execution
from grader.cases import CASES
from grader.checks import as_expected, dtype_str
from grader.fixtures import FIXTURES_DIR, MANIFEST, sha256
from grader.hints import execution_signature, resemblance, signature
from grader.mistakes import MISTAKES_BY_ID
from grader.pipeline import execute, judged
from grader.values import as_plain


def to_float64(values: dict) -> dict:
    return {k: v.double() if isinstance(v, torch.Tensor) and v.is_floating_point() else v for k, v in values.items()}


def run(case: Case, impl, inputs: dict) -> Execution:
    """The Execution on the case's own inputs, as the judge receives it."""
    inputs = {k: v.clone() for k, v in inputs.items()}  # a mistake may write to them; the next run needs them intact
    return as_plain(execute(case, impl, inputs))


def stored_values(case: Case, impl, inputs: dict, native: dict) -> dict | None:
    """The outputs kept and compared against: from float64 inputs where the case says so (None if that fails)."""
    if not (case.reference and case.reference_in_float64):
        return native
    execution = run(case, impl, to_float64(inputs))
    return execution.outputs if execution.ran else None


def dtypes(outputs: dict) -> dict:
    return {k: v.dtype for k, v in outputs.items() if isinstance(v, torch.Tensor)}


def mistake_signature(case: Case, impl, inputs: dict, reference: dict, reference_dtypes: dict) -> dict | None:
    """Where a known mistake's outputs differ from the reference's, if the case catches it at all."""
    execution = run(case, impl, inputs)
    expected = as_expected(reference, reference_dtypes) if case.reference else {}
    if judged(case, execution, expected).status == "passed":
        return None
    known_by_how_it_ran = execution_signature(execution)
    if known_by_how_it_ran:
        return known_by_how_it_ran
    low_precision = any(
        v.dtype in (torch.float16, torch.bfloat16) for v in inputs.values() if isinstance(v, torch.Tensor)
    )
    # In float16 or bfloat16 the native run is the mistake (an overflow, say), not its float64 re-run.
    values = (
        execution.outputs if low_precision
        else stored_values(case, impl, inputs, execution.outputs) or execution.outputs
    )
    found = signature(values, reference, resemblance(case), dtypes(execution.outputs), reference_dtypes)
    if not (found["tensors"] or found["plain"]):
        # Right in float64: the mistake is a float32 overflow or underflow (log of a probability that is 0 in
        # float32, say), so its native run is what shows it.
        found = signature(execution.outputs, reference, resemblance(case), dtypes(execution.outputs), reference_dtypes)
    return found


def build(part: str, cases: list[Case], reference, mistakes: dict, salt: str = "") -> bytes:
    tensors, meta = {}, {}
    for case in cases:
        g = torch.Generator().manual_seed(zlib.crc32((salt + case.id).encode()))
        inputs = case.inputs(g) if case.inputs else {}
        tensors.update({f"{case.name}/in/{k}": v.clone().contiguous() for k, v in inputs.items()})
        execution = run(case, reference, inputs)
        values = stored_values(case, reference, inputs, execution.outputs) if execution.ran else None
        if values is None:
            sys.exit(f"the reference fails {case.id}: {execution.status or 'in float64'}: {execution.message}")
        native_dtypes = dtypes(execution.outputs)
        if case.reference:
            for name, value in values.items():
                key = f"{case.name}/out/{name}"
                if isinstance(value, torch.Tensor):
                    tensors[key] = value.detach().clone().contiguous()
                    meta[key] = {"dtype": dtype_str(native_dtypes[name])}
                else:
                    meta[key] = {"value": value}
        for mistake_id, impl in mistakes.items() if case.signatures else ():
            found = mistake_signature(case, impl, inputs, values, native_dtypes)
            if found:
                meta[f"{case.name}/mistake/{mistake_id}"] = found
    # One metadata entry: safetensors writes a map of several in no fixed order.
    return save(tensors, metadata={"outputs": json.dumps(meta, sort_keys=True)})


def known_mistakes() -> dict[str, dict]:
    """part -> {mistake id: the reference with that mistake applied}, for the catalogued mistakes."""
    from selftests.helpers import patched
    from selftests.variants import MISTAKES

    by_part: dict[str, dict] = defaultdict(dict)
    for variant in MISTAKES:
        if variant.name in MISTAKES_BY_ID:
            by_part[variant.part][variant.name] = patched(variant.name, variant.replaces)
    return by_part


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.make_fixtures", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="regenerate in memory and report files that would change; write nothing")
    parser.add_argument(
        "--salt", default="", metavar="TEXT",
        help="mix TEXT into every seed: the same checks on inputs nobody has seen (hidden tests; "
        "write them elsewhere with GRADER_FIXTURES=DIR)",
    )
    args = parser.parse_args(argv)

    torch.set_num_threads(1)  # float64 sums in one order, so the bytes do not depend on the machine's cores
    reference, mistakes = load("solutions"), known_mistakes()
    by_part: dict[str, list[Case]] = defaultdict(list)
    for case in CASES:
        by_part[case.part].append(case)

    FIXTURES_DIR.mkdir(parents=True, exist_ok=True)
    manifest, changed = {}, []
    for part, cases in by_part.items():
        name = f"{part}.safetensors"
        data = build(part, cases, reference, mistakes.get(part, {}), args.salt)
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
    print(
        f"wrote {len(manifest)} fixture files ({total / 1024:.0f} KiB) to {FIXTURES_DIR.name}/; "
        f"changed: {', '.join(changed) or 'none'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
