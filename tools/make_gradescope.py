"""Write a Gradescope autograder bundle: `uv run python -m tools.make_gradescope OUT.zip --salt SECRET`.

The zip holds, at its root, Gradescope's `setup.sh` (installs uv, Python and the locked environment) and
`run_autograder` (grades a submission with tools/gradescope_autograder.py), with what grading needs and
nothing more: grade.py, course/, grader/, trainer/, the stubs (assignment/), pyproject.toml and uv.lock,
grading.toml (forbid_builtins on), the public fixtures (fixtures/) and hidden ones (fixtures-hidden/: the
same checks on inputs generated here from SECRET), and gradescope.json (how hidden results are shown and
weighted). Never solutions/, and never the salt. The leak check of tools/make_handout runs over every file.

Each submission is graded on both sets of fixtures: the public cases are visible at once; the cases on
hidden inputs are shown as --hidden-visibility says (default after_due_date) and carry --hidden-share of
the points (default 1: the grade is decided on inputs no student has seen; the public run is feedback).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

from course import REPO_ROOT as ROOT
from tools import make_handout

TAKEN = ("assignment", "course", "grader", "trainer", "fixtures", "grade.py", "pyproject.toml", "uv.lock",
         "grading.toml")  # from the handout: what grading needs
RUNNER = ("tools/__init__.py", "tools/gradescope_autograder.py")
TEMPLATES = ROOT / "tools" / "gradescope"
EXECUTABLE = ("setup.sh", "run_autograder")
HIDDEN = "fixtures-hidden"
VISIBILITIES = ("after_due_date", "after_published", "hidden", "visible")  # Gradescope's, for a test
UV_VERSION = "0.13.9"  # installed by setup.sh when this machine has no uv to ask
SHORTEST_SALT = 8
README = """\
# Gradescope autograder bundle

Written by `tools/make_gradescope.py`. Upload this zip as the assignment's autograder on Gradescope
(Configure Autograder, Zip file upload, the Ubuntu base image). It holds hidden fixtures: keep it away
from students.

- `setup.sh` installs uv, Python {python} and the locked environment (torch {torch}{torch_from});
  `run_autograder` grades each submission with grade.py, twice: on the public fixtures and on the
  hidden ones.
- Cases on hidden inputs carry {share:.0%} of the points and are shown `{visibility}`; the public
  cases are visible at once and carry the rest.
- `grading.toml` turns `forbid_builtins` on.
"""


# -- the bundle's files --------------------------------------------------------------------------------------


def locked_versions() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {package["name"]: package.get("version", "") for package in lock.get("package", [])}


def cuda_only(versions: dict[str, str]) -> list[str]:
    """The packages uv.lock holds only for torch's CUDA build."""
    return sorted(name for name in versions if name.startswith(("nvidia-", "cuda-")) or name == "triton")


def uv_version() -> str:
    uv = shutil.which("uv")
    if uv:
        found = subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.split()
        if len(found) >= 2 and found[1][:1].isdigit():
            return found[1]
    return UV_VERSION


def setup_script(torch_index: str) -> str:
    versions = locked_versions()
    values = {"UV_VERSION": uv_version(), "PYTHON_VERSION": python_version(), "TORCH_INDEX": torch_index,
              "TORCH_VERSION": versions["torch"], "CUDA_ONLY": " ".join(cuda_only(versions))}
    text = (TEMPLATES / "setup.sh").read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"  # the Python the fixtures were made with


def hidden_fixtures(salt: str) -> dict[str, bytes]:
    """The fixtures on hidden inputs, made by tools.make_fixtures with the salt: path in the bundle -> bytes."""
    with tempfile.TemporaryDirectory(prefix="hidden-fixtures-") as folder:
        proc = subprocess.run([sys.executable, "-m", "tools.make_fixtures", "--salt", salt], cwd=ROOT,
                              env={**os.environ, "GRADER_FIXTURES": folder}, capture_output=True, text=True)
        if proc.returncode != 0:
            failure = (proc.stderr or proc.stdout)[-2000:]
            raise make_handout.HandoutError(f"could not make the hidden fixtures: {failure}")
        return {f"{HIDDEN}/{p.name}": p.read_bytes() for p in sorted(Path(folder).iterdir()) if p.is_file()}


