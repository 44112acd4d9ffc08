"""Hints that name the mistake (grader/mistakes/): every catalogued mistake has its wrong
implementation beside it, loses points in its own part, and the grader names it for at least
90% of them."""

from importlib import import_module

import pytest

from course.parts import PARTS_BY_NAME
from grader.mistakes import CATALOGUE, MISTAKES_BY_ID

from .helpers import grade_in_process, lost_points, patched
from .variants import MISTAKES, PART_FILES
from .variants.registry import WRONG_BY_ID

NAMED_AT_LEAST = 0.9


@pytest.fixture(scope="module")
def graded():
    """mistake id -> (lost points in its part, the hint ids its part's results carry)."""
    outcome = {}
    for variant in MISTAKES:
        parts = grade_in_process(patched(variant.name, variant.replaces), [variant.part])
        hints = {h for r in parts[variant.part].results for h in r.hints}
        outcome[variant.name] = (variant.part in lost_points(parts), hints)
    return outcome


def written_in(module: str, name: str) -> bool:
    return getattr(getattr(import_module(module), name, None), "__module__", None) == module


def test_every_catalogued_mistake_has_its_wrong_implementation_beside_it():
    """An entry of grader/mistakes/<file>.py has its wrong implementation in selftests/variants/<file>.py,
    and its part's public names are written in solutions/<file>.py: the same part file on each side."""
    catalogued = {m.id: file for file in PART_FILES for m in import_module(f"grader.mistakes.{file}").MISTAKES}
    assert set(catalogued) == set(MISTAKES_BY_ID), "grader/mistakes/__init__.py should assemble every part file"
    assert set(WRONG_BY_ID) == set(catalogued), (
        f"catalogued without a wrong implementation: {sorted(set(catalogued) - set(WRONG_BY_ID))}; "
        f"registered but not catalogued: {sorted(set(WRONG_BY_ID) - set(catalogued))}"
    )
    misplaced = {i: v.module for i, v in WRONG_BY_ID.items() if v.module != f"selftests.variants.{catalogued[i]}"}
    assert not misplaced, f"register each in selftests/variants/ under its catalogue file's name: {misplaced}"
    elsewhere = {i: file for i, file in catalogued.items() if not all(
        written_in(f"solutions.{file}", name) for name in PARTS_BY_NAME[MISTAKES_BY_ID[i].part].names)}
    assert not elsewhere, f"catalogued in another part file than the one solutions/ writes their part in: {elsewhere}"
    assert [v.name for v in MISTAKES] == [m.id for m in CATALOGUE]
    assert all(m.part in PARTS_BY_NAME for m in CATALOGUE)
    assert len(CATALOGUE) >= 25


def test_mistakes_lose_points_and_are_named(graded, capsys):
    lose = [i for i, (lost, _) in graded.items() if lost]
    named = [i for i, (_, hints) in graded.items() if i in hints]
    with capsys.disabled():
        print(f"\nknown mistakes: {len(lose)}/{len(graded)} lose points in their part ({len(lose) / len(graded):.0%}), "
              f"{len(named)}/{len(graded)} are named by the hint ({len(named) / len(graded):.0%})")
    assert set(lose) == set(graded), f"these lose no points: {sorted(set(graded) - set(lose))}"
    assert len(named) >= NAMED_AT_LEAST * len(graded), f"not named: {sorted(set(graded) - set(named))}"


def test_a_hint_names_only_mistakes_of_that_part(graded):
    for mistake_id, (_, hints) in graded.items():
        assert all(MISTAKES_BY_ID[h].part == MISTAKES_BY_ID[mistake_id].part for h in hints)


def test_the_catalogue_computes_its_figures_as_the_code_does():
    """The figures the catalogue's prose computes from the cases (grader/mistakes/) agree with what the
    reference and the wrong implementations give on those cases."""
    from grader.cases.language_model import COUNTED, parameter_breakdown
    from grader.mistakes import training, transformer
    from solutions import TransformerConfig, TransformerLM, cosine_lr_schedule, count_parameters

    def wrong(mistake_id):
        return next(iter(WRONG_BY_ID[mistake_id].replaces.values()))

    for name, (preset, settings) in COUNTED.items():  # the grader's own breakdown, the catalogue's and the model's
        config = TransformerConfig.preset(preset, **settings)
        model_parameters = sum(p.numel() for p in TransformerLM(config, device="meta").parameters())
        assert parameter_breakdown(preset, settings)[0] == transformer.counted(name) == model_parameters, name
    seed_gpt, llama = (TransformerConfig.preset(p, **s) for p, s in (COUNTED["seed_gpt"], COUNTED["llama"]))
    assert transformer.SEED_PARAMETERS == count_parameters(seed_gpt)
    assert transformer.LLAMA_PARAMETERS == count_parameters(llama)
    assert transformer.SEED_WITHOUT_BIASES == wrong("count_parameters_forgets_biases")(seed_gpt)
    assert transformer.SEED_WITHOUT_FINAL_NORM == wrong("count_parameters_forgets_final_norm")(seed_gpt)
    assert transformer.LLAMA_WITH_ROPE_TABLES == wrong("count_parameters_counts_rope_buffers")(llama)
    assert transformer.LLAMA_SWIGLU_AS_TWO == wrong("count_parameters_swiglu_two_matrices")(llama)

    def close(x):  # the prose prints 6 significant digits
        return pytest.approx(x, rel=1e-9)

    schedule = (training.LR_MAX, training.LR_MIN, training.WARMUP, training.COSINE)
    after_warmup, after_decay = training.WARMUP + 1, training.COSINE + 1
    assert training.LR_MAX / training.WARMUP == close(wrong("cosine_warmup_off_by_one")(0, *schedule))
    assert training.cosine(after_warmup) == close(cosine_lr_schedule(after_warmup, *schedule))
    progress_over_cosine_iters = wrong("cosine_progress_over_cosine_iters")(after_warmup, *schedule)
    assert training.cosine(after_warmup, decay_length=training.COSINE) == close(progress_over_cosine_iters)
    assert training.cosine(after_decay) == close(wrong("cosine_never_flat")(after_decay, *schedule))
    assert training.LR_MIN == close(cosine_lr_schedule(after_decay, *schedule))
