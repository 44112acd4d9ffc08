"""From case results to points: each part's points shared by case weight, prerequisites applied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from course.parts import PARTS, PARTS_BY_NAME, Part

from .case import Result
from .hints import confirm


@dataclass
class PartScore:
    part: Part
    results: list[Result]

    @property
    def max_score(self) -> float:
        return float(self.part.points)

    @property
    def score(self) -> float:
        total = sum(r.case.weight for r in self.results)
        return round(self.part.points * sum(r.case.weight for r in self.results if r.status == "passed") / total, 4)

    @property
    def passed(self) -> bool:
        return all(r.status == "passed" for r in self.results)


def blame(result: Result, passes: Callable[[str], bool | None]) -> None:
    """Name the failing prerequisites of a case that did not pass, in PARTS order (passes() gives None for a
    part not graded).

    A prerequisite blocks the case only with evidence: its own code raised, or the case ran it (the public
    names in `result.called`). Without evidence it is only a possible cause, shown after the case's own message.
    The case's status is never changed.
    """
    part = PARTS_BY_NAME[result.case.part]
    if result.status == "passed" or result.whole_package or result.builtins:  # a forbidden built-in is its own cause
        return
    failing = [PARTS_BY_NAME[req] for req in part.requires if passes(req) is False]
    used = set(result.called) | {result.raised_in}
    result.blocked_by = tuple(p.name for p in PARTS if p in failing and used & set(p.names))
    result.possible_causes = tuple(p.name for p in PARTS if p in failing and p.name not in result.blocked_by)


def tally(results: list[Result]) -> list[PartScore]:
    """Group results by part (in PARTS order), give each case its points, name what blocks a failing case."""
    scores = [PartScore(part, [r for r in results if r.case.part == part.name]) for part in PARTS]
    scores = [s for s in scores if s.results]
    for s in scores:
        confirm(s.results)
    graded = {s.part.name: s.passed for s in scores}
    for s in scores:
        total = sum(r.case.weight for r in s.results)
        for r in s.results:
            blame(r, graded.get)
            r.max_score = round(s.part.points * r.case.weight / total, 4)
            r.score = r.max_score if r.status == "passed" else 0.0
    return scores
