"""A class's grades, from the submissions' JSON reports (batch.py): where the class struggles.

For `--csv grades.csv` it writes:
- grades.csv        one row per submission: name, total, max_score, the points of each part (PARTS order), note
                    (why it could not be graded; the parts it lost to forbidden built-ins; the cases that timed out)
- grades-cases.csv  one row per case: part, case, points, graded (submissions that produced a report),
                    the count of each status, forbidden_builtins (failed for a forbidden built-in), pass_rate
- grades.png        a histogram of the totals, and per part the share of submissions with full marks and the
                    mean share of its points
and prints the share of full marks per part and the hardest cases.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path
from typing import Any

from course.parts import PARTS, PARTS_BY_NAME

from .batch import Outcome

STATUSES = ("passed", "failed", "not_implemented", "error", "timeout")
FIRST_OF = {"linear": 1, "layernorm": 2, "tokenizer": 3}  # where each of the assignment's three files begins
COLORS = {1: "#55a868", 2: "#4c72b0", 3: "#dd8452"}


def part_number(name: str) -> int:
    """1, 2 or 3: the file of the assignment the part is in (building_blocks, transformer, training)."""
    number = 1
    for part in PARTS:
        number = FIRST_OF.get(part.name, number)
        if part.name == name:
            return number
    return 1


def write_all(grades: Path, outcomes: list[Outcome], forbid_builtins: bool) -> None:
    """The CSV of grades, the CSV of cases and the PNG; the pass rates count the submissions whose package
    could be imported (one that cannot says nothing about any case), the totals count every submission."""
    reports = [o.report for o in outcomes if o.report is not None]
    parts = [p.name for p in PARTS if any(part["name"] == p.name for r in reports for part in r["parts"])]
    parts = parts or [p.name for p in PARTS]
    rows = [grade_row(o, parts) for o in outcomes]
    imported = [r for r in reports if not import_failure(r)]
    cases = case_rows(imported)
    write_csv(grades, ["name", "total", "max_score", *parts, "note"], rows)
    cases_path = grades.with_name(grades.stem + "-cases.csv")
    write_csv(cases_path, list(cases[0]) if cases else ["part", "case"], cases)
    picture = grades.with_suffix(".png")
    rated = [row for row, o in zip(rows, outcomes) if o.report is not None and not import_failure(o.report)]
    plot(picture, rows, rated, parts)
    print(summary(rows, rated, parts, cases, forbid_builtins))
    print(f"wrote {grades}, {cases_path}, {picture} and the reports in {grades.stem}-reports/")


def grade_row(outcome: Outcome, parts: list[str]) -> dict[str, Any]:
    most = sum(PARTS_BY_NAME[p].points for p in parts)
    row: dict[str, Any] = {"name": outcome.submission.name, "total": 0, "max_score": most}
    row.update({p: 0 for p in parts})
    report = outcome.report
    if report is None:
        return {**row, "note": outcome.note}
    row.update({"total": report["score"], "max_score": report["max_score"]})
    row.update({part["name"]: part["score"] for part in report["parts"] if part["name"] in row})
    return {**row, "note": note(report)}


def import_failure(report: dict) -> str | None:
    """The message, when the package itself failed (every case an error, all with the same message)."""
    cases = [case for part in report["parts"] for case in part["cases"]]
    messages = {case["message"] for case in cases}
    if cases and all(case["status"] == "error" for case in cases) and len(messages) == 1:
        return messages.pop()
    return None


def note(report: dict) -> str:
    """What an instructor should know about a graded submission, beyond its points."""
    failure = import_failure(report)
    if failure:
        return "could not be graded: " + failure[:200]
    cases = [(part["name"], case) for part in report["parts"] for case in part["cases"]]
    said = []
    forbidden = sorted({part for part, case in cases if case.get("builtins")}, key=[p.name for p in PARTS].index)
    if forbidden:
        said.append("uses torch's built-ins in " + ", ".join(forbidden))
    stopped = [f"{part}/{case['name']}" for part, case in cases if case["status"] == "timeout"]
    if stopped:
        said.append("timed out in " + ", ".join(stopped[:3]) + (" ..." if len(stopped) > 3 else ""))
    return "; ".join(said)


def case_rows(reports: list[dict]) -> list[dict[str, Any]]:
    """One row per case, in the order of the reports: how many submissions got each status."""
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for report in reports:
        for part in report["parts"]:
            for case in part["cases"]:
                row = table.setdefault((part["name"], case["name"]), {
                    "part": part["name"], "case": case["name"], "points": case["max_score"], "graded": 0,
                    **{s: 0 for s in STATUSES}, "forbidden_builtins": 0})
                row["graded"] += 1
                row[case["status"]] = row.get(case["status"], 0) + 1
                row["forbidden_builtins"] += bool(case.get("builtins"))
    for row in table.values():
        row["pass_rate"] = round(row["passed"] / row["graded"], 3)
    order = [p.name for p in PARTS]
    return sorted(table.values(), key=lambda r: order.index(r["part"]) if r["part"] in order else len(order))


def write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    partial = path.with_name(path.name + ".part")
    with open(partial, "w", newline="") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows({k: (f"{v:g}" if isinstance(v, float) else v) for k, v in row.items()} for row in rows)
    partial.replace(path)


def part_rates(rows: list[dict[str, Any]], parts: list[str]) -> dict[str, tuple[float, float]]:
    """Part -> (share of submissions with its full points, mean share of its points), over every row."""
    rates = {}
    for name in parts:
        most = PARTS_BY_NAME[name].points
        full = sum(1 for r in rows if r[name] >= most - 1e-9)
        rates[name] = (full / len(rows), sum(r[name] for r in rows) / most / len(rows)) if rows else (0.0, 0.0)
    return rates


def summary(rows: list[dict[str, Any]], rated: list[dict[str, Any]], parts: list[str], cases: list[dict[str, Any]],
            forbid_builtins: bool) -> str:
    if not rows:
        return "no submissions."
    totals = sorted(r["total"] for r in rows)
    most = rows[0]["max_score"]
    lines = [f"{len(rows)} submissions: median {round(statistics.median(totals), 2):g} / {most:g}, "
             f"lowest {totals[0]:g}, highest {totals[-1]:g}" + (" (from scratch)" if forbid_builtins else "")]
    if rated:
        lines.append(f"full marks per part, of the {len(rated)} whose package could be imported: " + ", ".join(
            f"{name} {full:.0%}" for name, (full, _) in part_rates(rated, parts).items()))
    hardest = sorted((c for c in cases if c["pass_rate"] < 1), key=lambda c: c["pass_rate"])[:5]
    if hardest:
        lines.append("hardest cases: " + ", ".join(f"{c['part']}/{c['case']} {c['pass_rate']:.0%}" for c in hardest))
    return "\n".join(lines)


def plot(path: Path, rows: list[dict[str, Any]], rated: list[dict[str, Any]], parts: list[str]) -> None:
    """The totals of `rows` as a histogram; per part, over `rated`, the share of full marks (bar) and the mean
    share of points (dot)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    most = rows[0]["max_score"] if rows else sum(PARTS_BY_NAME[p].points for p in parts)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 0.25 * len(parts) + 2.5), width_ratios=(1, 1.15))
    totals = [r["total"] for r in rows]
    bins = [most * i / 22 for i in range(23)]
    left.hist(totals, bins=bins, color="#4c72b0", edgecolor="white")
    if totals:
        median = statistics.median(totals)
        left.axvline(median, color="#c44e52", linestyle="--", label=f"median {round(median, 2):g}")
        left.legend(loc="upper left")
    left.set_xlim(0, most)
    left.set_xlabel(f"total points (of {most:g})")
    left.set_ylabel("submissions")
    left.set_title(f"Totals of {len(rows)} submissions")
    left.yaxis.get_major_locator().set_params(integer=True)

    rates = part_rates(rated, parts)
    colors = [COLORS[part_number(n)] for n in parts]
    y = range(len(parts))
    right.barh(y, [rates[n][0] * 100 for n in parts], color=colors, alpha=0.85)
    right.scatter([rates[n][1] * 100 for n in parts], y, color="black", s=14, zorder=3)
    for i, name in enumerate(parts):
        right.text(max(rates[name]) * 100 + 2, i, f"{rates[name][0]:.0%}", va="center", fontsize=8)
    right.set_yticks(list(y), [f"{n} ({PARTS_BY_NAME[n].points:g})" for n in parts], fontsize=8)
    right.invert_yaxis()
    right.set_xlim(0, 112)
    right.set_xticks(range(0, 101, 20))
    right.set_xlabel("bar: % of submissions with the part's full marks; dot: mean % of its points\n"
                     "(green: Part 1, blue: Part 2, orange: Part 3)")
    right.set_title(f"Where the class struggles: each part ({len(rated)} submissions that import)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
