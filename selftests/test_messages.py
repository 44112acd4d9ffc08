"""What a learner reads: mismatch reports, wrong return types, unimplemented stubs."""

import subprocess
import sys

import pytest
import torch

from course.parts import PARTS
from grader.case import CaseFailed
from grader.cases import CASES_BY_ID
from grader.checks import Expected, Tol, expect_close
from grader.in_process import run_case
from grader.mistakes import MISTAKES_BY_ID

from .helpers import ROOT, SOLUTIONS, patched
from .variants.registry import VALID_BY_NAME, WRONG_BY_ID

TOL = Tol(rtol=1e-5, atol=1e-6)


def message_of(actual, expected):
    with pytest.raises(CaseFailed) as info:
        expect_close("y", actual, Expected(expected, torch.float32), TOL)
    return str(info.value)


def test_a_mismatch_reports_shape_and_dtype_then_errors_worst_element_share_and_nans():
    expected = torch.zeros(2, 3, dtype=torch.float64)
    actual = torch.zeros(2, 3)
    actual[1, 2] = 0.5
    actual[0, 0] = float("nan")
    lines = message_of(actual, expected).splitlines()
    assert "shape (2, 3) and dtype float32" in lines[1]
    assert "max abs error" in lines[2] and "max rel error" in lines[2]
    assert "worst element" in lines[3] and ("y[0, 0]" in lines[3] or "y[1, 2]" in lines[3])
    assert "2 of 6 elements (33.3%)" in lines[4]
    assert "1 NaN" in lines[5]


@pytest.mark.parametrize(
    "actual, says",
    [
        (torch.zeros(3, 2), "has shape (3, 2) but should have shape (2, 3)"),
        (torch.zeros(2, 3, dtype=torch.float64), "has dtype float64 but should be float32"),
        (None, "is None"),
        ([[0.0] * 3] * 2, "should be a torch.Tensor, but it is a list"),
    ],
)
def test_wrong_shape_dtype_or_type_is_named_first(actual, says):
    assert says in message_of(actual, torch.zeros(2, 3, dtype=torch.float64))


class NotATensorAtAll:
    pass


@pytest.mark.parametrize(
    "softmax, says",
    [
        (lambda x, dim: None, "`output` is None"),
        (lambda x, dim: x.tolist(), "should be a torch.Tensor, but it is a list"),
        (lambda x, dim: NotATensorAtAll(), "it is a NotATensorAtAll"),
        (lambda x, dim: torch.softmax(x, dim).double(), "dtype float64 but should be float32"),
        (lambda x, dim: torch.softmax(x, dim)[..., :5], "should have shape"),
        (lambda x, dim: torch.softmax(x, dim).detach().numpy(), "it is a ndarray"),
    ],
)
def test_a_wrong_return_is_a_failure_with_a_message_not_a_crash(softmax, says):
    result = run_case(CASES_BY_ID["softmax/last_dim"], patched("wrong_return", {"softmax": softmax}))
    assert result.status == "failed" and says in result.message, result.message


def test_a_missing_public_name_is_named():
    impl = patched("no_silu", {})
    del impl.silu
    result = run_case(CASES_BY_ID["silu/forward"], impl)
    assert result.status == "failed" and "does not export `silu`" in result.message


def test_a_detached_output_says_why_no_gradient_flows():
    result = run_case(
        CASES_BY_ID["silu/backward"], patched("detached", {"silu": lambda x: (x * torch.sigmoid(x)).detach()})
    )
    assert result.status == "failed" and "no grad_fn" in result.message


@pytest.mark.parametrize(
    "mistake_id, case_id, says",
    [
        ("lm_blocks_in_plain_list", "transformer_lm/state_dict",
         ["(llama).layers is a plain Python list", "nn.ModuleList"]),
        ("lm_blocks_in_plain_list", "transformer_lm/forward_gpt", ["plain Python list", "nn.ModuleList"]),
        ("mhsa_positions_without_head_dim", "multihead_attention/rope_positions",
         ["MultiHeadSelfAttention passes token_positions", "unsqueeze(-2)"]),
        ("count_parameters_swiglu_two_matrices", "transformer_lm/count_parameters",
         ['gave 5,616 for TransformerConfig.preset("llama", vocab_size=29', "has 6,896 parameters",
          "token_embeddings 29 x 16 = 464", "ffn (SwiGLU) 3 x 16 x 40 = 1,920", "lm_head 16 x 29 = 464"]),
        ("linear_init_clamped", "linear/init", ["exactly at ±3 std", "clamped", "trunc_normal_"]),
        ("lm_head_uninitialised", "transformer_lm/initialised",
         ["lm_head.weight", "every value equal to 0", "torch.empty"]),
    ],
)
def test_a_check_names_what_is_wrong_and_the_fix(mistake_id, case_id, says):
    """The message itself, before any hint, says what is wrong and what to do."""
    variant = WRONG_BY_ID[mistake_id]
    result = run_case(CASES_BY_ID[case_id], patched(mistake_id, variant.replaces))
    message = result.message.removeprefix(f"Hint: {MISTAKES_BY_ID[mistake_id].hint}")
    assert result.status == "failed" and all(s in message for s in says), result.message


def test_positions_without_a_head_dim_are_named_whatever_the_rope():
    """The diagnosis runs the learner's own RoPE, so it holds for another RoPE's error text too."""
    replaces = {**WRONG_BY_ID["mhsa_positions_without_head_dim"].replaces,
                **VALID_BY_NAME["rope_complex"].replaces}
    result = run_case(CASES_BY_ID["multihead_attention/rope_positions"], patched("complex_rope", replaces))
    assert result.status == "failed" and "unsqueeze(-2)" in result.message, result.message


def run_pytest(*args):
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def test_an_unimplemented_stub_reads_as_one_line_in_pytest(pristine_stubs):
    proc = run_pytest("-k", "test_linear", f"--impl={pristine_stubs}")
    assert proc.returncode == 1
    assert "not implemented yet: Linear.__init__ is not implemented yet" in proc.stdout
    assert "Traceback" not in proc.stdout and "raise NotImplementedError" not in proc.stdout


@pytest.mark.parametrize("selector", [["-k", "test_attention"], ["-m", "attention"]])
def test_one_part_can_be_selected_by_name_or_marker(selector):
    proc = run_pytest(*selector, "--impl", "solutions")
    assert proc.returncode == 0, proc.stdout
    assert "5 passed" in proc.stdout and "deselected" in proc.stdout


def test_a_plain_pytest_run_collects_only_the_graded_tests():
    proc = run_pytest("--collect-only", "-q")
    collected = [line for line in proc.stdout.splitlines() if "::" in line]
    assert collected and all(line.startswith("tests/") for line in collected)


def test_every_part_has_its_own_test_name():
    proc = run_pytest("--collect-only", "-q")
    for part in PARTS:
        assert f"::{part.test_name}[" in proc.stdout, part.test_name


def test_every_public_name_belongs_to_exactly_one_part():
    provided = {"TransformerConfig", "PRESETS"}  # written for the learner, not graded on its own
    owned = [name for part in PARTS for name in part.names]
    assert len(owned) == len(set(owned))
    public = set(SOLUTIONS.__all__) - provided
    assert public == set(owned), public ^ set(owned)