def bundle_files(salt: str, hidden_share: float, hidden_visibility: str, torch_index: str) -> dict[str, bytes]:
    """Every file of the bundle: path in the zip -> contents."""
    handout = make_handout.handout_files()
    files = {path: data for path, data in handout.items() if path.split("/")[0] in TAKEN}
    files.update({path: (ROOT / path).read_bytes() for path in RUNNER})
    files.update(hidden_fixtures(salt))
    settings = {"hidden_share": hidden_share, "hidden_visibility": hidden_visibility}
    files["gradescope.json"] = (json.dumps(settings, indent=2) + "\n").encode()
    files["setup.sh"] = setup_script(torch_index).encode()
    files["run_autograder"] = (TEMPLATES / "run_autograder").read_bytes()
    torch_from = f", its CPU build from {torch_index}" if torch_index else ", as uv.lock has it"
    files["README.md"] = README.format(python=python_version(), torch=locked_versions()["torch"],
                                       torch_from=torch_from, share=hidden_share,
                                       visibility=hidden_visibility).encode()
    return dict(sorted(files.items()))


def problems_with(files: dict[str, bytes], salt: str) -> list[str]:
    problems = make_handout.leaks(files)
    problems += [f"{path}: contains the salt" for path, data in files.items() if salt.encode() in data]
    problems += [f"{path}: solutions/ must never be in the bundle" for path in files if path.startswith("solutions/")]
    return problems


def write_zip(out: Path, files: dict[str, bytes]) -> None:
    """The zip, in one step, the same bytes for the same files: setup.sh and run_autograder executable."""
    temporary = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path, data in files.items():
            entry = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = (0o100755 if path in EXECUTABLE else 0o100644) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(entry, data)
    os.replace(temporary, out)


# -- the command line ----------------------------------------------------------------------------------------


def share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction from 0 to 1, got {text!r}")
    return value


def refusal(out: Path, salt: str, force: bool) -> str | None:
    if out.suffix != ".zip":
        return f"{out}: the bundle is a zip file: name it NAME.zip"
    if out.resolve().is_relative_to(ROOT):
        return f"{out} is inside this repository: write the bundle outside it (it holds the hidden fixtures)"
    if out.exists() and not force:
        return f"{out} exists: choose another name, or replace it with --force"
    if not out.resolve().parent.is_dir():
        return f"the folder {out.parent} does not exist"
    if len(salt) < SHORTEST_SALT:
        return f"--salt must be at least {SHORTEST_SALT} characters: a secret nobody can guess (32 random hex digits)"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.make_gradescope", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, metavar="OUT.zip", help="the bundle to write")
    parser.add_argument("--salt", required=True, metavar="SECRET",
                        help="the secret the hidden inputs are made from (never in the bundle; keep it to remake one)")
    parser.add_argument("--hidden-share", type=share, default=1.0, metavar="FRACTION",
                        help="the share of each case's points decided on hidden inputs (default 1; the rest on the "
                        "public inputs)")
    parser.add_argument("--hidden-visibility", choices=VISIBILITIES, default="after_due_date",
                        help="when students see the cases on hidden inputs (default after_due_date)")
    parser.add_argument("--torch-index", default="", metavar="URL",
                        help="install torch's CPU-only build from this package index instead of the locked one "
                        "(a smaller image and a faster setup)")
    parser.add_argument("--force", action="store_true", help="replace OUT.zip if it exists")
    args = parser.parse_args(argv)

    refused = refusal(args.out, args.salt, args.force)
    if refused:
        print(f"make_gradescope: {refused}", file=sys.stderr)
        return 1
    try:
        files = bundle_files(args.salt, args.hidden_share, args.hidden_visibility, args.torch_index)
    except make_handout.HandoutError as exc:
        print(f"make_gradescope: {exc}", file=sys.stderr)
        return 1
    problems = problems_with(files, args.salt)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print("make_gradescope: wrote nothing, so that no solution and no secret reaches students", file=sys.stderr)
        return 1
    write_zip(args.out, files)
    print(f"wrote {args.out} ({len(files)} files, {args.out.stat().st_size / 1e6:.1f} MB): hidden cases carry "
          f"{args.hidden_share:g} of the points, shown {args.hidden_visibility}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
