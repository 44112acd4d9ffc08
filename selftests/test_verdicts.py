"""Verdicts that are true and messages that help: what a learner reads in the situations where the grader used
to say something false or useless ("blocked by" without evidence, hints that do not fit, a judge that cannot
read an output, a time limit under load)."""

import subprocess
import sys

import pytest
import torch

from grader.cases import CASES_BY_ID
from grader.in_process import run_case
from grader.report import explained
from grader.scoring import tally
from selftests.variants.registry import WRONG_BY_ID

from .helpers import ROOT, SOLUTIONS, grade_in_process, grade_py, patched


def wrong(mistake_id: str) -> dict:
    return WRONG_BY_ID[mistake_id].replaces


def attention_results(impl) -> list:
    parts = grade_in_process(impl, ["softmax", "attention"])
    return parts["attention"].results


def test_a_failing_prerequisite_that_the_case_never_ran_is_only_a_possible_cause():
    """Attention with a mistake of its own, never calling the learner's broken softmax."""
    impl = patched("own_attention_mistake", {**wrong("softmax_ignores_dim"), **wrong("attention_scale_by_d_k")})
    failing = [r for r in attention_results(impl) if r.status != "passed"]
    assert failing and all(r.blocked_by == () and r.possible_causes == ("softmax",) for r in failing)
    message = explained(failing[0])
    assert not message.startswith("blocked by") and "(softmax does not pass yet either" in message


def learner_attention(impl):
    """An attention that, like a learner's, calls the package's own softmax."""

    def attention(q, k, v, mask=None):
        scores = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        return impl.softmax(scores, -1) @ v

    return attention


def test_a_prerequisite_the_case_ran_blocks_it_and_the_status_stays_its_own():
    def softmax_that_raises(x, dim):
        raise RuntimeError("softmax broke")

    impl = patched("blocked_attention", {"softmax": softmax_that_raises})
    impl.scaled_dot_product_attention = learner_attention(impl)
    results = attention_results(impl)
    assert all(r.blocked_by == ("softmax",) and r.status == "error" for r in results)  # an error stays an error
    assert explained(results[0]).startswith("blocked by softmax: this case ran your softmax")


def test_a_judge_that_cannot_read_an_output_says_what_was_expected():
    def clip_grad_norm(parameters, max_norm):
        norm = torch.sqrt(sum((p.grad ** 2).sum() for p in parameters if p.grad is not None))
        return norm, norm  # a tuple, not the norm

    impl = patched("tuple_norm", {"clip_grad_norm": clip_grad_norm})
    result = run_case(CASES_BY_ID["clip_grad_norm/above_max_norm"], impl)
    assert result.status == "failed" and "it returned a tuple" in result.message, result.message


def test_a_state_dict_mismatch_lists_the_missing_and_the_unexpected_names_sorted():
    class LayerNorm(SOLUTIONS.LayerNorm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.zeta, self.alpha = (torch.nn.Parameter(torch.zeros(1)) for _ in range(2))

    result = run_case(CASES_BY_ID["layernorm/parameters"], patched("extra_names", {"LayerNorm": LayerNorm}))
    assert result.status == "failed" and "unexpected alpha, zeta" in result.message, result.message


def hints_of(mistake_id: str, part: str) -> set[str]:
    parts = grade_in_process(patched(mistake_id, wrong(mistake_id)), [part])
    return {h for r in parts[part].results for h in r.hints}


def test_right_values_in_the_wrong_dtype_are_not_told_of_overflowed_zeros():
    assert hints_of("rmsnorm_returns_float32", "rmsnorm") == {"rmsnorm_returns_float32"}
    assert "rmsnorm_returns_float32" not in hints_of("rmsnorm_no_upcast", "rmsnorm")


def test_a_broadcasting_crash_in_top_k_gets_no_top_k_hint():
    def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None):
        if top_k is not None:
            torch.zeros(3) + torch.zeros(top_k + 1)  # a crash of another kind, where top-k is handled
        return SOLUTIONS.generate(model, idx, max_new_tokens, temperature, top_k, top_p)

    impl = patched("broadcasting_top_k", {"generate": generate})
    results = grade_in_process(impl, ["softmax", "generate"])["generate"]
    crashed = [r for r in results.results if r.status == "error"]
    assert crashed and all(r.hints == () for r in crashed)


