"""For the top-level scripts (grade.py, train.py): run their command line, inside the
project's environment when this Python lacks its packages.

Imports nothing beyond the standard library until the environment is right, so a bare system
Python can run it.
"""

import argparse
import importlib
import importlib.util
import os
import shutil
import sys


def rerun_under_uv_if_needed(script: str) -> None:
    """Without torch here, exec `uv run python <script> <same arguments>` (once); without uv, exit with advice."""
    if importlib.util.find_spec("torch") is not None:
        return
    name = os.path.basename(script)
    flag = name.upper().replace(".", "_") + "_UNDER_UV"  # GRADE_PY_UNDER_UV: stops a second re-run
    uv = shutil.which("uv")
    if uv and not os.environ.get(flag):
        os.environ[flag] = "1"
        here = os.path.dirname(os.path.abspath(script))
        os.execv(uv, [uv, "run", "--project", here, "python", os.path.abspath(script), *sys.argv[1:]])
    sys.exit(
        f"{name} needs the project's packages (torch, ...). "
        f"Install uv (`pip install uv`), then run `uv run python {name}`."
    )


def run_script(script: str, cli: str) -> None:
    """Run `cli`'s main() for `script` and exit with its status."""
    rerun_under_uv_if_needed(script)
    status = importlib.import_module(cli).main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # skips the interpreter's slow teardown of torch; everything is written


def number(convert, minimum, *, inclusive: bool = True):
    """An argparse type: a number of at least (or, with inclusive=False, above) `minimum`."""
    kind = "an integer" if convert is int else "a number"
    bound = f"{'at least' if inclusive else 'above'} {minimum}"

    def checked(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not (value >= minimum if inclusive else value > minimum):
            raise argparse.ArgumentTypeError(f"expected {kind} {bound}, got {text!r}")
        return value

    return checked


positive = number(float, 0, inclusive=False)  # grade.py's and pytest's --timeout, --memory-limit
