"""From case results to points: each part's points shared by case weight, prerequisites applied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .case import Result
from .parts import PARTS, Part


@dataclass
class PartScore:
    part: Part
    results: list[Result]

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.results), 4)

    @property
    def max_score(self) -> float:
        return round(sum(r.max_score for r in self.results), 4)

    @property
    def passed(self) -> bool:
        return all(r.status == "passed" for r in self.results)


def blockers(part: Part, passes: Callable[[str], bool | None]) -> tuple[str, ...]:
    """The prerequisites of `part` that do not pass (passes() gives None for ones not graded)."""
    return tuple(req for req in part.requires if passes(req) is False)


def blocked_message(blocked_by: tuple[str, ...], message: str) -> str:
    names = " and ".join(blocked_by)
    return f"blocked by {names}: this part uses {names}, which does not pass yet; fix that first. ({message})"


def tally(results: list[Result]) -> list[PartScore]:
    """Group results by part (in PARTS order), give each case its points, mark blocked cases."""
    scores = []
    for part in PARTS:
        mine = [r for r in results if r.case.part == part.name]
        if not mine:
            continue
        total_weight = sum(r.case.weight for r in mine)
        for r in mine:
            r.max_score = round(part.points * r.case.weight / total_weight, 4)
            r.score = r.max_score if r.status == "passed" else 0.0
        scores.append(PartScore(part, mine))
    graded = {s.part.name: s.passed for s in scores}
    for s in scores:
        blocked_by = blockers(s.part, graded.get)
        for r in s.results:
            if blocked_by and r.status in ("failed", "error") and not r.whole_package:
                r.blocked_by, r.status, r.message = blocked_by, "failed", blocked_message(blocked_by, r.message)
    return scores
