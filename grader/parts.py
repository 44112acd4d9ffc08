"""The parts of the assignment, in learning order. Points live here and nowhere else.

A part's points are shared among its cases by each case's weight. A part that builds on
others names them in `requires`: when it fails while one of those is not yet passing, the
report says "blocked by <part>" instead of blaming it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    name: str  # used for `-k test_<name>`, `-m <name>`, `--part <name>` and in the JSON report
    title: str
    points: float
    requires: tuple[str, ...] = ()

    @property
    def test_name(self) -> str:
        return f"test_{self.name}"


PARTS: list[Part] = [
    # Part 1: the building blocks
    Part("linear", "Linear layer", 1),
    Part("embedding", "Embedding", 1),
    Part("rmsnorm", "RMSNorm", 1),
    Part("silu", "SiLU", 1),
    Part("swiglu", "SwiGLU feed-forward", 2, requires=("linear", "silu")),
    Part("softmax", "Softmax", 1),
    Part("attention", "Scaled dot-product attention", 5, requires=("softmax",)),
    Part("cross_entropy", "Cross-entropy loss", 1),
]

PARTS_BY_NAME: dict[str, Part] = {part.name: part for part in PARTS}
