"""course.tracebacks.call_chain: the learner's own calls that led to an exception, outermost first."""

import textwrap

import pytest

from course.packages import load
from course.tracebacks import call_chain, innermost_frame

# A package whose Outer.forward reaches Inner.rotate two calls deep, through torch's nn.Module.__call__.
LAYERS = """
    import torch


    class Inner(torch.nn.Module):
        def forward(self, x):
            return self.rotate(x)  # CALL 2

        def rotate(self, x):
            raise ValueError("positions need a head dimension")  # RAISE


    class Outer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = Inner()

        def forward(self, x):
            return self.inner(x)  # CALL 1
"""


@pytest.fixture(scope="module")
def raised(tmp_path_factory):
    """(the package, the ValueError it raised, the line numbers of its markers in layers.py)."""
    package = tmp_path_factory.mktemp("chain") / "chain_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .layers import Outer\n")
    source = textwrap.dedent(LAYERS)
    (package / "layers.py").write_text(source)
    lines = {marker: n for n, line in enumerate(source.splitlines(), 1) for marker in ("CALL 1", "CALL 2", "RAISE")
             if line.endswith(f"# {marker}")}
    impl = load(str(package))
    with pytest.raises(ValueError) as caught:
        impl.Outer()(None)  # called from here, outside the package
    return impl, caught.value, lines


def test_the_chain_names_the_learner_s_own_frames_outermost_first(raised):
    impl, exc, line = raised
    assert call_chain(exc, impl) == (f"Outer.forward (layers.py:{line['CALL 1']}) -> Inner.forward (layers.py:"
                                     f"{line['CALL 2']}) -> Inner.rotate (layers.py:{line['RAISE']})")


def test_the_chain_keeps_the_innermost_frames_and_says_when_it_left_some_out(raised):
    impl, exc, line = raised
    assert call_chain(exc, impl, limit=2) == (f"... -> Inner.forward (layers.py:{line['CALL 2']}) -> Inner.rotate "
                                              f"(layers.py:{line['RAISE']})")


def test_the_chain_ends_where_innermost_frame_points(raised):
    impl, exc, _ = raised
    _, tb = innermost_frame(exc, impl)
    assert call_chain(exc, impl).endswith(f"{tb.tb_frame.f_code.co_qualname} (layers.py:{tb.tb_lineno})")


def test_an_exception_outside_the_package_has_no_chain(raised):
    impl, _, _ = raised
    with pytest.raises(ZeroDivisionError) as caught:
        1 / 0
    assert call_chain(caught.value, impl) == ""
