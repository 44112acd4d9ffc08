""""From scratch", enforced: which of torch's built-ins each part's own code may not use, when the policy is on.

RULES is the one table. Per part: the built-ins that would do the part's job for the learner (dotted names, as
they are imported: torch.nn.functional.softmax, torch.Tensor.softmax, torch.nn.Linear), what to write instead,
and the aten kernels that only those built-ins reach (run-time detection's second net, for a built-in reached by
a way the first does not see). A part may not use the built-ins of the parts it builds on either (`requires`
in parts.py): MultiHeadSelfAttention must use the learner's own Linear and scaled_dot_product_attention, not
nn.Linear or F.scaled_dot_product_attention.

Allowed everywhere: the tensor operations the parts are written from (matmul, einsum, exp, log, sqrt, rsqrt,
erf, tanh, sigmoid, logsumexp, norms, topk, multinomial, ...), nn.Parameter and nn.init, torch.optim.Optimizer
as a base class, torch.save and torch.load.

The policy is off unless switched on: `grade.py --forbid-builtins` (or `pytest --forbid-builtins`), or
`forbid_builtins = true` in grading.toml at the repository root (the handout and the Gradescope bundle write
it); `--allow-builtins` overrides the file. grader/builtin_calls.py detects the built-ins a case ran,
grader/builtin_source.py those written in the source. Imports nothing but the standard library.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import REPO_ROOT
from .parts import PARTS, PARTS_BY_NAME

SETTING_FILE = "grading.toml"


@dataclass(frozen=True)
class Rule:
    builtins: tuple[str, ...]  # dotted names of the functions, methods and classes the part may not use
    advice: str  # what to write instead, ending the message: "write it from exp, max and sum"
    kernels: tuple[str, ...] = ()  # aten kernels only those built-ins reach ("aten._softmax"; a trailing * matches
    # any name it begins)


SOFTMAX_FAMILY = (
    "torch.softmax", "torch.nn.functional.softmax", "torch.Tensor.softmax", "torch.special.softmax", "torch._softmax",
    "torch.log_softmax", "torch.nn.functional.log_softmax", "torch.Tensor.log_softmax", "torch.special.log_softmax",
    "torch._log_softmax", "torch.nn.functional.softmin", "torch.nn.Softmax", "torch.nn.LogSoftmax", "torch.nn.Softmin",
)
SOFTMAX_KERNELS = ("aten._softmax", "aten._log_softmax", "aten._safe_softmax")

RULES: dict[str, Rule] = {
    "linear": Rule(("torch.nn.Linear", "torch.nn.LazyLinear", "torch.nn.functional.linear"),
                   "write it as a matrix product with the transposed weight (x @ W.T, or einsum)"),
    "embedding": Rule(("torch.nn.Embedding", "torch.nn.functional.embedding", "torch.embedding"),
                      "index the weight with the token ids", ("aten.embedding",)),
    "rmsnorm": Rule(("torch.nn.RMSNorm", "torch.nn.functional.rms_norm", "torch.rms_norm"),
                    "write it from the mean of the squares and a square root", ("aten._fused_rms_norm",)),
    "silu": Rule(("torch.nn.SiLU", "torch.nn.functional.silu"), "write it as x * sigmoid(x)",
                 ("aten.silu", "aten.silu_")),
    "swiglu": Rule((), "build it from your own Linear and silu"),
    "softmax": Rule(SOFTMAX_FAMILY, "write it from exp, max and sum", SOFTMAX_KERNELS),
    "attention": Rule(
        ("torch.nn.functional.scaled_dot_product_attention",),
        "write it from a matrix product of queries and keys, your softmax and the mask",
        ("aten._scaled_dot_product_*", "aten._flash_attention_forward", "aten._efficient_attention_forward"),
    ),
    "cross_entropy": Rule(
        SOFTMAX_FAMILY + ("torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss",
                          "torch.nn.CrossEntropyLoss", "torch.nn.NLLLoss"),
        "write it from the log-sum-exp of the logits (less their max) and the target's logit",
        SOFTMAX_KERNELS + ("aten.nll_loss_forward", "aten.nll_loss2d_forward"),
    ),
    "layernorm": Rule(
        ("torch.nn.LayerNorm", "torch.nn.functional.layer_norm", "torch.layer_norm", "torch.native_layer_norm",
         "torch.nn.GroupNorm", "torch.nn.functional.group_norm", "torch.group_norm"),
        "write it from the mean and the variance over the last dimension",
        ("aten.native_layer_norm", "aten.native_group_norm"),
    ),
    "gelu": Rule(("torch.nn.GELU", "torch.nn.functional.gelu"), "write it from erf: 0.5 x (1 + erf(x / sqrt(2)))",
                 ("aten.gelu", "aten.gelu_")),
    "rope": Rule((), "rotate the pairs with your own cos and sin tables"),
    "multihead_attention": Rule(("torch.nn.MultiheadAttention", "torch.nn.functional.multi_head_attention_forward"),
                                "build it from your own Linear, RoPE and scaled_dot_product_attention"),
    "transformer_block": Rule(("torch.nn.TransformerEncoderLayer", "torch.nn.TransformerDecoderLayer"),
                              "build it from your own attention, norms and feed-forward"),
    "transformer_lm": Rule(("torch.nn.Transformer", "torch.nn.TransformerEncoder", "torch.nn.TransformerDecoder"),
                           "build it from your own blocks, embeddings and cross_entropy"),
    "adamw": Rule(
        ("torch.optim.AdamW", "torch.optim.Adam", "torch.optim.adamw.adamw", "torch.optim.adam.adam",
         "torch._fused_adamw_", "torch._fused_adam_"),
        "write the update yourself: the two moments, their bias correction and the decoupled weight decay",
        ("aten._fused_adamw_", "aten._fused_adam_"),
    ),
    "cosine_lr_schedule": Rule(
        ("torch.optim.lr_scheduler.CosineAnnealingLR", "torch.optim.lr_scheduler.CosineAnnealingWarmRestarts",
         "torch.optim.lr_scheduler.OneCycleLR"),
        "compute the warm-up and the cosine yourself with math.cos"),
    "clip_grad_norm": Rule(
        ("torch.nn.utils.clip_grad_norm_", "torch.nn.utils.clip_grad_norm", "torch.nn.utils.clip_grads_with_norm_",
         "torch.nn.utils.get_total_norm"),
        "compute the total norm of all the gradients yourself and scale each gradient in place"),
}

ALL_BUILTINS: frozenset[str] = frozenset(name for rule in RULES.values() for name in rule.builtins)


@dataclass(frozen=True)
class BuiltinUse:
    """A forbidden built-in the learner's code used: seen while a case ran, or written in the source."""

    name: str  # the learner's public name whose code used it ("softmax"), or the enclosing definition's name
    builtin: str  # its dotted name ("torch.softmax"), or an aten kernel ("aten._softmax")
    where: str = ""  # the learner's line: "building_blocks.py:201"
    how: str = "calls"  # one of HOW: "is built on" for a subclass whose inherited code ran; "imports" or "uses"
    # in the source


