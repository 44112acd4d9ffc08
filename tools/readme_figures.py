"""The figures the README states, each computed from the code that owns it, so that the README never drifts.

In README.md a figure stands between `<!-- gen:NAME -->` and `<!-- /gen -->` (inline, or a whole block of
lines); `python -m tools.make_docs` rewrites what stands there and `--check` fails when it differs. Figures a
benchmark measures stand between `<!-- bench:NAME -->` and `<!-- /bench -->`, and `python -m tools.benchmark
--readme` writes those (they are measurements of a machine, so CI cannot check them, only that they are there).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Callable

from course.parts import PARTS

MARKED = re.compile(r"<!-- (?P<owner>gen|bench):(?P<name>[a-z0-9-]+) -->(?P<body>.*?)<!-- /(?P=owner) -->", re.S)


def fill(text: str, owner: str, figures: dict[str, Callable[[], str]]) -> tuple[str, list[str]]:
    """`text` with every figure of `owner` rewritten; also the names it marks that no figure renders."""
    unknown: list[str] = []

    def render(match: re.Match) -> str:
        if match["owner"] != owner:
            return match[0]
        if match["name"] not in figures:
            unknown.append(match["name"])
            return match[0]
        body = figures[match["name"]]()
        if "\n" in match["body"]:  # a block: its own lines between the markers
            body = "\n" + body.strip("\n") + "\n"
        return f"<!-- {owner}:{match['name']} -->{body}<!-- /{owner} -->"

    return MARKED.sub(render, text), unknown


def unmarked(text: str) -> str:
    """The README as a reader sees it: every marker gone, the figures kept."""
    return MARKED.sub(lambda m: m["body"], text)


# -- the figures ----------------------------------------------------------------------------------
def total_points() -> str:
    return f"{sum(p.points for p in PARTS):g}"


def points_table() -> str:
    rows = ["| part | what the learner writes | points | builds on |", "| --- | --- | --- | --- |"]
    for p in PARTS:
        names = ", ".join(f"`{n}`" for n in p.names) or "(their model and optimizer, trained end to end)"
        rows.append(f"| `{p.name}` | {p.title}: {names} | {p.points:g} | {', '.join(p.requires) or ''} |")
    rows.append(f"| **total** | | **{total_points()}** | |")
    return "\n".join(rows)


def json_example() -> str:
    total = total_points()
    return "\n".join([
        "```json",
        f'{{"score": {float(total)}, "max_score": {float(total)},',
        ' "parts": [{"name": "linear", "score": 1.0, "max_score": 1.0,',
        '            "cases": [{"name": "forward", "status": "passed", "score": 0.25, "max_score": 0.25,',
        '                       "message": "", "hints": [], "blocked_by": []}]}]}',
        "```",
    ])


def mistakes() -> str:
    from grader.mistakes import CATALOGUE

    return str(len(CATALOGUE))


@cache
def mistake_figures() -> tuple[int, int, int]:
    """(mistakes, how many lose points in their own part, how many the hint names): graded in this process."""
    from selftests.helpers import grade_in_process, lost_points, patched
    from selftests.variants import MISTAKES

    lose = named = 0
    for variant in MISTAKES:
        parts = grade_in_process(patched(variant.name, variant.replaces), [variant.part])
        lose += variant.part in lost_points(parts)
        named += any(variant.name in r.hints for r in parts[variant.part].results)
    return len(MISTAKES), lose, named


def folders_in(place: str) -> str:
    from course import REPO_ROOT

    return str(sum(1 for p in (REPO_ROOT / place).iterdir() if (p / "__init__.py").exists()))


def case_limits() -> tuple[str, str]:
    from grader.case import Case
    from grader.cases import CASES_BY_ID

    default = Case.__dataclass_fields__["timeout"].default
    return f"{default:g}", f"{CASES_BY_ID['training/validation_loss_falls'].timeout:g}"


def worker_limits() -> str:
    from grader.worker.limits import Limits
    from grader.worker.wire import MAX_MESSAGE_BYTES

    limits = Limits()
    return (f"memory {limits.memory_gb:g} GB (`--memory-limit`), CPU time {limits.cpu_seconds} s, "
            f"{limits.open_files} open files, {limits.processes} processes and threads, files of "
            f"{limits.file_size_mb} MB, {MAX_MESSAGE_BYTES >> 20} MB of outputs per case")


def seed_gpt() -> str:
    from grader.cases.language_model import SEED_GPT, SEED_GPT_PARAMETERS

    s = SEED_GPT
    return (f"with vocabulary {s['vocab_size']}, context {s['context_length']}, d_model {s['d_model']}, "
            f"{s['num_heads']} heads, {s['num_layers']} layers and d_ff {s['d_ff']} it has exactly "
            f"{SEED_GPT_PARAMETERS:,} parameters")


def corpus(figure: str) -> Callable[[], str]:
    def render() -> str:
        from trainer.corpus import ORDER, MarkovSource
        from trainer.loop import Settings

        source, context = MarkovSource(), Settings().context_length
        return {
            "order": str(ORDER),
            "entropy-rate": f"{source.entropy_rate:.3f}",
            "window-floor": f"{source.window_floor(context):.3f}",
            "context": str(context),
        }[figure]

    return render


def training(figure: str) -> Callable[[], str]:
    def render() -> str:
        from trainer.loop import Settings
        from trainer.progress import PLAIN_EVERY_SECONDS, RUNNING_MEAN
        from trainer.runs import Reporting

        return {
            "eval-interval": str(Reporting().eval_interval),
            "running-mean": str(RUNNING_MEAN),
            "plain-every": f"{PLAIN_EVERY_SECONDS:g}",
            "max-iters": str(Settings().max_iters),
        }[figure]

    return render


def worker_sizes(figure: str) -> Callable[[], str]:
    def render() -> str:
        from grader.worker.process import LOG_TAIL, WORKER_THREADS
        from grader.worker.sandbox import HOME_SIZE, SHM_SIZE

        def size(text: str) -> str:  # "512m" -> "512 MB"
            return f"{text[:-1]} {text[-1].upper()}B"

        return {"log-tail": f"{LOG_TAIL >> 10} KB", "home-size": size(HOME_SIZE), "shm-size": size(SHM_SIZE),
                "worker-threads": str(WORKER_THREADS)}[figure]

    return render


FIGURES: dict[str, Callable[[], str]] = {
    "total-points": total_points,
    "points-table": points_table,
    "json-example": json_example,
    "mistakes": mistakes,
    "mistakes-lose": lambda: "{1} of {0}".format(*mistake_figures()),
    "mistakes-named": lambda: "{2} of {0}".format(*mistake_figures()),
    "corpus": lambda: folders_in("selftests/impls"),
    "hostile": lambda: folders_in("selftests/hostile"),
    "case-limit": lambda: case_limits()[0],
    "training-limit": lambda: case_limits()[1],
    "worker-limits": worker_limits,
    "seed-gpt": seed_gpt,
    **{name: worker_sizes(name) for name in ("log-tail", "home-size", "shm-size", "worker-threads")},
    **{f"corpus-{name}": corpus(name) for name in ("order", "entropy-rate", "window-floor", "context")},
    **{f"train-{name}": training(name) for name in ("eval-interval", "running-mean", "plain-every", "max-iters")},
}
