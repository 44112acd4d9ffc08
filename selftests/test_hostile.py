"""Hostile and broken submissions, each graded to completion by grade.py: none may crash, fool or damage it.

Each folder of selftests/hostile/ is a package: the reference (copied into it as `honest/` by this test, as
the learner's own honest work) with one hostile or broken change. Its module constants, read here without
importing it, say what to expect:

    ATTACKS      parts whose code is hostile or broken: they must score nothing
    HONEST       parts left to the reference: they must keep every point
    SAYS         part (every one of its cases) or part/case -> words its message must contain
    SANDBOX_ONLY only a sandbox (a mount and a pid namespace) can stop it: skipped where there is none
    KILLS_WITHOUT_SANDBOX  without a sandbox it kills grade.py: the report written early must then stand
    ALSO_IN      graded again as an unprivileged user ("user") and without a sandbox ("plain")
    TIMEOUT, HIDDEN_FIXTURES, LISTENER, UNBOUNDED_AS_ROOT: see the packages that use them

grade.py grades each with --part for those parts, under selftests/watch.py (a child subreaper, so that
whatever the package leaves running is found however it detached itself), against a disposable copy of
the repository. Every run must give: exit status 0 and a complete report (every case of the parts, none
"grading did not finish"); no more points than the honest parts; nothing left running (by descent, and
by uid: a root-mode worker's own, or nobody's); the copy of the repository byte for byte the same (every file,
compiled bytecode included); no connection to the self-test's listener; a bounded output.

Modes: "native" (whoever runs the tests: root means the root sandbox), "user" (an unprivileged user: as
nobody when the tests run as root and util-linux allows it, else GRADER_SANDBOX=user), "plain"
(GRADER_SANDBOX=plain: no sandbox; what it still guarantees).
"""

from __future__ import annotations

import ast
import compileall
import hashlib
import json
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from course.parts import PARTS_BY_NAME
from grader.cases import CASES
from grader.worker.sandbox import closed_ancestor, is_worker_uid

from .helpers import ROOT

HOSTILE = ROOT / "selftests" / "hostile"
PACKAGES = sorted(p.name for p in HOSTILE.iterdir() if (p / "__init__.py").is_file())
SKIP_WHEN_COPYING = {".git", ".venv", "__pycache__", "runs", ".pytest_cache", ".ruff_cache"}  # tools' caches
NOBODY = pwd.getpwnam("nobody")  # the user of the "user" mode's runs (a root-mode worker has a uid of its own)
NOBODY_UID, NOBODY_GID = NOBODY.pw_uid, NOBODY.pw_gid
GRADED: list[str] = []  # (mode, package) graded, for the count printed at the end


def declared(name: str) -> dict:
    """A hostile package's module constants, read without running it."""
    tree = ast.parse((HOSTILE / name / "__init__.py").read_text())
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target = node.targets[0].id
            if target.isupper():
                try:
                    found[target] = ast.literal_eval(node.value)
                except ValueError:
                    pass
    return found


META = {name: declared(name) for name in PACKAGES}


# -- the world the runs share: a copy of the repository, hidden fixtures, the modes ---------------------


def world_readable(path: Path) -> None:
    for root, dirs, files in os.walk(path):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)


def copy_of_repository(into: Path) -> Path:
    """The repository's files (not its environment, git data or caches), compiled, readable by everyone."""
    copy = into / "repository"
    shutil.copytree(ROOT, copy, ignore=lambda folder, names: [n for n in names if n in SKIP_WHEN_COPYING
                                                                 or n.startswith(".selftest")])
    compileall.compile_dir(copy, quiet=1)  # so that grade.py finds its bytecode and writes none
    world_readable(copy)
    return copy


def snapshot(folder: Path) -> dict[str, str]:
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, folder)] = hashlib.sha256(f.read()).hexdigest()
    return found


