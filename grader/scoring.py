"""From case results to points: each part's points shared by case weight, prerequisites applied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from course.parts import PARTS, PARTS_BY_NAME, Part

from .case import Result


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


def mark_blocked(result: Result, passes: Callable[[str], bool | None]) -> None:
    """Blame a failing prerequisite rather than this case, when one is to blame.

    A case is blocked when it did not pass, a part it builds on does not pass (passes() gives
    None for a part not graded), and the trouble is not its own stub being unimplemented
    (a prerequisite's stub is: then it stays not_implemented, with the blocking part named).
    """
    part = PARTS_BY_NAME[result.case.part]
    if result.status == "passed" or result.whole_package or not part.requires:
        return
    if result.status == "not_implemented" and (result.raised_in is None or result.raised_in in part.names):
        return
    blocked_by = tuple(req for req in part.requires if passes(req) is False)
    if blocked_by:
        names = blocked_by[0] if len(blocked_by) == 1 else ", ".join(blocked_by[:-1]) + " and " + blocked_by[-1]
        verb = "does" if len(blocked_by) == 1 else "do"
        result.blocked_by = blocked_by
        if result.status != "not_implemented":  # an unfinished prerequisite stays "not implemented"
            result.status = "failed"
        result.message = f"blocked by {names}: this part uses {names}, which {verb} not pass yet; fix that first. ({result.message})"


def tally(results: list[Result]) -> list[PartScore]:
    """Group results by part (in PARTS order), give each case its points, mark blocked cases."""
    scores = [PartScore(part, [r for r in results if r.case.part == part.name]) for part in PARTS]
    scores = [s for s in scores if s.results]
    graded = {s.part.name: s.passed for s in scores}
    for s in scores:
        total = sum(r.case.weight for r in s.results)
        for r in s.results:
            mark_blocked(r, graded.get)
            r.max_score = round(s.part.points * r.case.weight / total, 4)
            r.score = r.max_score if r.status == "passed" else 0.0
    return scores
