""""From scratch" enforced (course/from_scratch.py): with the policy on, an implementation on torch's built-ins
loses exactly the parts whose own code uses them, each failing case naming the call and its line; the
reference, every independently written implementation and every valid variant written without built-ins keep
full marks; run-time and source detection each catch what the other cannot; grading.toml switches it on."""

import re
import shutil
import subprocess
import sys

import pytest

from course.from_scratch import SettingError, forbidden_in, policy_on, short
from course.packages import load
from course.parts import PARTS, PARTS_BY_NAME
from grader.builtin_source import scan
from grader.case import Execution
from grader.values import GarbledReply, decode_execution, encode_execution

from .helpers import ROOT, grade_in_process, grade_py, lost_points, parts_using, patched
from .test_corpus import CORPUS
from .variants import VALID

TORCH_BUILTIN = ROOT / "selftests" / "impls" / "torch_builtin"

# part -> (public name, how, built-in as the message shows it, the line of torch_builtin's source that uses it)
EXPECTED = {
    "linear": [("Linear", "calls", "F.linear", "return F.linear(x, self.weight)")],
    "embedding": [("Embedding", "calls", "F.embedding", "return F.embedding(token_ids, self.weight)")],
    "rmsnorm": [("RMSNorm", "calls", "F.rms_norm", "y = F.rms_norm(")],
    "silu": [("silu", "calls", "F.silu", "return F.silu(x)")],
    "swiglu": [("SwiGLU", "calls", "F.silu", "return self.w2(F.silu(")],
    "softmax": [("softmax", "calls", "torch.softmax", "return torch.softmax(x, dim=dim)")],
    "attention": [("scaled_dot_product_attention", "calls", "F.scaled_dot_product_attention", "attn_mask=mask)")],
    "cross_entropy": [("cross_entropy", "calls", "F.cross_entropy", "return F.cross_entropy(")],
    "layernorm": [("LayerNorm", "calls", "F.layer_norm", "y = F.layer_norm(")],
    "gelu": [("gelu", "calls", "F.gelu", "return F.gelu(x)"),
             ("BiasedLinear", "calls", "F.linear", "return F.linear(x, self.weight, self.bias)"),
             ("GeluMLP", "calls", "F.gelu", "return self.w2(F.gelu(")],
    "multihead_attention": [("MultiHeadSelfAttention", "calls", "F.scaled_dot_product_attention", "is_causal=True)")],
    "transformer_lm": [("TransformerLM", "calls", "F.embedding", "x = F.embedding(idx"),
                       ("TransformerLM", "calls", "F.embedding", "x = x + F.embedding(positions"),
                       ("TransformerLM", "calls", "F.cross_entropy", "return logits, F.cross_entropy(")],
    "adamw": [("AdamW", "is built on", "torch.optim.AdamW", "class AdamW(torch.optim.AdamW):")],
    "clip_grad_norm": [("clip_grad_norm", "calls", "torch.nn.utils.clip_grad_norm_", "clip_grad_norm_(list(")],
    "generate": [("generate", "calls", "F.softmax", "probs = F.softmax(logits, dim=-1)")],
}

# The valid variants written on torch's built-ins. They exist to show the grader's tolerances accept other
# numerics (F.linear's, torch.softmax's, torch.optim.AdamW's), so selftests/test_variants.py grades them with the
# policy off; with it on, each loses its own part, and only that.
ON_BUILTINS = {
    "linear_functional", "embedding_functional", "attention_matmul_transpose", "attention_fill_large_negative",
    "attention_where", "layernorm_functional", "gelu_functional", "biased_linear_functional", "mhsa_fused_qkv",
    "mhsa_view_transpose", "mhsa_torch_sdpa", "lm_batched_positions", "adamw_torch_subclass",
    "generate_sorted_top_k", "generate_gumbel_max",
}
PART_OF_NAME = {name: part.name for part in PARTS for name in part.names}


def line_of(text: str) -> int:
    lines = (TORCH_BUILTIN / "__init__.py").read_text().splitlines()
    (number,) = [i for i, line in enumerate(lines, 1) if text in line]
    return number