def test_the_summed_loss_hint_states_no_one_case_s_numbers():
    parts = grade_in_process(patched("summed", wrong("cross_entropy_summed")), ["cross_entropy"])
    named = [r for r in parts["cross_entropy"].results if "cross_entropy_summed" in r.hints]
    assert {r.case.name for r in named} >= {"forward", "two_dims"}
    hint = explained(named[0]).split("\n")[0]
    assert "number of positions" in hint and "15" not in hint  # forward has 15 positions, two_dims 6


def test_rotate_half_rope_keeps_the_relative_position_property_and_fails_only_the_layout():
    parts = grade_in_process(patched("rotate_half", wrong("rope_split_halves")), ["rope"])
    status = {r.case.name: r.status for r in parts["rope"].results}
    assert status["relative_positions"] == "passed" and status["forward"] == "failed"


def test_positions_with_gaps_catch_an_attention_that_ignores_them():
    class MultiHeadSelfAttention(SOLUTIONS.MultiHeadSelfAttention):
        def forward(self, x, token_positions=None):
            return super().forward(x, None)  # always 0 .. T-1

    impl = patched("ignores_positions", {"MultiHeadSelfAttention": MultiHeadSelfAttention})
    assert run_case(CASES_BY_ID["multihead_attention/rope_positions"], impl).status == "failed"


def test_an_endless_loop_under_pytest_fails_within_its_limit_naming_the_learners_line(tmp_path):
    package = tmp_path / "looping"
    package.mkdir()
    source = (ROOT / "solutions" / "building_blocks.py").read_text()
    loop = "def silu(x):\n    while True:  # the endless loop\n        pass\n"
    (package / "__init__.py").write_text(
        "from .building_blocks import *  # noqa: F401,F403\nfrom .building_blocks import silu\n")
    (package / "building_blocks.py").write_text(source + "\n\n" + loop)
    line = len((source + "\n\n").splitlines()) + 2
    command = [sys.executable, "-m", "pytest", "-q", f"--impl={package}", "-k", "test_silu", "--timeout", "2"]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 1 and "2 failed" in proc.stdout
    stopped = "timed out: did not finish within 2 s of CPU time (an endless loop?); it was running silu"
    assert f"{stopped} (building_blocks.py:{line})" in " ".join(proc.stdout.split())


HOG = "import time\nend = time.monotonic() + 120\nwhile time.monotonic() < end:\n    pass\n"


def test_a_loaded_machine_does_not_time_out_correct_code():
    """Two busy processes take both cores while the end-to-end training runs under a tight CPU-time limit that
    it needs about a tenth of: its limit counts the CPU time it gets, not the time it waits for a core."""
    hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(2)]
    try:
        proc, report = grade_py("--impl", "solutions", "--part", "training", "--timeout", "15")
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert proc.returncode == 0, proc.stderr
    (part,) = report["parts"]
    assert part["score"] == part["max_score"], part


@pytest.mark.parametrize("flag", ["--part linear rmsnorm", "--part linear,rmsnorm", "--part linear --part rmsnorm"])
def test_several_parts_can_be_graded_at_once(flag):
    proc, report = grade_py("--impl", "solutions", *flag.split())
    assert proc.returncode == 0, proc.stderr
    assert [p["name"] for p in report["parts"]] == ["linear", "rmsnorm"]


def test_a_timeout_stays_a_timeout_whatever_fails_before_it():
    impl = patched("slow_with_l2", wrong("adamw_l2_regularisation"))
    training = run_case(CASES_BY_ID["training/validation_loss_falls"], impl, timeout=0.05)
    adamw = [run_case(case, impl) for case in CASES_BY_ID.values() if case.part == "adamw"]
    scores = {ps.part.name: ps for ps in tally([training, *adamw])}
    assert scores["adamw"].score < scores["adamw"].max_score
    assert scores["training"].results[0].status == "timeout"

