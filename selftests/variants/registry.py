"""How a variant registers: at its definition, by id, so there is no ordered list to keep in step.

    @wrong("linear_weight_transposed", replaces="Linear")  # a known mistake: its id in grader/mistakes/
    class _LinearWeightTransposed(_Linear): ...

    @valid("linear_matmul", "forward as x @ W.T instead of einsum", replaces="Linear")
    class _LinearMatmul(_Linear): ...

A variant that replaces several names at once, or whose replacement is an instance, registers
with a call right below its definition instead:

    register_wrong("checkpoint_load_returns_none", save_checkpoint=_save_checkpoint, load_checkpoint=_load_...)
    register_wrong("generate_no_crop", generate=_GenerateNoCrop())

A wrong implementation registers in the selftests/variants/ module named as its catalogue entry's
module (selftests/test_hints.py checks it); each remembers the module that registered it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from grader.mistakes import MISTAKES_BY_ID


@dataclass(frozen=True)
class Variant:
    name: str  # short snake_case id, e.g. "linear_matmul"; a mistake's is its catalogue id
    part: str | None  # for a mistake: the part that must lose points; None for a valid variant
    description: str  # one sentence: what this variant does
    replaces: dict[str, object] = field(default_factory=dict)  # public name -> replacement object
    module: str = ""  # the module that registered it, e.g. "selftests.variants.building_blocks"


VALID_BY_NAME: dict[str, Variant] = {}  # in the order of registration
WRONG_BY_ID: dict[str, Variant] = {}


def _caller() -> str:
    """The module that called the function calling this one: where the variant is defined."""
    return sys._getframe(2).f_globals["__name__"]


def _add(registry: dict[str, Variant], variant: Variant) -> None:
    if variant.name in VALID_BY_NAME or variant.name in WRONG_BY_ID:
        raise ValueError(f"the variant {variant.name!r} is registered twice")
    registry[variant.name] = variant


def _add_wrong(mistake_id: str, replaces: dict[str, object], module: str) -> None:
    """A known mistake: its part and its description are its entry in the catalogue (grader/mistakes/)."""
    mistake = MISTAKES_BY_ID.get(mistake_id)
    if mistake is None:
        raise ValueError(f"{mistake_id!r} is not in the catalogue: add its entry to grader/mistakes/ first")
    _add(WRONG_BY_ID, Variant(mistake_id, mistake.part, mistake.name, replaces, module))


def register_wrong(mistake_id: str, **replaces: object) -> None:
    """The wrong implementation of a catalogued mistake, for one or more public names."""
    _add_wrong(mistake_id, replaces, _caller())


def register_valid(name: str, description: str, **replaces: object) -> None:
    """A different but correct way to write one or more public names: it must score full marks."""
    _add(VALID_BY_NAME, Variant(name, None, description, replaces, _caller()))


def wrong(mistake_id: str, replaces: str):
    """Decorator: the class or function is the catalogued mistake's wrong implementation of `replaces`."""
    module = _caller()

    def register(obj):
        _add_wrong(mistake_id, {replaces: obj}, module)
        return obj

    return register


def valid(name: str, description: str, replaces: str):
    """Decorator: the class or function is a correct alternative implementation of `replaces`."""
    module = _caller()

    def register(obj):
        _add(VALID_BY_NAME, Variant(name, None, description, {replaces: obj}, module))
        return obj

    return register