def test_torch_builtin_loses_exactly_the_parts_whose_builtins_it_uses_naming_each_call_and_line():
    proc, report = grade_py("--impl", str(TORCH_BUILTIN), "--forbid-builtins")
    assert proc.returncode == 0, proc.stderr
    parts = {p["name"]: p for p in report["parts"]}
    assert {n for n, p in parts.items() if p["score"] < p["max_score"]} == set(EXPECTED)
    for name, expected in EXPECTED.items():
        wanted = {(who, how, builtin, f"__init__.py:{line_of(text)}") for who, how, builtin, text in expected}
        seen = set()
        for case in parts[name]["cases"]:
            if case["status"] == "passed":
                assert not case["builtins"]
                continue
            assert case["status"] == "failed" and case["builtins"], case
            for use in case["builtins"]:
                seen.add((use["in"], use["how"], short(use["builtin"]), use["where"]))
                assert f"your {use['in']} {use['how']} {short(use['builtin'])} (__init__.py:" in case["message"]
        assert seen == wanted, name
    assert "failed: uses F.linear" in " ".join(proc.stdout.split())
    source = {(f["in"], f["where"], f["ran"]) for f in report["builtins_in_source"]}
    ran = {(who, f"__init__.py:{line_of(text)}", True) for e in EXPECTED.values() for who, _, _, text in e}
    assert source == ran  # every use written in the source is one that ran, and the other way round


def test_a_part_is_failed_only_for_its_own_code():
    """torch_builtin's TransformerBlock runs F.layer_norm, F.linear, F.silu and F.scaled_dot_product_attention,
    all through its own modules: those parts pay for them, TransformerBlock keeps its points."""
    parts = grade_in_process(load(str(TORCH_BUILTIN)), ["transformer_block", "rope", "swiglu"], forbid_builtins=True)
    assert lost_points(parts) == {"swiglu"}
    assert {u.builtin for r in parts["swiglu"].results for u in r.builtins} == {"torch.nn.functional.silu"}


@pytest.mark.parametrize("name", ["solutions", *[n for n in CORPUS if n != "torch_builtin"]])
def test_the_reference_and_the_corpus_keep_full_marks_with_the_policy_on(name):
    # training has no public name of its own, so no call can be its: the end-to-end run is left out for speed
    assert PARTS_BY_NAME["training"].names == ()
    impl = load(name if name == "solutions" else str(ROOT / "selftests" / "impls" / name))
    parts = grade_in_process(impl, [p.name for p in PARTS if p.name != "training"], forbid_builtins=True)
    assert {r.case.id: r.message for ps in parts.values() for r in ps.results if r.status != "passed"} == {}
    folder = ROOT / name if name == "solutions" else ROOT / "selftests" / "impls" / name
    assert scan(folder) == []


@pytest.mark.parametrize("variant", VALID, ids=lambda v: v.name)
def test_a_valid_variant_keeps_full_marks_unless_written_on_builtins_then_loses_only_its_own_part(variant):
    affected = [p for p in parts_using(variant.replaces) if p != "training"]
    parts = grade_in_process(patched(variant.name, variant.replaces), affected, forbid_builtins=True)
    own = {PART_OF_NAME[name] for name in variant.replaces}
    assert lost_points(parts) == (own if variant.name in ON_BUILTINS else set())
    for ps in parts.values():
        assert all(r.builtins for r in ps.results if r.status != "passed"), variant.name


SHORTCUTS = '''\
"""The reference, with shortcuts each detection sees on its own."""
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.functional import gelu as _never_called

from . import reference  # a copy of solutions/: the sandboxed worker cannot see the real one
from .reference import *  # noqa: F401,F403

__all__ = reference.__all__


def softmax(x, dim):
    return getattr(F, "soft" + "max")(x, dim)  # a computed name: the source cannot tell


def cross_entropy(logits, targets):
    log_probs = getattr(torch.ops.aten, "_log_" + "softmax")(logits, -1, False)  # torch's kernel, reached directly
    return -log_probs.gather(-1, targets.long().unsqueeze(-1)).mean()


def silu(x):
    return list(map(F.silu, [x]))[0]  # called from C, by map


class Linear(nn.Linear):
    def __init__(self, in_features, out_features, device=None, dtype=None):
        super().__init__(in_features, out_features, bias=False, device=device, dtype=dtype)
        std = (2 / (in_features + out_features)) ** 0.5
        nn.init.trunc_normal_(self.weight, std=std, a=-3 * std, b=3 * std)
'''