def python_for_nobody(stage: Path) -> list[str] | None:
    """A command prefix that runs as nobody, in a private mount namespace where this Python is reachable
    (e.g. one installed under /root); None where that cannot be done."""
    if not all(shutil.which(tool) for tool in ("setpriv", "unshare", "mount")):
        return None
    drop = ["setpriv", f"--reuid={NOBODY_UID}", f"--regid={NOBODY_GID}", "--clear-groups", "--"]
    interpreter = os.path.dirname(os.path.realpath(sys.executable))
    needed = {str(Path(p).resolve()) for p in (sys.prefix, sys.base_prefix, interpreter, ROOT)}
    needed = {p for p in needed if not any(p.startswith(q + "/") for q in needed)}
    closed = {a for p in needed for a in [closed_ancestor(p, NOBODY_UID, NOBODY_GID)] if a}
    if not closed:
        return drop
    steps = ["set -e", "mount --make-rprivate /"]
    inner = sorted(p for p in needed if any(p.startswith(c + "/") for c in closed))
    for i, p in enumerate(inner):
        (stage / str(i)).mkdir()
        steps.append(f"mount --bind {shlex.quote(p)} {stage / str(i)}")
    for c in sorted(closed):
        steps.append(f"mount -t tmpfs -o mode=0755 tmpfs {shlex.quote(c)}")
    for i, p in enumerate(inner):
        steps += [f"mkdir -p {shlex.quote(p)}", f"mount --bind {stage / str(i)} {shlex.quote(p)}"]
    steps.append('exec "$@"')
    return ["unshare", "-m", "--", "bash", "-c", "\n".join(steps), "bash", *drop]


def sources(folder: Path) -> dict[str, str]:
    """The repository's own files (not its environment, git data, caches or the self-tests' report)."""
    found = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in SKIP_WHEN_COPYING]
        for name in files:
            if not name.startswith(".selftest"):
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    found[os.path.relpath(path, folder)] = hashlib.sha256(f.read()).hexdigest()
    return found