HOW = ("calls", "is built on", "imports", "uses")


def forbidden_in(part: str) -> dict[str, str]:
    """Built-in (dotted name or kernel) -> the part whose rule forbids it: the part's own first, then those of
    the parts it builds on, directly or not."""
    found: dict[str, str] = {}
    seen, queue = set(), [part]
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        rule = RULES.get(name)
        for builtin in (rule.builtins + rule.kernels) if rule else ():
            found.setdefault(builtin, name)
        queue.extend(p.name for p in PARTS if p.name in PARTS_BY_NAME[name].requires)
    return found


def forbids(part: str, builtin: str) -> str | None:
    """The part whose rule forbids `builtin` in `part`'s code (kernel prefixes included), or None."""
    table = forbidden_in(part)
    if builtin in table:
        return table[builtin]
    prefixes = ((name[:-1], origin) for name, origin in table.items() if name.endswith("*"))
    return next((origin for prefix, origin in prefixes if builtin.startswith(prefix)), None)


def listed_by(builtin: str) -> tuple[str, ...]:
    """The parts whose own rule names `builtin` (a kernel by its name or prefix)."""
    def names(rule: Rule) -> bool:
        return builtin in rule.builtins or any(builtin == k or (k.endswith("*") and builtin.startswith(k[:-1]))
                                               for k in rule.kernels)
    return tuple(part for part, rule in RULES.items() if names(rule))


def short(builtin: str) -> str:
    """The name as a learner writes it: F.softmax, nn.Linear, Tensor.softmax, torch.optim.AdamW."""
    if builtin.startswith("aten."):
        return f"torch's kernel {builtin}"
    aliases = (("torch.nn.functional.", "F."), ("torch.Tensor.", "Tensor."), ("torch.nn.utils.", "torch.nn.utils."),
               ("torch.nn.", "nn."))
    for prefix, alias in aliases:
        if builtin.startswith(prefix):
            return alias + builtin[len(prefix):]
    return builtin


def advice(part: str, origin: str) -> str:
    """What to write instead of a built-in that `origin`'s rule forbids in `part`."""
    if origin == part:
        return RULES[part].advice
    names = PARTS_BY_NAME[origin].names
    return "use your own " + (" and ".join(names) if len(names) <= 2 else ", ".join(names))


def explain(part: str, uses: list[BuiltinUse] | tuple[BuiltinUse, ...], limit: int = 2) -> str:
    """One line for a case that used forbidden built-ins, one clause per built-in and name:
    'your softmax calls torch.softmax (building_blocks.py:201); write it from exp, max and sum'."""
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for use in uses:
        grouped.setdefault((use.name, use.how, use.builtin), []).append(use.where)
    said = []
    for (name, how, builtin), places in list(grouped.items())[:limit]:
        lines = [w for w in places if w]
        files = {w.rsplit(":", 1)[0] for w in lines}
        if len(files) == 1:  # building_blocks.py:201, 205
            lines = [lines[0]] + [w.rsplit(":", 1)[1] for w in lines[1:]]
        where = ", ".join(lines)
        origin = forbids(part, builtin) or part
        said.append(f"your {name} {how} {short(builtin)}{f' ({where})' if lines else ''}; {advice(part, origin)}")
    more = len(grouped) - limit
    return "; ".join(said) + (f" (and {more} more)" if more > 0 else "")


class SettingError(Exception):
    """grading.toml cannot be read, or its forbid_builtins is not true or false."""


def setting_in_file(root: Path = REPO_ROOT) -> bool:
    """`forbid_builtins` in grading.toml at `root` (false without the file or the key)."""
    path = root / SETTING_FILE
    if not path.is_file():
        return False
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingError(f"{SETTING_FILE} is not valid TOML: {exc}") from None
    value = data.get("forbid_builtins", False)
    if not isinstance(value, bool):
        raise SettingError(f"{SETTING_FILE}: forbid_builtins must be true or false, not {value!r}")
    return value


def policy_on(flag: bool | None, root: Path = REPO_ROOT) -> bool:
    """Whether the policy applies: the command line's choice (--forbid-builtins, --allow-builtins), else the file's."""
    return setting_in_file(root) if flag is None else flag