@pytest.fixture(scope="module")
def shortcuts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shortcuts") / "shortcuts"
    folder.mkdir()
    (folder / "__init__.py").write_text(SHORTCUTS)
    shutil.copytree(ROOT / "solutions", folder / "reference", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def where(text: str) -> str:
    (number,) = [i for i, line in enumerate(SHORTCUTS.splitlines(), 1) if text in line]
    return f"__init__.py:{number}"


def test_at_run_time_what_the_source_cannot_show_is_caught(shortcuts):
    parts = grade_in_process(load(str(shortcuts)), ["linear", "silu", "softmax", "cross_entropy", "gelu"],
                             forbid_builtins=True)
    assert lost_points(parts) == {"linear", "silu", "softmax", "cross_entropy"}  # gelu's import never runs
    first = {name: next(r for r in ps.results if r.status != "passed") for name, ps in parts.items()
             if ps.score < ps.max_score}
    computed = where('"soft" + "max"')
    assert first["softmax"].message.startswith(f"your softmax calls F.softmax ({computed}); write it from exp")
    assert first["cross_entropy"].message.startswith(
        f"your cross_entropy calls torch's kernel aten._log_softmax ({where('_log_')})")
    assert first["silu"].message.startswith(f"your silu calls F.silu ({where('map(')})")
    assert first["linear"].message.startswith(f"your Linear is built on nn.Linear ({where('class Linear')})")
    assert all(r.status == "failed" for ps in parts.values() for r in ps.results if r.status != "passed")
    assert all(r.status == "passed" for r in grade_in_process(load(str(shortcuts)), ["softmax"])["softmax"].results)


def test_in_the_source_what_never_runs_is_a_warning(shortcuts):
    found = {(f.use.name, f.use.how, short(f.use.builtin), f.use.where) for f in scan(shortcuts)}
    assert found == {
        ("", "imports", "F.gelu", where("_never_called")),
        ("silu", "uses", "F.silu", where("map(")),
        ("Linear", "is built on", "nn.Linear", where("class Linear")),
    }  # nothing for softmax and cross_entropy: their names are computed
    proc, report = grade_py("--impl", str(shortcuts), "--part", "gelu", "--forbid-builtins")
    assert report["score"] == report["max_score"]
    assert [(f["where"], f["ran"]) for f in report["builtins_in_source"] if f["builtin"].endswith("gelu")] == [
        (where("_never_called"), False)]
    assert "did not run in any case" in " ".join(proc.stdout.split())


def test_pytest_takes_the_policy_too():
    command = [sys.executable, "-m", "pytest", "-q", f"--impl={TORCH_BUILTIN}", "-k", "test_softmax", "tests"]
    off = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    on = subprocess.run([*command, "--forbid-builtins"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert off.returncode == 0 and "4 passed" in off.stdout
    assert on.returncode == 1 and "4 failed" in on.stdout
    assert f"your softmax calls torch.softmax (__init__.py:{line_of('torch.softmax(')})" in on.stdout


def test_grading_toml_switches_the_policy_and_the_command_line_overrides_it(tmp_path):
    assert policy_on(None, tmp_path) is False  # no file: off, as in this repository
    (tmp_path / "grading.toml").write_text("# written by the handout\nforbid_builtins = true\n")
    assert policy_on(None, tmp_path) is True
    assert policy_on(False, tmp_path) is False and policy_on(True, tmp_path) is True
    (tmp_path / "grading.toml").write_text('forbid_builtins = "yes"\n')
    with pytest.raises(SettingError, match="true or false"):
        policy_on(None, tmp_path)
    (tmp_path / "grading.toml").write_text("forbid_builtins = \n")
    with pytest.raises(SettingError, match="not valid TOML"):
        policy_on(None, tmp_path)


def test_a_part_inherits_the_builtins_of_the_parts_it_builds_on():
    assert forbidden_in("multihead_attention")["torch.nn.functional.scaled_dot_product_attention"] == "attention"
    assert forbidden_in("attention")["torch.softmax"] == "softmax"
    assert "torch.softmax" not in forbidden_in("estimate_loss")  # estimate_loss builds on get_batch only
    assert all(re.fullmatch(r"torch\.[\w.]+|aten\.[\w.*]+", name) for p in PARTS for name in forbidden_in(p.name))


def test_the_uses_cross_the_process_boundary_and_garbled_ones_are_refused():
    from course.from_scratch import BuiltinUse

    execution = Execution(None, outputs={"y": 1}, builtins=(BuiltinUse("softmax", "torch.softmax", "a.py:3"),))
    assert decode_execution(*encode_execution(execution)).builtins == execution.builtins
    header, payload = encode_execution(execution)
    for garbled in (["softmax"], [["a", "b", "c", "flies"]], [[1, 2, 3, 4]], "x", [["a", "b", "c", "calls"]] * 40):
        with pytest.raises(GarbledReply):
            decode_execution({**header, "builtins": garbled}, payload)
    for forged in ({**header, "status": ["timeout"]}, {**header, "status": {}}, {**header, "called": [[]]}, ["x"]):
        with pytest.raises(GarbledReply):  # never a TypeError that would end grade.py
            decode_execution(forged, payload)