class World:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        os.chmod(tmp, 0o755)
        self.original = sources(ROOT)  # the real repository: never graded here, and never to be touched
        self.repo = copy_of_repository(tmp)
        self.scratch = tmp / "scratch"  # grade.py's TMPDIR: a worker's folder outlives a killed grade.py
        self.scratch.mkdir(mode=0o1777)
        os.chmod(self.scratch, 0o1777)
        self.hidden = tmp / "hidden-fixtures"
        shutil.copytree(self.repo / "fixtures", self.hidden)
        world_readable(self.hidden)
        stage = tmp / "stage"
        stage.mkdir()
        self.modes: dict[str, tuple[list[str], dict[str, str]]] = {"native": ([], {})}
        if os.geteuid() == 0:
            prefix = python_for_nobody(stage)
            self.modes["user"] = (prefix, {}) if prefix is not None else ([], {"GRADER_SANDBOX": "user"})
        self.modes["plain"] = ([], {"GRADER_SANDBOX": "plain"})
        self.got = {mode: self.probe(mode) for mode in self.modes}

    def environment(self, mode: str, **more: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
        env.update(self.modes[mode][1], GRADER_HIDE=str(ROOT), PYTHONPATH=str(ROOT), TMPDIR=str(self.scratch), **more)
        return env

    def probe(self, mode: str) -> dict | None:
        """What the worker's sandbox gets in this mode (python -m grader.worker.sandbox --json)."""
        if mode == "user" and "user" not in self.modes:
            return None
        proc = subprocess.run([*self.modes[mode][0], sys.executable, "-m", "grader.worker.sandbox", "--json"],
                              capture_output=True, text=True, cwd=self.repo, env=self.environment(mode), timeout=300)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    def sandboxed(self, mode: str) -> bool:
        got = self.got[mode]
        return bool(got and got["view"] and "pid" in got["namespaces"])


@pytest.fixture(scope="module")
def world(request):
    tmp = Path(tempfile.mkdtemp(prefix="hostile-"))
    try:
        yield World(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        runs = ", ".join(f"{m} {sum(g[0] == m for g in GRADED)}" for m in sorted({mode for mode, _ in GRADED}))
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print(f"\nhostile packages: {len({name for _, name in GRADED})} of {len(PACKAGES)} graded "
                  f"({len(GRADED)} runs: {runs})")


# -- one run ----------------------------------------------------------------------------------------


def sandboxed(uid: int) -> bool:
    """A uid the code graded runs as: a root-mode worker's own, or nobody's (the "user" mode's runs)."""
    return uid == NOBODY_UID or is_worker_uid(uid)


def processes_of(uids, since_ticks: int) -> dict[int, str]:
    """Processes whose uid `uids(uid)` accepts, started after `since_ticks` (clock ticks since boot)."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                started = int(f.read().rsplit(b")", 1)[1].split()[19])
            if uids(os.stat(f"/proc/{pid}").st_uid) and started >= since_ticks:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    found[int(pid)] = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            pass
    return found


def ticks_now() -> int:
    with open("/proc/uptime") as f:
        return int(float(f.read().split()[0]) * os.sysconf("SC_CLK_TCK"))


def grade(world: World, name: str, mode: str) -> dict:
    """Grade hostile package `name` in `mode`; everything the checks need."""
    meta = META[name]
    work = Path(tempfile.mkdtemp(dir=world.tmp))
    os.chmod(work, 0o777)  # the unprivileged user writes its report here
    impl = work / name
    shutil.copytree(HOSTILE / name, impl, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "solutions", impl / "honest", ignore=shutil.ignore_patterns("__pycache__"))
    listener = None
    if meta.get("LISTENER"):
        listener = socket.create_server(("127.0.0.1", 0))
        listener.setblocking(False)
        (impl / "port.txt").write_text(str(listener.getsockname()[1]))
    world_readable(impl)
    os.chmod(work, 0o777)
    report = work / "report.json"
    parts = [*meta["ATTACKS"], *meta["HONEST"]]
    command = [sys.executable, str(world.repo / "grade.py"), "--impl", str(impl), "--json", str(report),
               *(a for p in parts for a in ("--part", p))]
    if "TIMEOUT" in meta:  # for packages that never return; the others get each case's own limit
        command += ["--timeout", str(meta["TIMEOUT"])]
    watch = [sys.executable, "-m", "selftests.watch", str(work / "watch.json")]
    env = world.environment(mode, **({"GRADER_FIXTURES": str(world.hidden)} if meta.get("HIDDEN_FIXTURES") else {}))
    before, hidden_before, since = snapshot(world.repo), snapshot(world.hidden), ticks_now()
    subprocess.run([*world.modes[mode][0], *watch, "--", *command], cwd=ROOT, env=env, timeout=900, check=True)
    outcome = json.loads((work / "watch.json").read_text())
    outcome["report"] = json.loads(report.read_text()) if report.exists() else None
    outcome["changed"] = sorted(set(before.items()) ^ set(snapshot(world.repo).items()))
    outcome["changed"] += sorted(set(hidden_before.items()) ^ set(snapshot(world.hidden).items()))
    outcome["nobody_left"] = processes_of(sandboxed, since) if os.geteuid() == 0 else {}
    for pid in outcome["nobody_left"]:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    outcome["connected"] = False
    if listener:
        try:
            listener.accept()[0].close()
            outcome["connected"] = True
        except BlockingIOError:
            pass
        listener.close()
    return outcome


def case_counts(parts) -> dict[str, int]:
    return {p: sum(c.part == p for c in CASES) for p in parts}


def check(outcome: dict, name: str, complete: bool = True) -> None:
    """Everything a run must give; `complete` False where grade.py may have been killed (no sandbox)."""
    meta = META[name]
    attacks, honest = meta["ATTACKS"], meta["HONEST"]
    report = outcome["report"]
    where = f"{name}: {outcome['stderr'][-2000:]}"
    assert report is not None, f"no report at all; {where}"
    assert set(report) == {"score", "max_score", "parts"}, where
    parts = {p["name"]: p for p in report["parts"]}
    assert set(parts) == {*attacks, *honest}, f"the report has parts {sorted(parts)}; {where}"
    for part, count in case_counts(parts).items():
        assert len(parts[part]["cases"]) == count, f"{part}: {len(parts[part]['cases'])} of {count} cases; {where}"
    cases = [(p, c) for p in parts.values() for c in p["cases"]]
    assert all(c["status"] in {"passed", "failed", "not_implemented", "error", "timeout"} for _, c in cases)
    honest_points = sum(PARTS_BY_NAME[p].points for p in honest)
    assert report["score"] <= honest_points, f"{report['score']} points, more than its honest {honest_points}; {where}"
    for part in attacks:
        assert parts[part]["score"] == 0, f"{part} scored {parts[part]['score']}: {parts[part]['cases']}"
    if complete:
        assert outcome["returncode"] == 0, where
        unfinished = [(p["name"], c["name"]) for p, c in cases if c["message"] == "grading did not finish"]
        assert not unfinished, f"unfinished cases {unfinished}; {where}"
        for part in honest:
            assert parts[part]["score"] == parts[part]["max_score"], f"{part} lost points: {parts[part]['cases']}"
        for key, words in meta.get("SAYS", {}).items():
            part, _, only = key.partition("/")
            for case in parts[part]["cases"]:
                if only in ("", case["name"]):
                    assert words in case["message"], f"{part}/{case['name']} says {case['message']!r}, not {words!r}"
    assert not outcome["left"], f"left running: {outcome['left']}"
    assert not outcome["nobody_left"], f"left running as the sandbox's user: {outcome['nobody_left']}"
    assert not outcome["changed"], f"the repository or the fixtures changed: {outcome['changed'][:10]}"
    assert not outcome["connected"], "the package reached the self-test's listener over the network"
    assert outcome["stdout_bytes"] < 100_000, f"grade.py printed {outcome['stdout_bytes']} bytes"


def run_and_check(world: World, name: str, mode: str) -> None:
    meta = META[name]
    sandboxed = world.sandboxed(mode)
    if meta.get("SANDBOX_ONLY") and not sandboxed:
        pytest.skip(f"no sandbox in mode {mode} here ({world.got[mode]})")
    if meta.get("UNBOUNDED_AS_ROOT") and not sandboxed and os.geteuid() == 0:
        pytest.skip("root has no process limit outside the sandbox")
    outcome = grade(world, name, mode)
    GRADED.append((mode, name))
    check(outcome, name, complete=sandboxed or not meta.get("KILLS_WITHOUT_SANDBOX"))


@pytest.mark.parametrize("name", PACKAGES)
def test_hostile_package(world, name):
    run_and_check(world, name, "native")


@pytest.mark.parametrize("name", [n for n in PACKAGES if "user" in META[n].get("ALSO_IN", ())])
def test_hostile_package_as_an_unprivileged_user(world, name):
    if "user" not in world.modes:
        pytest.skip("the tests already run as an unprivileged user (the native mode)")
    run_and_check(world, name, "user")


@pytest.mark.parametrize("name", [n for n in PACKAGES if "plain" in META[n].get("ALSO_IN", ())])
def test_hostile_package_without_a_sandbox(world, name):
    run_and_check(world, name, "plain")


def test_every_hostile_package_declares_what_it_attacks():
    assert len(PACKAGES) >= 25
    for name, meta in META.items():
        assert isinstance(meta.get("ATTACKS"), tuple) and isinstance(meta.get("HONEST"), tuple), name
        assert set(meta["ATTACKS"]) | set(meta["HONEST"]) <= set(PARTS_BY_NAME), name
        assert not set(meta["ATTACKS"]) & set(meta["HONEST"]), name
        assert (HOSTILE / name / "__init__.py").read_text().startswith('"""'), f"{name} says what it does"


# -- what the runs above cannot show ----------------------------------------------------------------


def test_the_sandbox_probe_says_what_the_worker_got(world, capsys):
    got = world.got["native"]
    assert got["mode"] in ("root", "user", "plain") and got["limits"]["memory_gb"] == 4
    if os.geteuid() == 0:
        assert got["mode"] == "root" and got["user"] == "a uid of its own, no account's"
    proc = subprocess.run([sys.executable, "-m", "grader.worker.sandbox"], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0 and proc.stdout.startswith(f"mode {got['mode']}; runs as {got['user']}"), proc.stdout
    with capsys.disabled():
        print(f"\nthe worker's sandbox here: {proc.stdout.strip()}")


def test_a_killed_grade_py_leaves_a_valid_report_never_a_stale_one(world):
    """grade.py SIGKILLed in the middle of grading, over the full-score reports of an earlier run."""
    work = Path(tempfile.mkdtemp(dir=world.tmp))
    report, results = work / "report.json", work / "results.json"
    report.write_text(json.dumps({"score": 44.0, "max_score": 44.0, "parts": []}))
    results.write_text(json.dumps({"score": 44.0, "output": "44 / 44 points", "tests": []}))
    command = [sys.executable, str(world.repo / "grade.py"), "--impl", "solutions", "--json", str(report),
               "--gradescope", str(results)]
    watch = [sys.executable, "-m", "selftests.watch", str(work / "watch.json"), "--kill-when-graded", str(report)]
    subprocess.run([*watch, "--", *command], cwd=ROOT, env=world.environment("native"), timeout=600, check=True)
    outcome = json.loads((work / "watch.json").read_text())
    assert outcome["returncode"] == -signal.SIGKILL, "grading finished before it could be killed"
    assert not outcome["left"], f"left running: {outcome['left']}"
    partial = json.loads(report.read_text())
    statuses = [(c["status"], c["message"]) for p in partial["parts"] for c in p["cases"]]
    assert len(statuses) == len(CASES) and partial["score"] < partial["max_score"] == 44
    assert ("error", "grading did not finish") in statuses and any(s == "passed" for s, _ in statuses)
    gradescope = json.loads(results.read_text())
    assert set(gradescope) == {"score", "output", "tests"} and gradescope["score"] < 44


def burner(tmp_path: Path, body: str) -> str:
    package = tmp_path / "burner"
    package.mkdir()
    (package / "__init__.py").write_text(body)
    world_readable(tmp_path)
    return str(package)


def run_silu(package: str, limits, cases=("forward", "backward")) -> list:
    from grader.in_worker import run_cases
    from grader.worker.process import Worker

    return run_cases([c for c in CASES if c.part == "silu" and c.name in cases], package, Worker(package, limits))


def test_a_worker_over_its_cpu_time_limit_is_told_so(tmp_path):
    from grader.worker.limits import Limits

    package = burner(tmp_path, "def silu(x):\n    while True:\n        pass\n")
    (result,) = run_silu(package, Limits(cpu_seconds=8), ["forward"])  # importing torch takes a few seconds of it
    assert (result.status, result.message) == ("error", "your code used more than 8 s of CPU time (the limit)")


def test_the_memory_limit_is_the_one_asked_for(tmp_path):
    from grader.worker.limits import Limits

    package = burner(tmp_path, "import torch\n\ndef silu(x):\n    return torch.empty(3 << 30)\n")
    results = run_silu(package, Limits(memory_gb=2.5))
    assert all(r.message.startswith("your code used more than 2.5 GB of memory (the limit, --memory-limit)")
               for r in results), results


def test_the_worker_gets_a_scrubbed_environment_and_a_fresh_folder(tmp_path, monkeypatch):
    from grader.worker.limits import Limits

    monkeypatch.setenv("GRADER_FIXTURES", str(ROOT / "fixtures"))
    monkeypatch.setenv("SECRET_TOKEN", "42")
    package = burner(tmp_path, "import json, os\n\ndef silu(x):\n    raise RuntimeError(json.dumps("
                               "[sorted(os.environ), os.getcwd(), os.environ['HOME'], os.environ['TMPDIR']]))\n")
    (result, _) = run_silu(package, Limits())
    names, cwd, home, tmpdir = json.loads(result.message[result.message.index("["): result.message.rindex("]") + 1])
    allowed = {"HOME", "TMPDIR", "PATH", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "LANG", "LANGUAGE", "TZ",
               "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"}
    assert set(names) - allowed <= {n for n in names if n.startswith("LC_")}, names
    assert cwd == home == tmpdir and Path(cwd).name.startswith("grade-worker-")
    assert not Path(cwd).exists(), "the worker's folder is removed after it"


def test_the_real_repository_is_untouched_too(world):
    """The runs grade a copy, with the real repository hidden from the worker; it must not change either."""
    changed = sorted(set(world.original.items()) ^ set(sources(ROOT).items()))
    assert not changed, changed[:10]
