"""What grade.py shows: a table of parts (and the cases of any part not fully passed), then the
messages of what went wrong; and the JSON and Gradescope reports. Every list of parts is in PARTS order."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from course.from_scratch import short
from course.parts import PARTS

from .builtin_source import SourceFinding
from .case import Result
from .mistakes import MISTAKES_BY_ID, lead
from .scoring import PartScore

LABEL = {"passed": "passed", "failed": "failed", "not_implemented": "not implemented", "error": "error",
         "timeout": "timed out"}
STYLE = {"passed": "green", "failed": "red", "not_implemented": "dim", "error": "red", "timeout": "yellow"}
ORDER = {part.name: i for i, part in enumerate(PARTS)}


def points(x: float) -> str:
    return f"{round(x, 2):g}"


def listed(names) -> str:
    """'a', 'a and b', 'a, b and c'."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def explained(result: Result, label: str = "", hint: bool = True) -> str:
    """The message as shown: the hint first, then what blocks the case, `label` (e.g. "error: ") and what the
    check said, then the prerequisites that may be the cause."""
    lines = [lead(result.hints) if hint else ""]
    if result.blocked_by:
        names, verb = listed(result.blocked_by), "does" if len(result.blocked_by) == 1 else "do"
        lines.append(f"blocked by {names}: this case ran your {names}, which {verb} not pass yet; fix that first.")
    lines.append(label + result.message)
    if result.possible_causes:
        names = listed(result.possible_causes)
        lines.append(f"({names} does not pass yet either: if this part uses it, start there.)" if len(
            result.possible_causes) == 1 else f"({names} do not pass yet either: if this part uses them, start there.)")
    return "\n".join(filter(None, lines))


def part_status(ps: PartScore) -> tuple[str, str]:
    statuses = [r.status for r in ps.results]
    for only in ("passed", "not_implemented"):
        if all(s == only for s in statuses):
            return LABEL[only], STYLE[only]
    blocked = sorted({b for r in ps.results for b in r.blocked_by}, key=ORDER.get)
    if blocked:
        return "blocked by " + ", ".join(blocked), "yellow"
    passed = statuses.count("passed")
    return f"{passed} of {len(statuses)} cases passed", "yellow" if passed else "red"


def case_status(result: Result) -> tuple[str, str]:
    label = LABEL[result.status]
    if result.builtins:
        return f"{label}: uses " + listed(sorted({short(u.builtin) for u in result.builtins})), STYLE[result.status]
    if result.blocked_by:
        return f"{label}, blocked by " + ", ".join(result.blocked_by), "yellow"
    if result.hints:
        names = "; or ".join(MISTAKES_BY_ID[i].name.rstrip(".") for i in result.hints)
        return f"{label}: known mistake: {names}", STYLE[result.status]
    return label, STYLE[result.status]


def totals(parts: list[PartScore]) -> tuple[float, float]:
    return round(sum(p.score for p in parts), 4), round(sum(p.max_score for p in parts), 4)


def render(parts: list[PartScore], impl: str, console: Console) -> None:
    table = Table(title=f"grade.py --impl {escape(impl)}", title_justify="left")
    table.add_column("Part")
    table.add_column("Points", justify="right")
    table.add_column("Status")
    results = [r for ps in parts for r in ps.results]
    package_failed = bool(results) and all(r.whole_package for r in results)
    problems = []
    for ps in parts:
        label, style = part_status(ps)
        score = f"{points(ps.score)} / {points(ps.max_score)}"
        table.add_row(f"[bold]{ps.part.name}[/]", score, f"[{style}]{escape(label)}[/]")
        if ps.passed or package_failed or all(r.status == "not_implemented" for r in ps.results):
            continue
        for r in ps.results:
            label, style = case_status(r)
            table.add_row(
                f"  {r.case.name}", f"[dim]{points(r.score)} / {points(r.max_score)}[/]", f"[{style}]{escape(label)}[/]"
            )
            if r.status != "passed":
                problems.append(r)
    score, max_score = totals(parts)
    table.add_section()
    table.add_row("[bold]total[/]", f"[bold]{points(score)} / {points(max_score)}[/]", "")
    console.print(table)
    if package_failed:
        console.print(f"\n[bold]Your package could not be graded[/]: {escape(results[0].message)}")
    elif problems:
        console.print("\n[bold]What went wrong[/] (run `uv run pytest -k test_<part>` to work on one part):")
        shown: set[tuple[str, tuple[str, ...]]] = set()
        for r in problems:
            label, style = case_status(r)
            first = (r.case.part, r.hints) not in shown  # a part's hint is shown once, at its first case
            shown.add((r.case.part, r.hints))
            text = explained(r, hint=first) + ("" if first or not r.hints else "\n(the same known mistake as above)")
            console.print(f"[bold]{r.case.id}[/] [{style}]{escape(label)}[/]")
            console.print("  " + escape(text).replace("\n", "\n  "), highlight=False)
    if results and all(r.status == "not_implemented" for r in results):
        console.print(
            "\nNothing is implemented yet. Start with Linear in assignment/, then `uv run pytest -k test_linear`."
        )


def render_source(findings: list[SourceFinding], console: Console) -> None:
    """The forbidden built-ins written in the learner's source (grade.py --forbid-builtins), each marked with
    whether a case ran it (and failed) or not (a warning: no point is lost for code that never runs)."""
    if not findings:
        console.print("\n[bold]From scratch[/]: none of the built-ins this course forbids appears in your source.")
        return
    console.print("\n[bold]From scratch[/]: torch's built-ins this course forbids, found in your source "
                  "(a case that runs one fails; one that never runs costs nothing, but remove it):")
    for f in findings:
        who = f"{f.use.name} {f.use.how}" if f.use.name else f.use.how
        state = "[red]ran: its cases fail[/]" if f.ran else "[yellow]did not run in any case[/]"
        console.print(f"  {escape(f.use.where)}: {escape(who)} {escape(short(f.use.builtin))} "
                      f"(not allowed in {escape(listed(f.parts))}) {state}", highlight=False)


def source_json(findings: list[SourceFinding]) -> list[dict[str, Any]]:
    return [{"where": f.use.where, "in": f.use.name, "how": f.use.how, "builtin": f.use.builtin,
             "parts": list(f.parts), "ran": f.ran} for f in findings]


def as_json(parts: list[PartScore], source: list[SourceFinding] | None = None) -> dict[str, Any]:
    """The JSON report; with `source` (the "from scratch" policy is on), each case also lists the forbidden
    built-ins that failed it, and the report those found in the source."""
    report = _as_json(parts)
    if source is not None:
        report["builtins_in_source"] = source_json(source)
        for part_json, ps in zip(report["parts"], parts):
            for case_json, r in zip(part_json["cases"], ps.results):
                case_json["builtins"] = [{"in": u.name, "how": u.how, "builtin": u.builtin, "where": u.where}
                                         for u in r.builtins]
    return report


def _as_json(parts: list[PartScore]) -> dict[str, Any]:
    score, max_score = totals(parts)
    return {
        "score": score,
        "max_score": max_score,
        "parts": [
            {
                "name": ps.part.name,
                "score": ps.score,
                "max_score": ps.max_score,
                "cases": [
                    {
                        "name": r.case.name, "status": r.status, "score": r.score, "max_score": r.max_score,
                        "message": explained(r),
                        "hints": [{"id": i, "mistake": MISTAKES_BY_ID[i].name} for i in r.hints],
                        "blocked_by": list(r.blocked_by),
                    }
                    for r in ps.results
                ],
            }
            for ps in parts
        ],
    }


def as_gradescope(parts: list[PartScore]) -> dict[str, Any]:
    """Gradescope's results.json: one test per case, status passed or failed."""
    score, max_score = totals(parts)
    tests = []
    for ps in parts:
        for r in ps.results:
            tests.append({
                "name": f"{ps.part.name}: {r.case.name}",
                "score": r.score,
                "max_score": r.max_score,
                "status": "passed" if r.status == "passed" else "failed",
                "output": "" if r.status == "passed" else explained(r, f"{LABEL[r.status]}: "),
            })
    return {"score": score, "output": f"{points(score)} / {points(max_score)} points", "tests": tests}
